"""Console content changes: a staged build, the suite answers it changes, publish and roll back, each audited."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from bot.audit import AuditLog
from bot.config import Settings
from bot.console import StaffConsole
from bot.console.activity import ActivityTab
from bot.console.publishing import Publishing
from bot.evaluate import suite_questions
from bot.index import PREVIOUS, live_build
from bot.index.pointers import read_pointer

from conftest import FakeEmbedder


@pytest.fixture
def console(fake_index: Settings, tmp_path: Path) -> StaffConsole:
    (tmp_path / "eval").mkdir()
    roses = {"question": "When should I prune roses?", "expect": ["Prune roses"]}
    cases = [roses, {"question": "aphids?", "expect": None}]
    (tmp_path / "eval" / "garden.jsonl").write_text("\n".join(json.dumps(c) for c in cases), encoding="utf-8")
    settings = fake_index.replace(eval_dir=tmp_path / "eval", data_dir=tmp_path / "data")
    return StaffConsole(settings, embedder=FakeEmbedder())


def test_a_change_is_staged_compared_published_and_rolled_back_with_an_audit_trail(console: StaffConsole):
    live = live_build(console.settings.index_dir)
    garden = Path(console.settings.knowledge_dir) / "garden.md"
    text = garden.read_text(encoding="utf-8")
    garden.write_text(text.replace("### When should I prune roses?", "### Caring for roses"), "utf-8")
    publishing = Publishing(console)
    staged = publishing.stage("alice", "edited garden.md")
    assert staged.ok and "ready but not live" in staged.text
    assert live_build(console.settings.index_dir) == live  # staging changes nothing live
    assert [question for question, _, _ in staged.changes] == ["When should I prune roses?"]
    assert publishing.publish("alice").startswith("**Build ") and live_build(console.settings.index_dir) != live
    assert read_pointer(console.settings.index_dir, PREVIOUS) == live
    assert "live again" in publishing.roll_back("bob") and live_build(console.settings.index_dir) == live
    assert garden.read_text(encoding="utf-8") == text  # the folder as the live build read it: a rebuild changes nothing
    actions = [(e.user, e.action) for e in console.audit.entries(newest_first=False)]
    assert actions == [("alice", "build (staged)"), ("alice", "publish"), ("bob", "rollback")]
    assert ActivityTab(console).activity()[0][1:3] == ["bob", "rollback"]
    assert "is back as this build read it (garden.md)" in console.audit.entries()[0].detail


def test_a_staged_change_is_compared_on_the_suite_lines_that_say_what_answers_them(tmp_path: Path):
    """An urgent set's lines test the notice, and made staging ask 17,542 questions of two builds, a quarter hour;
    a question in two suites is asked once."""
    suites = [tmp_path / "answers.jsonl", tmp_path / "urgent.jsonl"]
    lines = [
        {"question": "When should I prune roses?", "expect": ["Prune roses"]},
        {"question": "aphids?", "expect": None},
        {"question": "my chest hurts", "urgent": True, "expect": ["Call"]},
    ]
    suites[0].write_text("\n".join(json.dumps(line) for line in lines), encoding="utf-8")
    urgent = [{"question": "I can't breathe", "urgent": True}, {"question": "aphids?", "expect": None}]
    suites[1].write_text("\n".join(json.dumps(line) for line in urgent), encoding="utf-8")
    assert suite_questions(suites) == ["When should I prune roses?", "aphids?", "my chest hurts"]


def test_a_broken_knowledge_file_is_not_staged_and_nothing_is_audited(console: StaffConsole):
    (Path(console.settings.knowledge_dir) / "broken.md").write_text("---\ntitle: [unclosed\n---\ntext\n", "utf-8")
    staged = Publishing(console).stage("alice", "added broken.md")
    assert not staged.ok and "broken.md" in staged.text and "the live index is unchanged" in staged.text
    assert console.audit.entries() == []
    said = Publishing(console).publish("alice")
    assert said.startswith("**Not published:** no change is staged") and "python -m" not in said


def test_a_test_suite_that_cannot_be_read_still_stages_the_build_and_says_which_line(console: StaffConsole):
    """A suite line staff wrote wrongly (here "expect": [], which says nothing of what is right) made "Add and
    stage" fail with Gradio's bare "Error", after the build was staged."""
    suite = Path(console.settings.eval_dir) / "mine.jsonl"
    suite.write_text(json.dumps({"question": "roses?", "expect": []}) + "\n", encoding="utf-8")
    staged = Publishing(console).stage("alice", "edited garden.md")
    assert staged.ok and "is ready but not live" in staged.text and "mine.jsonl:1: expected" in staged.text
    assert staged.changes == [] and staged.text.endswith("Publish to make it live.")


