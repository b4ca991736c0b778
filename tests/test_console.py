"""The staff console's functions, called as its page calls them, over the fixture corpus with the fake
embedder: inspector, test suites, visitor questions, index status and rebuild (the login: test_staff.py)."""

from __future__ import annotations

import json
from pathlib import Path

import gradio as gr
import pytest

from bot.config import Settings
from bot.console import StaffConsole
from bot.console.index import IndexTab
from bot.console.inspector import RANKING_COLUMNS, InspectorTab
from bot.console.suites import SuitesTab
from bot.console.visitor_questions import VisitorQuestionsTab
from bot.evaluate import evaluate, load_cases
from bot.index import live_build
from bot.render import escape_markdown
from bot.search import normalize_query
from bot.ui import VisitorChat
from bot.visits import VISITS_FILE, VisitLog

from conftest import FakeEmbedder

ROSES = "When should I prune roses?"
ROSES_ANSWER = "Prune roses in late winter"
CASES = [
    {"question": ROSES, "expect": [ROSES_ANSWER]},
    {"question": "can basil grow inside", "expect": ["basil"]},
    {"question": "how do I water my garden", "expect": ["a phrase no passage has"]},  # a failure on purpose
    {"question": "quantum chromodynamics lattice", "expect": None},
]


@pytest.fixture
def settings(fake_index: Settings, tmp_path: Path) -> Settings:
    (tmp_path / "eval").mkdir()
    (tmp_path / "eval" / "garden.jsonl").write_text("\n".join(json.dumps(c) for c in CASES) + "\n", encoding="utf-8")
    return fake_index.replace(eval_dir=tmp_path / "eval", data_dir=tmp_path / "data")


@pytest.fixture
def console(settings: Settings) -> StaffConsole:
    return StaffConsole(settings, embedder=FakeEmbedder(), visits=VisitLog.open(settings))


def test_the_inspector_shows_every_score_and_exactly_the_visitors_reply(console: StaffConsole):
    chat, decision, rows = InspectorTab(console).inspect(ROSES, 5)
    assistant = console.assistant()
    visitor_chat, _ = VisitorChat(assistant).respond(ROSES, [])
    assert chat == visitor_chat  # the same messages the visitor app would send
    reply = assistant.ask(ROSES)
    assert f"**Answered**: confidence {reply.confidence:.4f} ≥ threshold 0.3" in decision
    hits = assistant.searcher.search(normalize_query(ROSES).casefold(), 5).hits
    assert len(rows) == len(hits) <= 5
    for rank, (row, hit) in enumerate(zip(rows, hits, strict=True), 1):
        shown = dict(zip(RANKING_COLUMNS, row, strict=True))  # each value under its header
        assert (shown["rank"], shown["heading"], shown["id"], shown["source"]) == (
            rank,
            hit.passage.heading,
            hit.passage.id,
            hit.passage.location,
        )
        assert (shown["score"], shown["fused"], shown["late (std.)"], shown["dense"], shown["lexical (BM25)"]) == tuple(
            round(value, 4) for value in (hit.score, hit.fused, hit.rerank, hit.dense, hit.lexical)
        )
        assert shown["matched"] == hit.matched
    assert rows[0][1] == "answer" and rows[0][8].endswith(ROSES)
    assert [row[2] for row in rows] == sorted((row[2] for row in rows), reverse=True)
    weight = console.settings.late_interaction_weight
    for row in rows:  # score = (1 - w) × fused + w × late, standardised
        assert row[2] == pytest.approx((1 - weight) * row[3] + weight * row[4], abs=2e-4)


def test_the_inspector_searches_once_for_the_reply_and_the_ranking(console: StaffConsole, monkeypatch):
    searcher = console.assistant().searcher
    searches = []
    search = searcher.search
    monkeypatch.setattr(searcher, "search", lambda query, k: searches.append(k) or search(query, k))
    _, _, rows = InspectorTab(console).inspect("how deep should tomatoes be planted", 4)
    assert searches == [console.settings.search.rerank_depth] and len(rows) == 4  # one search, as deep as the rerank


def test_the_inspector_says_why_a_question_gets_the_fallback(console: StaffConsole):
    chat, decision, rows = InspectorTab(console).inspect("quantum chromodynamics lattice")
    assert decision.startswith("**Fallback**: confidence ") and "< threshold 0.3" in decision
    assert escape_markdown("I have no answer to that in the garden guide.") in chat[1]["content"]
    assert rows and all(row[1] == "" for row in rows)  # ranked, but nothing shown to the visitor
    _, nothing, _ = InspectorTab(console).inspect("what is it?")
    assert nothing.startswith("**Fallback**: no word of the question carries meaning")
    _, empty, none = InspectorTab(console).inspect("   ")
    assert empty.startswith("**Not searched:** Please type a question") and none == []


