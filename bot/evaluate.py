"""Evaluation: how often the expected passage comes first, and how often the fallback is right."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from tqdm import tqdm

from bot.assistant import Assistant
from bot.errors import BotError
from bot.knowledge import Passage
from bot.search import NO_CONFIDENCE, Hit

DEPTH = 10  # ranks beyond this count as a miss (MRR@10)
SWEEP_STEP = 0.025  # the confidence thresholds --sweep tries


@dataclass(frozen=True)
class Case:
    question: str
    expect: tuple[str, ...] | None  # None: out of scope, the fallback is the right reply
    urgent: bool | None = None  # whether the urgent notice is right; None: not said
    ranked: bool = True  # False for a line with "urgent" and no "expect": only the notice is scored
    where: str = field(default="", compare=False)  # "file:line" it was read from, for messages that name it


@dataclass(frozen=True)
class Outcome:
    question: str
    rank: int | None  # 1-based rank of the first expected passage within the top DEPTH
    answered: bool
    in_scope: bool
    first: str | None  # citation of the passage ranked first, for reading failures
    confidence: float = NO_CONFIDENCE
    ranked: bool = True  # whether the rank and scope count (see Case)
    urgent: bool | None = None  # whether the notice was expected; None: not said
    notice: bool = False  # whether the reply carried the urgent notice

    @property
    def correct(self) -> bool:
        if self.urgent is not None and self.notice != self.urgent:
            return False
        if not self.ranked:
            return True
        return (self.rank == 1 and self.answered) if self.in_scope else not self.answered


@dataclass(frozen=True)
class Metrics:
    questions: int
    in_scope: int
    out_of_scope: int
    hit_at_1: float
    hit_at_3: float
    mrr_at_10: float
    out_of_scope_rejected: float  # share of out-of-scope questions given the fallback
    in_scope_false_rejection: float  # share of in-scope questions wrongly given the fallback
    urgent: int = 0  # messages labelled urgent
    calm: int = 0  # messages labelled not urgent
    urgent_caught: float = 0.0  # share of the urgent ones that got the notice
    false_alarms: float = 0.0  # share of the calm ones that got it


CASE_FORMAT = (
    'expected {"question": "...", "expect": ["..."] or null}, the question and each expected text not blank (or '
    '"urgent": true or false, with or without "expect")'
)


def load_cases(path: Path) -> list[Case]:
    """The questions of a JSON-lines set; a line that is not one is an error naming it."""
    cases, bad = read_cases(path)
    if bad:
        raise BotError(f"{bad[0]}: {CASE_FORMAT}; fix that line.")
    return cases


def read_cases(path: Path) -> tuple[list[Case], list[str]]:
    """The questions of a JSON-lines set, and the file:line of each line that is not one (teach skips those)."""
    cases, bad = [], []
    try:
        # utf-8-sig: a file saved by Excel or Notepad starts with a byte-order mark, which is not part of line 1;
        # lines end at "\n" alone: U+2028 or U+0085 may stand unescaped inside a JSON string
        lines = Path(path).read_text(encoding="utf-8-sig").split("\n")
    except OSError as err:
        raise BotError(f"Cannot read {path} ({err.strerror}); give a JSON-lines evaluation file.") from None
    except UnicodeDecodeError as err:
        line = Path(path).read_bytes()[: err.start].count(b"\n") + 1
        raise BotError(f"{path}:{line}: not valid UTF-8; save the file as UTF-8.") from None
    for number, line in enumerate(lines, 1):
        if line.strip():
            case = _case(line)
            if case is None:
                bad.append(f"{path}:{number}")
            else:
                cases.append(replace(case, where=f"{path}:{number}"))
    if not cases and not bad:
        raise BotError(f"{path} holds no questions; add JSON lines with a question and expect.")
    return cases, bad


def _case(line: str) -> Case | None:
    """One line's question, or None when the line is not one."""
    try:
        data = json.loads(line)
        expect, urgent = data.get("expect"), data.get("urgent")
        if not isinstance(data["question"], str) or not data["question"].strip():
            return None
    # ValueError: a number of more than 4,300 digits; RecursionError: arrays nested a thousand deep
    except (ValueError, RecursionError, KeyError, TypeError, AttributeError):
        return None
    # an empty expected text is in every passage, and an empty list expects nothing: neither says what is right
    if not (expect is None or (isinstance(expect, list) and expect and all(_text(e) for e in expect))):
        return None
    if not (urgent is None or isinstance(urgent, bool)) or ("expect" not in data and urgent is None):
        return None
    return Case(data["question"], None if expect is None else tuple(expect), urgent, ranked="expect" in data)