def test_the_audit_log_is_private_and_skips_damaged_lines(tmp_path: Path):
    log = AuditLog.in_folder(tmp_path / "data")
    log.record("carol", "teach", "'is it safe?' → Safety")
    with open(log.path, "a", encoding="utf-8") as out:
        out.write("not json\n")
    log.record("dave", "publish", "20261130T000000Z")
    assert [e.user for e in log.entries()] == ["dave", "carol"]
    assert stat.S_IMODE(os.stat(log.path).st_mode) == 0o600


class Staff:
    """What Gradio passes for a signed-in user."""

    def __init__(self, username: str):
        self.username = username


def test_teaching_from_the_console_writes_the_knowledge_folder_and_audits_each_step(console: StaffConsole):
    from bot.console.teach import Teacher, label
    from bot.knowledge import load_knowledge

    teacher = Teacher(console)
    question = "when is the right time to cut roses"
    choices = teacher.choices(question)
    roses = next(c for c in choices if "When should I prune roses?" in c)
    assert teacher.choices("", "pests") and all("Pests" in c for c in teacher.choices("", "pests"))
    assert teacher.teach(question, roses, Staff("ann")).startswith("Taught")
    assert "already taught" in teacher.teach(question, roses, Staff("ann"))
    assert teacher.not_answered("do you sell seeds", Staff("ann")).startswith("Marked")
    assert teacher.urgent("the greenhouse is on fire", Staff("bo")).startswith("Added")
    knowledge = load_knowledge(console.settings.knowledge_dir)
    taught = next(p for p in knowledge.passages if p.phrasings)
    assert label(taught) == roses and taught.phrasings == (question,)
    assert knowledge.not_answered == ("do you sell seeds",)
    assert "the greenhouse is on fire" in knowledge.site.urgent_examples
    text, changes, compared = teacher.stage(Staff("bo"))
    assert text.startswith("**Staged build") and isinstance(changes, list)
    assert teacher.publish(None, Staff("bo")).startswith("**Not published:** nothing was staged on this page")
    assert teacher.publish(compared, Staff("bo")).startswith("**Build ")
    assert teacher.untaught(question, Staff("cy")).startswith("Removed")
    actions = [(e.user, e.action) for e in console.audit.entries(newest_first=False)]
    assert actions == [
        ("ann", "teach"),
        ("ann", "not answered"),
        ("bo", "urgent"),
        ("bo", "build (staged)"),
        ("bo", "publish"),
        ("cy", "untaught"),
    ]


def test_teaching_a_question_marked_not_answered_replaces_the_mark_and_the_other_way_round(console: StaffConsole):
    """A question taught after it was marked "not answered here" stayed marked too: answered and refused at once,
    with no word of it until `check`."""
    from bot.console.teach import Teacher
    from bot.knowledge import load_knowledge

    teacher = Teacher(console)
    question = "when is the right time to cut roses"
    roses = next(c for c in teacher.choices(question) if "When should I prune roses?" in c)
    assert teacher.not_answered(question, Staff("ann")).startswith("Marked")
    said = teacher.teach(question, roses, Staff("bo"))
    assert "It was marked not answered here; that mark is removed." in said
    knowledge = load_knowledge(console.settings.knowledge_dir)
    assert knowledge.not_answered == () and not [w for w in knowledge.warnings if "phrasings" in w.path]
    assert next(p for p in knowledge.passages if p.phrasings).phrasings == (question,)
    said = teacher.not_answered(question, Staff("cy"))
    assert said.startswith("Marked") and said.endswith("It was taught to 1 passage; that is removed.")
    knowledge = load_knowledge(console.settings.knowledge_dir)
    assert knowledge.not_answered == (question,) and not any(p.phrasings for p in knowledge.passages)
    details = [e.detail for e in console.audit.entries(newest_first=False)]
    assert details[1].endswith("(was marked not answered here)") and details[2].endswith("(was taught to 1)")


