"""The console's Documents tab: the documents with their details; an upload previewed without changing anything,
then added through a staged build, published and rolled back; details edited; a document retired; each step in
the audit log, and a change that is discarded or rolled back leaves the knowledge folder as it was."""

from __future__ import annotations

import json
import re
from html import unescape
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from bot.config import Settings
from bot.console import StaffConsole
from bot.console.documents import DocumentsTab
from bot.console.publishing import Publishing
from bot.index import STAGED, build_index, live_build, publish_staged
from bot.index.pointers import read_pointer
from bot.knowledge import load_knowledge
from bot.knowledge.phrasings import PHRASINGS_FILE, PhrasingsFile

from conftest import FakeEmbedder
from documents import TITLE, slow_pdf, word_document


@pytest.fixture
def tab(fake_index: Settings, tmp_path: Path) -> DocumentsTab:
    (tmp_path / "eval").mkdir()
    case = {"question": "What tools do I need for pruning?", "expect": ["secateurs"]}
    (tmp_path / "eval" / "garden.jsonl").write_text(json.dumps(case), encoding="utf-8")
    settings = fake_index.replace(eval_dir=tmp_path / "eval", data_dir=tmp_path / "data")
    return DocumentsTab(StaffConsole(settings, embedder=FakeEmbedder()))


def shown_text(markdown: str) -> str:
    """What staff read of a Markdown message: its text, without the markup."""
    html = MarkdownIt("commonmark").render(markdown)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", "", html))).strip()


def test_a_title_or_a_dropped_part_is_shown_as_text_in_the_preview(tab: DocumentsTab, tmp_path: Path):
    """A page's title and what was dropped are the file's words, perhaps a stranger's: "![](…)" in a title was an
    image fetched from that server when staff previewed the page, and "[sign in](…)" a live link."""
    page = tmp_path / "page.html"
    page.write_text(
        "<h1>Roses ![x](https://evil.example/p.png) [sign in](https://evil.example/login)</h1>"
        "<p>Prune roses in late winter.</p><figure><img src='a.png' alt='**see** [here](https://evil.example)'>"
        "</figure>",
        encoding="utf-8",
    )
    text, _ = tab.preview(str(page))
    html = MarkdownIt("commonmark").render(text)
    assert "<img" not in html and 'evil.example/login"' not in html and "<a " not in html, html
    assert "Roses ![x](https://evil.example/p.png) [sign in](https://evil.example/login)" in shown_text(text)
    assert "'**see** [here](https://evil.example)'" in shown_text(text)


def folder_state(tab: DocumentsTab) -> dict[str, bytes]:
    folder = Path(tab.settings.knowledge_dir)
    return {p.name: p.read_bytes() for p in folder.iterdir()}


def test_the_table_lists_each_document_with_its_details_passages_and_last_change(tab: DocumentsTab):
    [row] = tab.table()
    assert row[:6] == ["garden.md", "Garden Care Guide", "Green Thumb Club", "2024-05-01", "", 5]
    assert len(row[6]) == len("2026-01-31 12:00")