def test_the_inspector_says_when_the_best_passage_is_unrelated_in_meaning(settings: Settings):
    unrelated = settings.replace(min_confidence=-100.0, min_answer_similarity=2.0)  # no cosine reaches 2
    console = StaffConsole(unrelated, embedder=FakeEmbedder(), visits=VisitLog.open(unrelated))
    _, decision, _ = InspectorTab(console).inspect(ROSES)
    assert decision.startswith("**Fallback**: confidence ") and "≥ threshold -100.0" in decision
    assert "is under 2.0 (BOT_MIN_ANSWER_SIMILARITY): unrelated in meaning" in decision
    shown = StaffConsole(settings, embedder=FakeEmbedder(), visits=VisitLog.open(settings))
    _, answered, _ = InspectorTab(shown).inspect(ROSES)
    assert answered.startswith("**Answered**") and "BOT_MIN_ANSWER_SIMILARITY" not in answered


def test_the_inspector_says_why_a_message_got_the_urgent_notice(console: StaffConsole):
    _, decision, _ = InspectorTab(console).inspect("Help, the shed is on fire!")
    assert "**Urgent notice shown**: the phrase 'on fire'." in decision
    _, long_one, _ = InspectorTab(console).inspect("It started this morning. " * 60 + "Now the shed is on fire.")
    assert long_one.startswith("**Not searched:** Your message is") and "the phrase 'on fire'" in long_one
    _, calm, _ = InspectorTab(console).inspect(ROSES)
    assert "Urgent" not in calm


def test_the_inspector_without_an_index_says_how_to_build_one(settings: Settings, tmp_path: Path):
    console = StaffConsole(settings.replace(index_dir=tmp_path / "none"), embedder=FakeEmbedder())
    chat, decision, rows = InspectorTab(console).inspect(ROSES)
    assert (chat, rows) == ([], [])
    assert "No index in" in decision and "python -m bot build" in decision
    status = IndexTab(console).index_status()
    assert status.startswith("**No index**") and "press Rebuild" in status


def test_a_test_suite_reports_the_evaluation_metrics_and_each_failure(console: StaffConsole, settings: Settings):
    assert SuitesTab(console).suites() == ["garden.jsonl"]
    headline, metrics, failures = SuitesTab(console).test_suite("garden.jsonl", None)
    expected, _ = evaluate(console.assistant(), load_cases(settings.eval_dir / "garden.jsonl"))
    assert dict(metrics) == {
        "questions": "4",
        "in scope": "3",
        "out of scope": "1",
        "hit@1": f"{expected.hit_at_1:.3f}",
        "hit@3": f"{expected.hit_at_3:.3f}",
        "MRR@10": f"{expected.mrr_at_10:.3f}",
        "out-of-scope rejected": f"{expected.out_of_scope_rejected:.3f}",
        "in-scope false rejection": f"{expected.in_scope_false_rejection:.3f}",
    }
    assert headline.startswith(f"**garden.jsonl**: 4 questions, {len(failures)} not right")
    water = next(row for row in failures if row[0] == "how do I water my garden")
    assert water[1] == "a phrase no passage has"
    assert water[2].startswith("Garden Care Guide › ") and water[3].startswith("not in top 10")
    assert ROSES not in {row[0] for row in failures}


def test_an_uploaded_suite_runs_and_a_bad_line_is_named(console: StaffConsole, tmp_path: Path):
    mine = tmp_path / "mine.jsonl"
    mine.write_text(json.dumps(CASES[0]) + "\n", encoding="utf-8")
    headline, metrics, failures = SuitesTab(console).test_suite("garden.jsonl", str(mine))  # the upload wins
    assert headline.startswith("**mine.jsonl**: 1 questions, 0 not right") and ["hit@1", "1.000"] in metrics
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps(CASES[0]) + '\n{"question": 3}\n', encoding="utf-8")
    headline, metrics, failures = SuitesTab(console).test_suite(None, str(bad))
    assert headline == (
        '**Cannot run bad.jsonl:** bad.jsonl:2: expected {"question": "...", "expect": ["..."] or null}, the '
        'question and each expected text not blank (or "urgent": true or false, with or without "expect"); fix that '
        "line."
    )
    assert SuitesTab(console).test_suite(None, None)[0].startswith("Choose a test suite")
    assert SuitesTab(console).test_suite("../secret.jsonl", None)[0].startswith("**No suite ../secret.jsonl**")


