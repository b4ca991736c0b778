"""The visit log: what is stored (redacted, no identifiers), for how long, the lists staff read, the CSV,
and writes from many visitors at once."""

from __future__ import annotations

import csv
import io
import sqlite3
import threading
from datetime import date, timedelta
from pathlib import Path

import pytest

from bot.config import Settings
from bot.errors import BotError
from bot.visits import (
    CSV_COLUMNS,
    DISLIKE,
    DISLIKED,
    EITHER,
    LIKE,
    UNANSWERED,
    VISITS_FILE,
    TurnRows,
    VisitLog,
    to_csv,
)

TODAY = date(2026, 3, 31)


@pytest.fixture
def visits(tmp_path: Path) -> VisitLog:
    log = VisitLog(tmp_path / "data" / VISITS_FILE, retention_days=30)
    yield log
    log.close()


def test_a_turn_is_stored_redacted_with_no_identifier(visits: VisitLog):
    row = visits.record("Can I email you at a@b.com about my 07700900123?", False, [], today=TODAY)
    assert row is not None
    (visit,) = visits.visits()
    assert visit.question == "Can I email you at [email] about my [phone]?"
    assert (visit.asked_on, visit.answered, visit.passages, visit.feedback) == ("2026-03-31", False, (), None)
    with sqlite3.connect(visits.path) as db:
        columns = [c[1] for c in db.execute("PRAGMA table_info(visits)")]
        raw = db.execute("SELECT * FROM visits").fetchall()
    assert columns == ["id", "asked_on", "question", "answered", "passages", "feedback"]  # no IP, session, time
    assert "a@b.com" not in repr(raw) and "07700900123" not in repr(raw)


def test_a_lone_surrogate_is_stored_cleaned_and_a_failure_to_record_never_raises(visits: VisitLog, caplog, monkeypatch):
    """record raised UnicodeEncodeError on "\\ud800", costing the visitor the answer (issue 15, finding 3)."""
    row = visits.record("\ud800 side effects?", True, ["p1"], today=TODAY)
    assert row is not None and visits.visits()[0].question == "\ufffd side effects?"
    monkeypatch.setattr("bot.visits.clean_text", lambda text: text)  # text the cleaning misses: not an sqlite error
    assert visits.record("\udfff again?", True, [], today=TODAY) is None
    assert "UnicodeEncodeError" in caplog.text
    monkeypatch.undo()
    visits.close()  # whatever goes wrong in the log, the chat goes on: logged, not raised
    assert visits.record("What are NK cells?", True, [], today=TODAY) is None
    assert "could not record a question in the visit log" in caplog.text
    assert visits.feedback(row, LIKE) is False


def test_a_nul_or_a_direction_override_is_not_stored(visits: VisitLog):
    """A NUL was stored as sent (PostgreSQL refuses one in text), and U+202E turned the question around in the
    staff's table (QA finding A7)."""
    visits.record("What are the side effects\x00?", True, ["p1"], today=TODAY)
    visits.record("\u202eWhat are NK cells?\u202c", True, ["p1"], today=TODAY)
    assert sorted(v.question for v in visits.visits()) == ["What are NK cells?", "What are the side effects ?"]


def test_the_log_and_its_folder_are_readable_by_their_owner_only(tmp_path: Path):
    opened = tmp_path / "open"
    opened.mkdir(mode=0o755)
    opened.chmod(0o755)  # a data folder made by hand, with the usual umask
    for folder in (tmp_path / "new" / "data", opened):
        log = VisitLog(folder / VISITS_FILE)
        log.record("What are NK cells?", True, [], today=TODAY)
        files = [folder / name for name in (VISITS_FILE, VISITS_FILE + "-wal", VISITS_FILE + "-shm")]
        assert {oct(f.stat().st_mode & 0o777) for f in files if f.exists()} == {"0o600"}
        assert oct(folder.stat().st_mode & 0o777) == "0o700"
        log.close()


def test_thumbs_are_stored_with_their_turn_and_can_be_taken_back(visits: VisitLog):
    row = visits.record("What are NK cells?", True, ["abc", "def"], today=TODAY)
    assert visits.feedback(row, DISLIKE)
    assert visits.visits()[0].feedback == DISLIKE
    assert visits.feedback(row, LIKE) and visits.visits()[0].feedback == LIKE
    assert visits.feedback(row, None) and visits.visits()[0].feedback is None
    assert not visits.feedback(row + 1000, DISLIKE)
    with pytest.raises(ValueError, match="feedback must be"):
        visits.feedback(row, "meh")


