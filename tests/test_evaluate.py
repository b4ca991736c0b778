"""The threshold sweep and the rule that picks min_confidence from it, on hand-made outcomes; and what an
evaluation file may hold."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.errors import BotError
from bot.evaluate import Case, Outcome, load_cases, suggested_threshold, sweep


def outcome(confidence: float, in_scope: bool, rank: int | None = 1) -> Outcome:
    return Outcome("q", rank if in_scope else None, True, in_scope, None, confidence)


OUTCOMES = [
    outcome(0.62, True),
    outcome(0.40, True, rank=2),
    outcome(0.31, True),
    *[outcome(c, False) for c in (0.05, 0.08, 0.11, 0.13, 0.16, 0.19, 0.21, 0.24, 0.27, 0.35)],
]


def test_the_rule_is_one_step_above_the_lowest_threshold_that_turns_away_the_target():
    # 9 of the 10 out-of-scope confidences are below 0.275; that is the lowest threshold turning away 90%.
    assert suggested_threshold(OUTCOMES, target=0.9) == 0.3
    assert suggested_threshold(OUTCOMES, target=1.0) == 0.4  # all ten are below 0.375


def test_no_suggestion_when_no_threshold_reaches_the_target():
    assert suggested_threshold([outcome(0.5, True)], target=0.9) is None  # no out-of-scope question at all
    assert suggested_threshold([outcome(0.5, True), outcome(1.2, False)], target=0.9) is None


def test_the_sweep_keeps_the_thresholds_asked_for_even_when_nothing_changes_there():
    plain = [p.threshold for p in sweep(OUTCOMES)]
    kept = [p.threshold for p in sweep(OUTCOMES, keep=(0.3, 0.45))]
    assert 0.3 not in plain and 0.45 not in plain
    assert set(kept) == set(plain) | {0.3, 0.45} and kept == sorted(kept)
    at = {p.threshold: p for p in sweep(OUTCOMES, keep=(0.3,))}
    assert at[0.3].out_of_scope_rejected == 0.9 and at[0.3].answered_in_scope == 1.0
    assert at[0.3].answered_right == 2 / 3


def test_a_kept_threshold_between_two_steps_gets_its_row_and_the_suggestion_stops_at_1():
    at = {p.threshold: p for p in sweep(OUTCOMES, keep=(0.33,))}
    assert at[0.33].out_of_scope_rejected == 0.9 and at[0.33].answered_in_scope == 2 / 3
    only_at_the_top = [outcome(0.5, True), *[outcome(0.99, False) for _ in range(3)]]
    assert suggested_threshold(only_at_the_top, target=0.9) == 1.0


def test_a_line_scored_only_for_the_urgent_notice_is_neither_in_scope_nor_out_of_scope_in_the_sweep():
    urgent_only = [Outcome("help", None, False, False, None, 0.5, ranked=False, urgent=True) for _ in range(40)]
    assert suggested_threshold(OUTCOMES + urgent_only, target=0.9) == suggested_threshold(OUTCOMES, target=0.9)
    assert suggested_threshold(urgent_only, target=0.9) is None
    at = {p.threshold: p for p in sweep(OUTCOMES + urgent_only, keep=(0.3,))}
    assert at[0.3].out_of_scope_rejected == 0.9


def write(tmp_path: Path, *lines: object, prefix: bytes = b"") -> Path:
    path = tmp_path / "questions.jsonl"
    path.write_bytes(prefix + "\n".join(json.dumps(line) for line in lines).encode("utf-8"))
    return path


@pytest.mark.parametrize(
    "line",
    [
        {"question": "   ", "expect": ["fatigue"]},  # blank question
        {"question": "how much is it?", "expect": [""]},  # an empty text is in every passage
        {"question": "how much is it?", "expect": ["  "]},
        {"question": "capital of France?", "expect": []},  # expects nothing
        {"question": "side effects?", "expect": [3]},
    ],
)
def test_a_line_that_cannot_say_what_is_right_is_named(tmp_path: Path, line: dict):
    path = write(tmp_path, {"question": "side effects?", "expect": ["fatigue"]}, line)
    with pytest.raises(BotError, match=r"questions.jsonl:2: expected .* not blank .*fix that line"):
        load_cases(path)


def test_a_line_json_cannot_read_is_named_not_a_traceback(tmp_path: Path):
    """A number of 5,000 digits (ValueError) and arrays nested 100,000 deep (RecursionError) escaped the check:
    teach stopped with no file:line, or a traceback."""
    from bot.evaluate import read_cases

    good = json.dumps({"question": "side effects?", "expect": ["fatigue"]})
    path = tmp_path / "questions.jsonl"
    path.write_text("\n".join([good, '{"question": ' + "9" * 5000 + "}", "[" * 100_000, good]), encoding="utf-8")
    cases, bad = read_cases(path)
    assert len(cases) == 2 and bad == [f"{path}:2", f"{path}:3"]
    with pytest.raises(BotError, match=r"questions.jsonl:2: expected .*fix that line"):
        load_cases(path)


def test_a_byte_order_mark_is_not_part_of_the_first_line(tmp_path: Path):
    path = write(tmp_path, {"question": "side effects?", "expect": ["fatigue"]}, prefix=b"\xef\xbb\xbf")
    assert load_cases(path) == [Case("side effects?", ("fatigue",))]


def test_a_line_separator_inside_a_question_does_not_end_its_line(tmp_path: Path):
    """Valid JSON written with ensure_ascii=False (a visitor's question pasted from a PDF or Word) was refused as
    two broken lines, by `bot teach` and `bot evaluate` alike."""
    path = tmp_path / "questions.jsonl"
    line = {"question": "side effects\u2028of the drip\x85?", "expect": None}
    path.write_text(json.dumps(line, ensure_ascii=False) + "\r\n", encoding="utf-8")
    assert load_cases(path) == [Case("side effects\u2028of the drip\x85?", None)]


def test_a_file_that_is_not_utf8_is_named_with_its_line(tmp_path: Path):
    path = tmp_path / "questions.jsonl"
    path.write_bytes(b'{"question": "a", "expect": null}\n{"question": "side \xff effects?", "expect": null}\n')
    with pytest.raises(BotError, match=r"questions.jsonl:2: not valid UTF-8; save the file as UTF-8"):
        load_cases(path)