def _text(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip())


def matches(hit: Hit, expect: tuple[str, ...]) -> bool:
    return any(holds(hit.passage, expected) for expected in expect)


def holds(passage: Passage, expected: str) -> bool:
    """Whether a passage counts as right for an expected string: its text or heading contains it."""
    return expected.casefold() in passage.text.casefold() or expected.casefold() in passage.heading.casefold()


def run_case(assistant: Assistant, case: Case) -> Outcome:
    reply = assistant.ask(case.question, k=DEPTH)
    ranking = reply.ranking[:DEPTH]
    rank = None
    if case.expect is not None:
        rank = next((r for r, hit in enumerate(ranking, 1) if matches(hit, case.expect)), None)
    first = ranking[0].passage.citation if ranking else None
    in_scope = case.expect is not None
    notice = reply.notice is not None
    confidence = reply.confidence
    return Outcome(case.question, rank, reply.answered, in_scope, first, confidence, case.ranked, case.urgent, notice)


def summarize(outcomes: list[Outcome]) -> Metrics:
    scoped = [o for o in outcomes if o.ranked and o.in_scope]
    unscoped = [o for o in outcomes if o.ranked and not o.in_scope]
    urgent = [o for o in outcomes if o.urgent]
    calm = [o for o in outcomes if o.urgent is False]
    return Metrics(
        questions=len(outcomes),
        in_scope=len(scoped),
        out_of_scope=len(unscoped),
        hit_at_1=_share(scoped, lambda o: o.rank == 1),
        hit_at_3=_share(scoped, lambda o: o.rank is not None and o.rank <= 3),
        mrr_at_10=sum(1 / o.rank for o in scoped if o.rank) / len(scoped) if scoped else 0.0,
        out_of_scope_rejected=_share(unscoped, lambda o: not o.answered),
        in_scope_false_rejection=_share(scoped, lambda o: not o.answered),
        urgent=len(urgent),
        calm=len(calm),
        urgent_caught=_share(urgent, lambda o: o.notice),
        false_alarms=_share(calm, lambda o: o.notice),
    )


def _share(items: list[Outcome], test) -> float:
    return sum(1 for o in items if test(o)) / len(items) if items else 0.0


def evaluate(assistant: Assistant, cases: list[Case]) -> tuple[Metrics, list[Outcome]]:
    outcomes = [run_case(assistant, case) for case in cases]
    return summarize(outcomes), outcomes


def report(metrics: Metrics, outcomes: list[Outcome]) -> str:
    lines = [f"questions: {metrics.questions} ({metrics.in_scope} in scope, {metrics.out_of_scope} out of scope)"]
    if metrics.in_scope + metrics.out_of_scope:
        lines += [
            f"hit@1                      {metrics.hit_at_1:.3f}",
            f"hit@3                      {metrics.hit_at_3:.3f}",
            f"MRR@10                     {metrics.mrr_at_10:.3f}",
            f"out-of-scope rejected      {metrics.out_of_scope_rejected:.3f}",
            f"in-scope false rejection   {metrics.in_scope_false_rejection:.3f}",
        ]
    if metrics.urgent + metrics.calm:
        lines += [
            f"urgent caught              {metrics.urgent_caught:.3f} (of {metrics.urgent} urgent messages)",
            f"false alarms               {metrics.false_alarms:.3f} (of {metrics.calm} calm messages)",
        ]
    failures = [o for o in outcomes if not o.correct]
    if failures:
        lines.append(f"\n{len(failures)} not right:")
        lines += [f"  - {o.question!r}: {what_went_wrong(o)}; first: {o.first}" for o in failures]
    return "\n".join(lines)


def what_went_wrong(o: Outcome) -> str:
    """One phrase for a question the evaluation counts as not right."""
    if o.urgent is not None and o.notice != o.urgent:
        return "urgent, no notice" if o.urgent else "not urgent, got the notice"
    if not o.in_scope:
        return "answered, should fall back"
    return (f"rank {o.rank}" if o.rank else "not in top 10") + ("" if o.answered else ", fell back")


@dataclass(frozen=True)
class SweepPoint:
    threshold: float
    answered_in_scope: float  # in-scope questions that get an answer at this threshold
    answered_right: float  # ... and whose answer is the expected passage (hit@1 and answered)
    out_of_scope_rejected: float