def test_an_upload_is_previewed_then_staged_published_and_rolled_back_with_the_folder(tab: DocumentsTab, tmp_path):
    upload = word_document(tmp_path / "Pruning Guide.docx")
    before, live = folder_state(tab), live_build(tab.settings.index_dir)
    text, passages = tab.preview(str(upload))
    shown = shown_text(text)
    assert shown.startswith(f"Pruning Guide.docx → pruning-guide.md: {TITLE} (Green Thumb Club), 6 passages.")
    assert "Pruning Guide.docx: under 'Keeping tools clean': dropped an image" in shown
    assert [passages[1][1], passages[1][2].split("\n")[0]] == ["Tools", "Pruning tools include:"]
    assert folder_state(tab) == before and live_build(tab.settings.index_dir) == live  # a preview changes nothing

    status, diff, listing = tab.add(str(upload), replace=False)
    assert status.startswith("Added pruning-guide.md from Pruning Guide.docx. **Staged build ")
    assert [row[0] for row in diff] == ["What tools do I need for pruning?"]
    assert "pruning-guide.md" in [row[0] for row in listing] and live_build(tab.settings.index_dir) == live
    assert tab.add(str(upload), replace=True)[0].startswith("**A change is staged already**")

    published, _ = tab.publish()
    assert published.startswith("**Build ") and live_build(tab.settings.index_dir) != live
    answer = tab.console.assistant().ask("What tools do I need for pruning?")
    assert answer.answer.passage.source.path == "pruning-guide.md"

    rolled, listing = tab.roll_back()
    assert "The knowledge folder is as it was before" in rolled and live_build(tab.settings.index_dir) == live
    assert folder_state(tab) == before and [row[0] for row in listing] == ["garden.md"]
    actions = [(e.user, e.action) for e in tab.console.audit.entries(newest_first=False)]
    assert actions == [("staff", "build (staged)"), ("staff", "import"), ("staff", "publish"), ("staff", "rollback")]


def test_edited_details_change_only_the_front_matter_and_a_discard_puts_them_back(tab: DocumentsTab):
    garden = Path(tab.settings.knowledge_dir) / "garden.md"
    original = garden.read_text(encoding="utf-8")
    assert tab.details("garden.md") == ("Garden Care Guide", "", "Green Thumb Club", "2024-05-01", "")
    status, changed, listing = tab.edit(
        "garden.md", "Garden Care", "", "Green Thumb Club", "2024-06", "https://example.org/g"
    )
    assert status.startswith("Edited the details of garden.md. **Staged build ")
    assert changed == []  # the same passage comes first under its new title and date: no answer changed
    edited = garden.read_text(encoding="utf-8")
    assert edited.startswith(
        "---\ntitle: Garden Care\npublisher: Green Thumb Club\ndate: 2024-06\nurl: https://example.org/g\n---\n"
    )
    assert edited.split("\n---\n", 1)[1].strip() == original.split("\n---\n", 1)[1].strip()  # the text untouched
    assert listing[0][1:5] == ["Garden Care", "Green Thumb Club", "2024-06", "https://example.org/g"]
    discarded, _ = tab.discard()
    assert "discarded" in discarded and garden.read_text(encoding="utf-8") == original
    assert not (Path(tab.settings.index_dir) / STAGED).exists()


def test_a_page_opened_while_a_build_is_staged_says_so(tab: DocumentsTab):
    """A reload, or a second member of staff, read "Nothing staged." and could publish the build unknowingly."""
    assert tab.staged_status() == "Nothing staged."
    tab.edit("garden.md", "Garden Care", "", "Green Thumb Club", "2024-06", "")
    name = read_pointer(tab.settings.index_dir, STAGED)
    assert tab.staged_status() == (
        f"**Staged build {name}**: edited the details of garden.md. Publish makes it live; Discard forgets it."
    )
    tab.discard()
    elsewhere = Publishing(tab.console).stage("carol", "taught from visitor questions")
    said = tab.staged_status()
    assert said.startswith(f"**Build {elsewhere.build} is staged** by carol (taught from visitor questions), not from")
    assert "publish or discard it where it was staged" in said
    assert tab.publish()[0].startswith("Nothing is staged here")  # as the status said: this tab's buttons are its own


def test_a_retired_document_leaves_the_folder_with_a_copy_kept(fake_index: Settings, tab: DocumentsTab, tmp_path):
    (Path(tab.settings.knowledge_dir) / "extra.md").write_text("---\ntitle: Extra\n---\n\nShort text.\n", "utf-8")
    status, _, listing = tab.retire("extra.md")
    assert status.startswith("Retired extra.md (a copy is in ") and [row[0] for row in listing] == ["garden.md"]
    [kept] = (tmp_path / "data" / "retired").iterdir()
    assert kept.read_text(encoding="utf-8").endswith("Short text.\n")
    assert tab.publish()[0].startswith("**Build ")
    assert ("staff", "retire") in [(e.user, e.action) for e in tab.console.audit.entries()]