def test_lists_put_the_most_frequent_first_counting_variants_of_one_question_together(visits: VisitLog):
    for question in ["How much does it cost?", "how much does it cost", "HOW MUCH  does it cost?!"]:
        visits.record(question, False, [], today=TODAY)
    visits.record("Is it covered by insurance?", False, [], today=TODAY)
    liked = visits.record("What are NK cells?", True, ["p1"], today=TODAY)
    visits.feedback(liked, LIKE)
    for _ in range(2):
        disliked = visits.record("Is NK therapy safe?", True, ["p2"], today=TODAY)
        visits.feedback(disliked, DISLIKE)
    visits.record("Is NK therapy safe?", True, ["p2"], today=TODAY)

    unanswered = visits.questions(UNANSWERED)
    assert [(q.question, q.asked, q.unanswered) for q in unanswered] == [
        ("HOW MUCH  does it cost?!", 3, 3),
        ("Is it covered by insurance?", 1, 1),
    ]
    (safe,) = visits.questions(DISLIKED)
    assert (safe.question, safe.asked, safe.disliked, safe.liked) == ("Is NK therapy safe?", 3, 2, 0)
    assert safe.passages == ("p2",)
    assert [q.question for q in visits.questions(EITHER)] == [
        "HOW MUCH  does it cost?!",
        "Is NK therapy safe?",
        "Is it covered by insurance?",
    ]
    assert "What are NK cells?" not in {q.question for q in visits.questions(EITHER)}


def test_rows_older_than_the_retention_period_are_deleted(visits: VisitLog):
    visits.record("asked long ago", False, [], today=TODAY - timedelta(days=31))
    visits.record("asked a month ago", False, [], today=TODAY - timedelta(days=30))
    assert len(visits.visits()) == 2
    visits.record("asked today", False, [], today=TODAY)  # the first write of a day purges
    assert [v.question for v in visits.visits()] == ["asked a month ago", "asked today"]
    assert visits.purge(TODAY + timedelta(days=30)) == 1
    assert [v.question for v in visits.visits()] == ["asked today"]


def test_the_log_is_off_with_one_setting_and_retention_must_be_positive(tmp_path: Path):
    assert VisitLog.open(Settings(data_dir=tmp_path, visit_log=False)) is None
    assert not (tmp_path / VISITS_FILE).exists()
    assert Settings.from_env({"BOT_VISIT_LOG": "0"}).visit_log is False
    with pytest.raises(BotError, match="BOT_RETENTION_DAYS must be at least 1"):
        VisitLog.open(Settings(data_dir=tmp_path, retention_days=0))
    opened = VisitLog.open(Settings(data_dir=tmp_path / "new" / "folder"))
    assert opened.path == tmp_path / "new" / "folder" / VISITS_FILE and opened.path.exists()