def test_visitor_questions_list_unanswered_and_disliked_most_frequent_first_with_csv(console: StaffConsole):
    chat = VisitorChat(console.assistant(), console.visits)
    page = gr.Request(session_hash="visitor-page")
    history: list[dict] = []
    for question in ["Do you sell lawnmowers?", "do you sell lawnmowers", ROSES, "What is a tulip? Call 07700 900123"]:
        history, _ = chat.respond(question, history, page)
    chat.respond("DO YOU SELL LAWNMOWERS?!", [], gr.Request(session_hash="another-page"))
    chat.like(gr.LikeData(None, {"index": 5, "value": history[5]["content"], "liked": False}), page)  # roses

    summary, rows, export = VisitorQuestionsTab(console).visitor_questions("Unanswered or disliked")
    assert summary.startswith("3 different questions (unanswered or disliked), most frequent first")
    assert [row[:5] for row in rows] == [
        ["DO YOU SELL LAWNMOWERS?!", 3, 3, 0, 0],
        ["What is a tulip? Call [phone]", 1, 1, 0, 0],  # ties: alphabetical
        [ROSES, 1, 0, 1, 0],
    ]
    shown = console.assistant().ask(ROSES).passages
    assert rows[2][6] == "; ".join(hit.passage.heading for hit in shown)  # the passages shown, by heading
    csv_text = Path(export).read_text(encoding="utf-8")
    assert csv_text.splitlines()[0] == "question,asked,unanswered,disliked,liked,last asked,passages shown last"
    assert "DO YOU SELL LAWNMOWERS?!,3,3,0,0," in csv_text
    assert "What is a tulip? Call [phone],1,1,0,0," in csv_text and "07700" not in csv_text
    assert [row[0] for row in VisitorQuestionsTab(console).visitor_questions("Disliked")[1]] == [ROSES]
    assert ROSES not in {row[0] for row in VisitorQuestionsTab(console).visitor_questions("Unanswered")[1]}


def test_with_the_log_off_the_console_says_so(settings: Settings):
    console = StaffConsole(settings.replace(visit_log=False), embedder=FakeEmbedder(), visits=None)
    summary, rows, export = VisitorQuestionsTab(console).visitor_questions()
    assert summary.startswith("The visit log is off (BOT_VISIT_LOG=0)") and rows == [] and export is None
    assert not (settings.data_dir / VISITS_FILE).exists()


def test_the_index_tab_says_how_far_the_ranking_trusts_what_was_taught(console: StaffConsole, settings: Settings):
    assert "taught question" not in IndexTab(console).index_status()  # nothing taught: nothing to say
    roses = "Garden Care Guide › Frequently asked questions › When should I prune roses?"
    (settings.knowledge_dir / "phrasings.toml").write_text(
        f'[[taught]]\npassage = "{roses}"\nquestions = ["when do roses get cut back", "cut back roses when"]\n\n'
        '[[taught]]\npassage = "Garden Care Guide › Pests"\nquestions = ["how do i get rid of bugs"]\n',
        encoding="utf-8",
    )
    IndexTab(console).rebuild()
    status = IndexTab(console).index_status()
    assert "3 taught questions; 67% of them have a nearest other taught question taught to the same passage" in status
    assert "guide the ranking from 10%, fully from 50%" in status
    assert "A ranking is learned from 30 taught questions on; 3 so far." in status


def test_index_status_and_a_rebuild_that_goes_live(console: StaffConsole, settings: Settings):
    before = live_build(settings.index_dir)
    status = IndexTab(console).index_status()
    assert "Up to date with" in status and f"**Live build** {before}" in status
    assert "of passages are FAQ entries with a question of their own" in status  # how much those questions count
    (settings.knowledge_dir / "tulips.md").write_text(
        "---\ntitle: Tulips\n---\n\n## When do tulips flower?\n\nTulips flower in April in most gardens.\n",
        encoding="utf-8",
    )
    assert "**Out of date:** changed since the build: tulips.md" in IndexTab(console).index_status()
    assert "**The index is out of date** (tulips.md changed)" in InspectorTab(console).inspect(ROSES)[1]

    summary, status = IndexTab(console).rebuild()
    after = live_build(settings.index_dir)
    assert after != before
    assert summary.startswith(f"**Built {settings.index_dir}/ ({after})**: 2 documents, ")
    assert "1 added, 0 changed, 0 removed" in summary and "It is live" in summary
    assert f"**Live build** {after}" in status and "Up to date with" in status and f"Previous build: {before}" in status
    chat, decision, _ = InspectorTab(console).inspect("When do tulips flower?")  # the console follows the new build
    assert "Tulips flower in April" in chat[1]["content"] and "**Answered**" in decision


def test_a_broken_file_is_not_built_and_the_problem_is_named(console: StaffConsole, settings: Settings):
    before = live_build(settings.index_dir)
    (settings.knowledge_dir / "broken.md").write_bytes(b"---\ntitle: [oops\n---\n\nText.\n")
    summary, status = IndexTab(console).rebuild()
    assert summary.startswith("**Not rebuilt**: fix these in ") and "the live index is unchanged" in summary
    assert "broken.md:3: error: front matter is not valid YAML" in summary
    assert live_build(settings.index_dir) == before and "**Out of date:**" in status


def test_only_one_rebuild_runs_at_a_time(console: StaffConsole):
    console.build_lock.acquire()
    try:
        summary, _ = IndexTab(console).rebuild()
    finally:
        console.build_lock.release()
    assert summary == "A rebuild is already running; wait for its summary."