def sweep(outcomes: list[Outcome], keep: tuple[float, ...] = (), step: float = SWEEP_STEP) -> list[SweepPoint]:
    """The trade-off each confidence threshold makes, from one run's confidences: every step from the lowest
    confidence (or 0) to 1, less the steps that change nothing from the one before (except those in keep)."""
    points: list[SweepPoint] = []
    thresholds = sorted(set(_thresholds(outcomes, step)) | set(keep))  # a kept one may lie between two steps
    for t in thresholds:
        point = _sweep_point(outcomes, t)
        if not points or _trade(point) != _trade(points[-1]) or t == thresholds[-1] or t in keep:
            points.append(point)
    return points


def suggested_threshold(outcomes: list[Outcome], target: float, step: float = SWEEP_STEP) -> float | None:
    """The rule min_confidence is chosen by: one step above the lowest threshold that turns away target of the
    out-of-scope questions, since a single question decides that edge. None when no threshold does."""
    thresholds = _thresholds(outcomes, step)
    lowest = next((t for t in thresholds if _sweep_point(outcomes, t).out_of_scope_rejected >= target), None)
    return None if lowest is None else min(round(lowest + step, 4), thresholds[-1])


def _thresholds(outcomes: list[Outcome], step: float) -> list[float]:
    scored = [o.confidence for o in outcomes if o.confidence > NO_CONFIDENCE]
    first = min(0, math.floor(min(scored, default=0.0) / step))  # confidences below 0 get their thresholds too
    return [round(i * step, 4) for i in range(first, int(round(1 / step)) + 1)]


def _sweep_point(outcomes: list[Outcome], threshold: float) -> SweepPoint:
    scoped = [o for o in outcomes if o.ranked and o.in_scope]
    unscoped = [o for o in outcomes if o.ranked and not o.in_scope]  # a line scored only for the notice is neither

    return SweepPoint(
        threshold=threshold,
        answered_in_scope=_share(scoped, lambda o: o.confidence >= threshold),
        answered_right=_share(scoped, lambda o: o.confidence >= threshold and o.rank == 1),
        out_of_scope_rejected=_share(unscoped, lambda o: o.confidence < threshold),
    )


def _trade(point: SweepPoint) -> tuple[float, float, float]:
    return point.answered_in_scope, point.answered_right, point.out_of_scope_rejected


def sweep_table(points: list[SweepPoint]) -> str:
    lines = ["threshold  answered in-scope  answered right  out-of-scope rejected"]
    lines += [
        f"{p.threshold:9.3f}  {p.answered_in_scope:17.3f}  {p.answered_right:14.3f}  {p.out_of_scope_rejected:21.3f}"
        for p in points
    ]
    return "\n".join(lines)


def as_json(metrics: Metrics, outcomes: list[Outcome]) -> dict:
    return {
        "metrics": asdict(metrics),
        "questions": [
            {"question": o.question, "rank": o.rank, "answered": o.answered, "notice": o.notice} for o in outcomes
        ],
    }


def suite_questions(paths: list[Path]) -> list[str]:
    """The questions of these suites whose lines say what answers them ("expect": a passage, or null for the
    fallback), each once: an urgent set's lines without it test the notice, and would only make a comparison of
    answers four times as long."""
    questions = (case.question for path in paths for case in load_cases(path) if case.ranked)
    return list(dict.fromkeys(questions))


def answer_changes(
    before: Assistant, after: Assistant, questions: list[str], progress: bool = True
) -> list[tuple[str, str, str]]:
    """(question, first passage before, first passage after, by their citations) where another passage comes first:
    the same text under a new date or title is the same answer, and a passage whose text changed is said to have.
    A tqdm bar on stderr, which the console shows as the event's progress."""
    changes = []
    for question in tqdm(questions, desc="Comparing answers", unit="question", disable=not progress):
        first = [_first_shown(assistant, question) for assistant in (before, after)]
        if first[0][0] != first[1][0]:
            (_, before_cited), (_, after_cited) = first
            same = before_cited == after_cited  # one passage edited in place: same citation, new text
            changes.append((question, before_cited, after_cited + (" (its text changed)" if same else "")))
    return changes


def _first_shown(assistant: Assistant, question: str) -> tuple[str | None, str]:
    """The id of the passage the reply quotes first (its document, headings and text), and its citation."""
    reply = assistant.ask(question)
    return (reply.answer.passage.id, reply.answer.passage.citation) if reply.answer else (None, "(the fallback)")