def test_an_unwritable_data_folder_says_what_to_do(tmp_path: Path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(BotError, match="set BOT_DATA_DIR to a writable folder, or BOT_VISIT_LOG=0"):
        VisitLog(blocker / VISITS_FILE)


def test_concurrent_visitors_and_a_second_process_all_get_their_turns_stored(tmp_path: Path):
    path = tmp_path / VISITS_FILE
    app, console = VisitLog(path), VisitLog(path)  # two connections, as the chat and the console have
    rows: list[int | None] = []

    def visitor(number: int) -> None:
        for turn in range(25):
            row = app.record(f"visitor {number} question {turn}", turn % 2 == 0, ["p"])
            rows.append(row)
            app.feedback(row, DISLIKE if turn % 3 == 0 else None)

    threads = [threading.Thread(target=visitor, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for _ in range(20):
        console.purge()
        console.questions(EITHER)
    for thread in threads:
        thread.join()
    assert None not in rows and len(set(rows)) == 200
    assert len(console.visits()) == 200
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_csv_export_has_a_header_and_never_a_formula(visits: VisitLog):
    visits.record('=HYPERLINK("http://x", "click")', False, [], today=TODAY)
    visits.record('What about "quotes", commas\nand new lines?', False, [], today=TODAY)
    rows = list(csv.reader(io.StringIO(to_csv(visits.questions(UNANSWERED)))))
    assert rows[0] == CSV_COLUMNS
    assert rows[1][0] == '\'=HYPERLINK("http://x", "click")'
    assert rows[2][0] == 'What about "quotes", commas\nand new lines?'
    assert rows[2][1:6] == ["1", "1", "0", "0", "2026-03-31"]


def test_turn_rows_find_the_answer_of_one_page_and_forget_the_oldest():
    rows = TurnRows(capacity=2)
    rows.remember("page-a", 1, 10)
    rows.remember("page-b", 1, 11)
    assert rows.row("page-a", 1) == 10 and rows.row("page-b", 1) == 11
    assert rows.row("page-c", 1) is None and rows.row(None, 1) is None and rows.row("page-a", (1, 0)) is None
    rows.remember("page-a", 3, 12)
    assert rows.row("page-a", 1) is None and rows.row("page-a", 3) == 12


@pytest.fixture
def chat(fake_index: Settings, visits: VisitLog):
    import gradio as gr

    from bot.assistant import Assistant
    from bot.index import load_index
    from bot.ui import VisitorChat

    from conftest import FakeEmbedder

    assistant = Assistant(load_index(fake_index.index_dir, FakeEmbedder()), FakeEmbedder(), fake_index)
    return VisitorChat(assistant, visits), gr


def test_each_chat_turn_is_recorded_and_a_thumbs_down_lands_on_its_row(chat, visits: VisitLog):
    chat, gr = chat
    page, other_page = gr.Request(session_hash="page-1"), gr.Request(session_hash="page-2")
    history, _ = chat.respond("When should I prune roses?", [], page)
    history, _ = chat.respond("What does a lawnmower cost? Mail me: me@example.org", history, page)
    chat.respond("When should I prune roses?", [], other_page)
    chat.respond("", [], page)  # nothing asked: nothing stored
    first, second, third = visits.visits()
    assert (first.question, first.answered) == ("When should I prune roses?", True)
    assert first.passages and first.passages[0] == chat.assistant.ask("When should I prune roses?").answer.passage.id
    assert (second.question, second.answered, second.passages) == (
        "What does a lawnmower cost? Mail me: [email]",
        False,
        (),
    )

    chat.like(gr.LikeData(None, {"index": 3, "value": history[3]["content"], "liked": False}), page)
    chat.like(gr.LikeData(None, {"index": 1, "value": history[1]["content"], "liked": True}), page)
    assert [v.feedback for v in visits.visits()] == [LIKE, DISLIKE, None]  # the other page's turn untouched
    chat.like(gr.LikeData(None, {"index": 3, "value": history[3]["content"], "liked": ""}), page)  # taken back
    assert visits.visits()[1].feedback is None
    chat.like(gr.LikeData(None, {"index": 3, "value": "", "liked": False}), gr.Request(session_hash="page-9"))
    assert visits.visits()[1].feedback is None  # another page cannot thumb this visitor's answers
    assert third.question == "When should I prune roses?"


def test_a_chosen_option_and_the_json_api_are_recorded_too(chat, visits: VisitLog):
    chat, gr = chat
    basil = chat.assistant.ask("Can I grow basil indoors?").answer.passage
    history = chat.choose([], gr.SelectData(None, {"index": 0, "value": basil.id}), gr.Request(session_hash="p"))
    chat.like(
        gr.LikeData(None, {"index": 1, "value": history[1]["content"], "liked": False}), gr.Request(session_hash="p")
    )
    chat.ask("Do you sell lawnmowers?")
    chosen, asked = visits.visits()
    assert (chosen.question, chosen.answered, chosen.passages, chosen.feedback) == (
        basil.question,
        True,
        (basil.id,),
        DISLIKE,
    )
    assert (asked.question, asked.answered) == ("Do you sell lawnmowers?", False)


def test_with_the_log_off_the_chat_stores_nothing_and_shows_no_thumbs(fake_index: Settings):
    from bot.assistant import Assistant
    from bot.index import load_index
    from bot.ui import build_visitor_app

    from conftest import FakeEmbedder

    assistant = Assistant(load_index(fake_index.index_dir, FakeEmbedder()), FakeEmbedder(), fake_index)
    off = build_visitor_app(assistant, None).get_config_file()
    on = build_visitor_app(assistant, VisitLog(fake_index.index_dir.parent / VISITS_FILE)).get_config_file()
    chatbot = [c for c in off["components"] if c["type"] == "chatbot"][0]
    assert chatbot["props"].get("feedback_options") is None
    assert "like" not in {d["api_name"] for d in off["dependencies"]}
    chatbot = [c for c in on["components"] if c["type"] == "chatbot"][0]
    assert tuple(chatbot["props"]["feedback_options"]) == ("Like", "Dislike")
    assert "like" in {d["api_name"] for d in on["dependencies"]}