def taught(tab: DocumentsTab) -> str:
    path = Path(tab.settings.knowledge_dir) / PHRASINGS_FILE
    return path.read_text(encoding="utf-8") if path.exists() else ""


def teach_extra_document(tab: DocumentsTab) -> None:
    """A second document, with a visitor's question taught to its passage and one to the garden guide's."""
    folder = Path(tab.settings.knowledge_dir)
    (folder / "extra.md").write_text("---\ntitle: Extra\n---\n\n# Compost\n\nTurn the heap monthly.\n", "utf-8")
    passages = load_knowledge(folder).passages
    compost = next(p for p in passages if p.headings == ("Compost",))
    with PhrasingsFile(folder) as phrasings:
        phrasings.teach(compost, "how often do I turn compost?", passages)
        garden = next(p for p in passages if p.source.path == "garden.md")
        phrasings.teach(garden, "how much water do plants need?", passages)


def test_questions_taught_to_a_retired_document_are_untaught_with_it_and_a_discard_puts_them_back(tab: DocumentsTab):
    """Left in phrasings.toml, they named a passage no longer there: every build failed, the console's included,
    until someone edited the file by hand, which the console cannot do."""
    teach_extra_document(tab)
    before = folder_state(tab)
    status, _, _ = tab.retire("extra.md")
    assert "1 taught question untaught ('how often do I turn compost?')" in status and "**Staged build " in status
    assert "turn compost" not in taught(tab) and "how much water do plants need?" in taught(tab)
    assert "untaught ('how often do I turn compost?')" in tab.console.audit.entries()[0].detail
    discarded, _ = tab.discard()
    assert "discarded" in discarded and folder_state(tab) == before


def test_questions_taught_to_a_document_whose_title_changes_move_with_its_passages(tab: DocumentsTab):
    teach_extra_document(tab)
    status, _, _ = tab.edit("extra.md", "Extra Notes", "", "", "", "")
    assert "1 taught question moved with its passages ('how often do I turn compost?')" in status
    assert 'passage = "Extra Notes › Compost"' in taught(tab) and "**Staged build " in status
    assert tab.publish()[0].startswith("**Build ")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda tab, up: tab.add(str(up.with_suffix(".pptx")), False), r"**Cannot import slides\.pptx:** slides\.pptx"),
        (lambda tab, up: tab.add(None, False), "Upload a file first."),
        (lambda tab, up: tab.edit("garden.md", "Garden", "", "", "June 2024", ""), "**Not changed:** the date must"),
        (lambda tab, up: tab.edit("garden.md", " ", "", "", "", ""), "**Not changed:** a document needs a title"),
        (lambda tab, up: tab.edit("../outside.md", "T", "", "", "", ""), "Choose a document first."),
        (lambda tab, up: tab.retire("nowhere.md"), "Choose a document first."),
        (lambda tab, up: tab.add(str(up), False), "**garden.md is already a document.**"),
    ],
)
def test_bad_input_gets_a_clear_message_and_changes_nothing(tab: DocumentsTab, tmp_path: Path, change, message):
    upload = tmp_path / "up" / "garden.md"
    upload.parent.mkdir()
    upload.write_text("# Garden\n\nA new text.\n", encoding="utf-8")
    (upload.parent / "slides.pptx").write_bytes(b"PK")
    upload = upload.parent / ("slides.pptx" if "pptx" in message else "garden.md")
    before, live = folder_state(tab), live_build(tab.settings.index_dir)
    assert change(tab, upload)[0].startswith(message)
    assert folder_state(tab) == before and live_build(tab.settings.index_dir) == live
    assert tab.console.audit.entries() == []