def test_publish_makes_live_the_build_its_page_compared_not_one_staged_since_by_someone_else(console: StaffConsole):
    """Alice compared her staged build; Bob then staged a document edit over it; Alice's Publish made Bob's unseen
    edit live, and the audit log said Alice published it."""
    from bot.console.teach import Teacher

    alice = Teacher(console)
    _, _, compared = alice.stage(Staff("alice"))
    garden = Path(console.settings.knowledge_dir) / "garden.md"
    garden.write_text(garden.read_text(encoding="utf-8") + "\n## Prices\n\nA price Bob made up.\n", "utf-8")
    bobs = Publishing(console).stage("bob", "edited garden.md").build
    live = live_build(console.settings.index_dir)
    said = alice.publish(compared, Staff("alice"))
    waiting = f"{bobs} by bob (edited garden.md; replaces staged build {compared})"  # Alice's: she is told so
    assert said.startswith(f"**Not published:** the build waiting now is {waiting}, not {compared}, which you compared")
    assert live_build(console.settings.index_dir) == live  # nothing went live
    assert Publishing(console).publish("bob", bobs).startswith(f"**Build {bobs} is live")  # its own stager may


def test_a_build_goes_live_over_a_damaged_live_one_from_the_console(console: StaffConsole):
    """Publish checked the staged build with the live build's assistant, so a damaged live build, the one a new
    build should replace, refused every Publish and Roll back, blaming the staged build."""
    from bot.index.folder import build_folder

    index_dir = console.settings.index_dir
    live = live_build(index_dir)
    (build_folder(index_dir, live) / "vectors.faiss").unlink()
    publishing = Publishing(console)
    staged = publishing.stage("ann", "a fix")
    assert publishing.publish("ann", staged.build).startswith(f"**Build {staged.build} is live")
    assert live_build(index_dir) == staged.build


def test_a_visitors_question_is_shown_to_staff_as_text_never_as_a_link_or_an_image(console: StaffConsole):
    """Anyone can type a question, and the tab's messages are Markdown: "[sign in](…)" was a live link in the
    console, and "![](…)" an image fetched from the writer's server when staff taught or marked the question."""
    from markdown_it import MarkdownIt

    from bot.console.teach import Teacher, label

    teacher = Teacher(console)
    question = "roses [sign in again](https://evil.example/login) ![x](https://evil.example/pixel.png) **now**"
    roses = next(label(p) for p in teacher.passages() if "prune roses" in label(p))
    messages = [
        teacher.teach(question, roses, Staff("ann")),
        teacher.teach(question, roses, Staff("ann")),
        teacher.not_answered(question, Staff("ann")),
        teacher.urgent(question, Staff("ann")),
        teacher.untaught(question, Staff("ann")),
    ]
    for message in messages:
        html = MarkdownIt("commonmark").render(message)
        assert "<a " not in html and "<img" not in html and "<strong>now" not in html, message
        assert "sign in again" in html and "evil.example/pixel.png" in html  # the words are all there, as text
    assert console.audit.entries()[-1].detail.startswith(repr(question))  # the audit log keeps the text as typed


def test_teaching_needs_a_question_and_a_passage(console: StaffConsole):
    from bot.console.teach import Teacher

    teacher = Teacher(console)
    assert teacher.teach("", "", None).startswith("Pick a question")
    assert teacher.teach("roses?", "no such passage", None).startswith("Pick the passage")
    assert teacher.untaught("never taught", None) == "“never taught” was not taught or marked."
    assert teacher.untaught("  ", None).startswith("Pick a question")
    roses = next(c for c in teacher.choices("roses") if "When should I prune roses?" in c)
    long = "roses " * 200  # as `python -m bot teach` skips it: longer than a visitor may ask, none would match it
    assert teacher.teach(long, roses, None).startswith("Not taught: the question is 1,199 characters")
    assert teacher.not_answered(long, None).startswith("Not marked: the question is 1,199 characters")
    # site.toml refuses an urgent example without a word: every build failed on it, and nothing here removes one
    assert teacher.urgent("😱😱😱 ???", None).endswith("has no words for messages to be matched by; it was not added.")
    assert Publishing(console).stage("ann", "nothing").ok
    assert [e.action for e in console.audit.entries()] == ["build (staged)"]