def test_an_upload_that_takes_too_long_to_read_is_refused_and_changes_nothing(tab: DocumentsTab, tmp_path: Path):
    tab.settings = tab.settings.replace(console_import_seconds=2)
    before = folder_state(tab)
    preview, _ = tab.preview(str(slow_pdf(tmp_path / "slow.pdf", 3_000_000)))
    assert shown_text(preview).startswith("Cannot import slow.pdf: slow.pdf took more than 2 s to read")
    assert folder_state(tab) == before


def test_the_name_of_a_file_that_cannot_be_imported_is_shown_as_text(tab: DocumentsTab, tmp_path: Path):
    """Gradio keeps '[', ']', '(' and ')' in an upload's name: this one was a link in the message."""
    upload = tmp_path / "[Sign in again](https:evil.example).pdf"
    upload.write_bytes(b"%PDF-1.4\n%%EOF\n")
    for text in (tab.preview(str(upload))[0], tab.add(str(upload), False)[0]):
        html = MarkdownIt("commonmark").render(text)
        assert "<a " not in html and shown_text(text).startswith("Cannot import [Sign in again](https:evil"), html


def test_a_change_that_does_not_build_is_taken_back_out_of_the_folder(tab: DocumentsTab, tmp_path: Path):
    broken = tmp_path / "notes.md"
    broken.write_text("# Notes\n\nText.\n", encoding="utf-8")
    (Path(tab.settings.knowledge_dir) / "site.toml").write_text("fallback = 3\n", encoding="utf-8")  # breaks builds
    before = folder_state(tab)
    status, _, _ = tab.add(str(broken), replace=False)
    assert status.startswith("**Not built**") and "site.toml" in status
    assert folder_state(tab) == before and tab.staged is None


def test_rolling_back_twice_puts_the_document_back_with_its_build(tab: DocumentsTab, tmp_path: Path):
    upload = word_document(tmp_path / "Pruning Guide.docx")
    tab.add(str(upload), replace=False)
    tab.publish()
    published, added = live_build(tab.settings.index_dir), folder_state(tab)
    tab.roll_back()
    assert "pruning-guide.md" not in folder_state(tab)
    redone, listing = tab.roll_back()
    assert live_build(tab.settings.index_dir) == published and folder_state(tab) == added
    assert "pruning-guide.md" in [row[0] for row in listing] and "undone" in redone


def test_a_staged_change_published_elsewhere_is_never_undone_here(tab: DocumentsTab, tmp_path: Path):
    """`python -m bot publish` (or another tab) makes the staged build live: Discard must not take the document out
    from under the live build, and a new change is not blocked by the old one."""
    upload = word_document(tmp_path / "Pruning Guide.docx")
    tab.add(str(upload), replace=False)
    publish_staged(tab.settings.index_dir)
    added = folder_state(tab)
    text, _ = tab.discard()
    assert text.startswith("**The staged build with this change is gone** (added pruning-guide.md from Pruning")
    assert folder_state(tab) == added and tab.staged is None
    assert tab.edit("garden.md", "Garden Care", "", "Green Thumb Club", "", "")[0].startswith("Edited the details")


def test_a_roll_back_of_a_build_the_tab_did_not_publish_leaves_the_documents(tab: DocumentsTab, tmp_path: Path):
    upload = word_document(tmp_path / "Pruning Guide.docx")
    tab.add(str(upload), replace=False)
    tab.publish()
    settings = tab.settings
    build_index(load_knowledge(settings.knowledge_dir), settings.index_dir, FakeEmbedder(), publish=True)  # a rebuild
    added = folder_state(tab)
    text, _ = tab.roll_back()
    assert text.startswith("**Build ") and "already holds the files this build read." in text
    assert "No document changed" not in text  # which it said when files did go back with a build from elsewhere
    assert folder_state(tab) == added
