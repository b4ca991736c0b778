"""`python -m bot import`: web pages, Word files, PDFs, Markdown and text become knowledge files with their
headings, lists and FAQ questions, every word of what a reader sees and nothing else, and a report of what was
dropped and where; existing files are kept unless --replace; folders import in a batch."""

from __future__ import annotations

import re
import time
import zipfile
from pathlib import Path

import pytest

from bot.audit import AuditLog
from bot.cli import main
from bot.config import Settings
from bot.importer import Metadata, prepare
from bot.importer.document import ImportFailed
from bot.index import build_index
from bot.knowledge import load_knowledge, parse_document

from conftest import FIXTURE_KNOWLEDGE, CountingEmbedder
from documents import (
    AUTHOR,
    CONTENT,
    IMAGE_ALT,
    NAVIGATION,
    TABLE_CELL,
    TITLE,
    WORD_FOOTER,
    WORD_HEADER,
    expected_markdown_lines,
    html_page,
    pdf_document,
    slow_pdf,
    visible_blocks,
    word_document,
)


def make(kind: str, folder: Path) -> Path:
    if kind == "html":
        path = folder / "pruning.html"
        path.write_text(html_page(), encoding="utf-8")
        return path
    return (word_document if kind == "docx" else pdf_document)(folder / f"pruning.{kind}")


# A Word or PDF file's author is a property whatever program saved it filled in ("python-docx", "Windows User")
AUTHOR_NOTE = (
    f"author {AUTHOR!r} is the file's own property, which often names a computer or a template: every citation shows "
    "it; set --author (or the author in the console's details) if that is not who wrote it"
)
# Where each format says a dropped part was: the page's line, the heading above it, the PDF's page.
DROPS = {
    "html": [
        f"line 4, before the first heading: dropped navigation: {NAVIGATION!r}",
        f"line 15, under 'Keeping tools clean': dropped a figure ({IMAGE_ALT!r})",
        f"line 16, under 'Keeping tools clean': dropped a table: '{TABLE_CELL} March'",
    ],
    "docx": [
        "under 'Keeping tools clean': dropped an image",
        f"under 'Keeping tools clean': dropped a table: {TABLE_CELL!r}",
        f"page footer: dropped {WORD_FOOTER!r}",
        f"page header: dropped {WORD_HEADER!r}",
        AUTHOR_NOTE,
    ],
    "pdf": [
        "page 1: dropped an image",
        "page 1: dropped page furniture: '1'",
        "page 2: dropped page furniture: '2'",
        AUTHOR_NOTE,
    ],
}


@pytest.mark.parametrize("kind", ["html", "docx", "pdf"])
def test_each_format_keeps_its_structure_every_word_and_reports_what_it_dropped(kind, tmp_path: Path, capsys):
    source = make(kind, tmp_path)
    assert main(["import", str(source), "--knowledge", str(tmp_path / "knowledge")]) == 0
    out = capsys.readouterr().out
    written = tmp_path / "knowledge" / "pruning.md"
    markdown = written.read_text(encoding="utf-8")
    assert markdown.startswith(f"---\ntitle: {TITLE}\nauthor: {AUTHOR}\n---\n\n")  # the document's own metadata
    body = [line for line in markdown.split("\n---\n", 1)[1].splitlines() if line.strip()]
    assert body == expected_markdown_lines()  # headings with their levels, both lists, the FAQ questions
    assert visible_blocks(markdown) == [text for _, text in CONTENT]  # every sentence, in order, nothing else
    assert f"wrote {written} (6 passages) from {source}" in out
    [entry] = AuditLog.in_folder(Settings.from_env().data_dir).entries()[:1]
    assert (entry.user, entry.action, entry.detail) == ("cli", "import", f"pruning.md from {source.name}")
    reported = [line.strip().removeprefix(f"{source.name}: ") for line in out.splitlines() if line.startswith("  ")]
    assert reported == DROPS[kind]


@pytest.mark.parametrize("kind", ["html", "docx", "pdf"])
def test_an_imported_list_is_one_passage_with_its_introduction(kind, tmp_path: Path):
    imported = prepare(make(kind, tmp_path), tmp_path / "knowledge")
    tools = next(p for p in imported.passages if p.text.startswith("Pruning tools include:"))
    items = [text for k, text in CONTENT if k == "ul"]
    assert tools.text == "Pruning tools include:\n\n" + "\n".join(f"- {item}" for item in items)
    assert tools.headings == ("Tools",)
    lavender = next(p for p in imported.passages if "lavender" in p.text)
    assert lavender.question == "When should I prune lavender?"


def test_text_a_page_hides_with_an_inline_style_is_dropped_and_reported():
    """A reader never sees an element styled display:none or visibility:hidden (kept hidden text, or a spammer's,
    in a client's page), so it is not the client's answer to quote: it was imported as a paragraph like any other."""
    from bot.importer.html import convert_html

    page = (
        "<h1>Roses</h1><p>Prune roses in late winter.</p>"
        '<p style="display: none">Buy cheap pills online</p>'
        '<div style="color: red; visibility:hidden !important"><p>Old price list</p></div>'
        '<p style="display:block">Water them weekly.</p><p style="font-display: none-ish">Feed in spring.</p>'
    )
    converted = convert_html(page)
    assert "pills" not in converted.body and "price" not in converted.body
    for shown in ("Prune roses in late winter.", "Water them weekly.", "Feed in spring."):
        assert shown in converted.body
    hidden = ["hidden text: 'Buy cheap pills online'", "hidden text: 'Old price list'"]
    assert [d.what for d in converted.drops] == hidden


def test_markdown_and_text_sources_keep_their_words_and_structure(tmp_path: Path):
    (tmp_path / "notes.md").write_text(
        "---\ntitle: Notes\nauthor: A. Gardener\n---\n\n# Notes\n\nWater *well* in [dry spells](/dry).\n\n"
        "![A hose](hose.png)\n\n| month | task |\n|---|---|\n| May | mulch |\n\nYou need:\n\n- a hose\n- a can\n",
        encoding="utf-8",
    )
    (tmp_path / "tips.txt").write_text(
        "Mulch keeps the soil moist and\nfeeds it as it rots.\nSpread it in spring.\n\nHow thick should mulch be?\n\n"
        "About five centimetres.\n\nGood mulches are:\n• bark\n• compost from\n  the heap\nKeep it off stems.\n",
        encoding="utf-8",
    )
    notes = prepare(tmp_path / "notes.md", tmp_path / "knowledge")
    assert notes.metadata == Metadata(title="Notes", author="A. Gardener")
    assert notes.markdown.endswith("# Notes\n\nWater well in dry spells.\n\nYou need:\n\n- a hose\n- a can\n")
    assert [str(drop) for drop in notes.drops] == [
        "under 'Notes': an image ('A hose')",
        "under 'Notes': a table: 'month task May mulch'",
    ]
    tips = prepare(tmp_path / "tips.txt", tmp_path / "knowledge", Metadata(publisher="Garden Club"))
    assert tips.markdown == (
        "---\ntitle: How thick should mulch be?\npublisher: Garden Club\n---\n\nMulch keeps the soil moist and\n"
        "feeds it as it rots.\n\nSpread it in spring.\n\n## How thick should mulch be?\n\nAbout five centimetres.\n\n"
        "Good mulches are:\n- bark\n- compost from\n  the heap\n\nKeep it off stems.\n"
    )
    assert any("no title in the document" in note for note in tips.notes)


def test_a_knowledge_file_imports_as_itself_and_code_never_becomes_a_heading(tmp_path: Path):
    """The fixture guide (headings, lists, FAQ questions, a code block whose first line starts with '#') comes back
    unchanged from the Markdown importer; a web page's preformatted text is one paragraph unless its first word would
    read as structure, and then it stays code."""
    source = FIXTURE_KNOWLEDGE / "garden.md"
    imported = prepare(source, tmp_path / "knowledge")
    assert imported.markdown.split("\n---\n", 1)[1] == source.read_text(encoding="utf-8").split("\n---\n", 1)[1]
    assert all("not a heading" not in heading for p in imported.passages for heading in p.headings)
    page = tmp_path / "pre.html"
    page.write_text("<h1>Pre</h1><pre>Keep it cool\n  and dry.</pre><pre># one\ntwo</pre>", encoding="utf-8")
    assert prepare(page, tmp_path / "knowledge").markdown.endswith(
        "# Pre\n\nKeep it cool and dry.\n\n```\n# one\ntwo\n```\n"
    )


def test_text_saved_with_one_paragraph_per_line_keeps_each_paragraph_and_its_lost_lists_are_warned(tmp_path: Path):
    """Text saved from a web page has no blank lines: each line that ends a sentence ends its paragraph, so an
    introduction whose list was lost stands alone (and is warned about) instead of running into the next paragraph."""
    (tmp_path / "flat.txt").write_text(
        "Roses like sun. They need six hours a day.\nYou will need:\nFeed them in spring.\nWhen should I feed them?\n"
        "Feed them after pruning.\n",
        encoding="utf-8",
    )
    flat = prepare(tmp_path / "flat.txt", tmp_path / "knowledge", Metadata(title="Roses"))
    assert flat.markdown.split("\n---\n", 1)[1] == (
        "\nRoses like sun. They need six hours a day.\n\nYou will need:\n\nFeed them in spring.\n\n"
        "## When should I feed them?\n\nFeed them after pruning.\n"
    )
    assert [p.text for p in flat.passages] == [
        "Roses like sun. They need six hours a day.",
        "Feed them in spring.",
        "Feed them after pruning.",
    ]
    assert [p.line for p in flat.problems] == [7]  # "You will need:" in the knowledge file


@pytest.mark.parametrize("name", ["nk-cell-therapy-stemcell-consultancy.txt", "debunking-3-myths-nk-cell-therapy.txt"])
def test_the_clients_texts_import_word_for_word(name: str, sources: Path, tmp_path: Path):
    """Every line of the client's texts is a line of the knowledge file, unchanged and in order, and nothing else is."""
    source = sources / name
    imported = prepare(source, tmp_path)
    body = imported.markdown.split("\n---\n", 1)[1]
    lines = [line for line in source.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert [re.sub(r"^## ", "", line) for line in body.splitlines() if line.strip()] == lines
    paragraphs = body.strip().split("\n\n")
    assert len(paragraphs) >= len(lines) - 1  # each line its own paragraph (two unpunctuated ones stay together)


def test_flags_fill_the_front_matter_over_the_documents_own(tmp_path: Path, capsys):
    source = make("html", tmp_path)
    flags = ["--title", "Pruning, Step by Step", "--publisher", "Garden Club", "--date", "2024-05-01"]
    assert (
        main(["import", str(source), "--knowledge", str(tmp_path / "k"), *flags, "--url", "https://example.org/p"]) == 0
    )
    assert (
        (tmp_path / "k" / "pruning.md")
        .read_text(encoding="utf-8")
        .startswith(
            "---\ntitle: Pruning, Step by Step\nauthor: Green Thumb Club\npublisher: Garden Club\ndate: '2024-05-01'\n"
            "url: https://example.org/p\n---\n"
        )
    )
    capsys.readouterr()
    for bad, message in [
        (["--date", "May 2024"], "error: the date must be written 2025-12-19 (or 2025-12, or 2025); got 'May 2024'"),
        (["--url", "example.org"], "error: the URL must start with https:// or http://; got 'example.org'"),
        (["--date", "2025-13-45"], "error: the date '2025-13-45' is no day of the calendar; correct it"),
        (["--date", "2025-02-30"], "error: the date '2025-02-30' is no day of the calendar; correct it"),
    ]:
        assert main(["import", str(source), "--knowledge", str(tmp_path / "other"), *bad]) == 2
        assert capsys.readouterr().err.strip() == message
    assert not (tmp_path / "other").exists()


def test_an_existing_file_is_kept_unless_replace_and_bad_sources_say_what_to_do(tmp_path: Path, capsys):
    source, knowledge = make("html", tmp_path), tmp_path / "knowledge"
    assert main(["import", str(source), "--knowledge", str(knowledge)]) == 0
    written = knowledge / "pruning.md"
    written.write_text(written.read_text(encoding="utf-8") + "\nA note staff added.\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["import", str(source), "--knowledge", str(knowledge)]) == 2
    assert capsys.readouterr().err.strip() == f"error: {written} already exists; --replace overwrites it"
    assert "A note staff added." in written.read_text(encoding="utf-8")
    assert main(["import", str(source), "--knowledge", str(knowledge), "--replace"]) == 0
    assert "A note staff added." not in written.read_text(encoding="utf-8")
    assert f"replaced {written}" in capsys.readouterr().out
    (tmp_path / "slides.pptx").write_bytes(b"PK")
    (tmp_path / "broken.docx").write_bytes(b"not a zip")
    (tmp_path / "scan.pdf").write_bytes(b"%PDF-1.4\n%%EOF\n")
    for name, message in [
        (
            "slides.pptx",
            "slides.pptx: cannot import .pptx; save it as one of .html, .htm, .docx, .pdf, .md, .txt first",
        ),
        ("broken.docx", "broken.docx cannot be read as a Word document"),
        ("scan.pdf", "scan.pdf cannot be read as a PDF"),
    ]:
        assert main(["import", str(tmp_path / name), "--knowledge", str(knowledge)]) == 2
        assert capsys.readouterr().err.startswith(f"error: {message}")
    assert main(["import", str(source), str(source), "--title", "One", "--knowledge", str(knowledge)]) == 2
    assert "--title and --url belong to one document" in capsys.readouterr().err


WORD_TYPES = (
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" '
    'ContentType="application/xml"/><Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/></Types>'
)
WORD_RELS = (
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="r1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="word/document.xml"/></Relationships>'
)


def test_a_word_file_that_unpacks_to_gigabytes_is_refused_unread(tmp_path: Path):
    """A zip bomb as .docx: 65 KB of upload made 20 MB of XML, 36 s and 235 MB to preview; within the console's
    5 MB upload limit, 1.5 GB of it, enough to stall the console and exhaust the machine's memory."""
    bomb = tmp_path / "bomb.docx"
    word = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    paragraph = b"<w:p><w:r><w:t>" + b"bomb words here " * 62_500 + b"</w:t></w:r></w:p>"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", WORD_TYPES)
        archive.writestr("_rels/.rels", WORD_RELS)
        with archive.open("word/document.xml", "w") as part:
            part.write(f'<w:document xmlns:w="{word}"><w:body>'.encode())
            for _ in range(60):
                part.write(paragraph)
            part.write(b"</w:body></w:document>")
    started = time.monotonic()
    with pytest.raises(ImportFailed, match=r"bomb.docx unpacks to 60 MB of text and markup"):
        prepare(bomb, tmp_path / "knowledge")
    assert time.monotonic() - started < 1 and bomb.stat().st_size < 200_000


def test_a_conversion_given_seconds_is_stopped_after_them_and_otherwise_the_same(tmp_path: Path):
    """A 12 KB PDF held the console's preview for minutes, in a thread nothing could stop."""
    slow = slow_pdf(tmp_path / "slow.pdf", 3_000_000)
    started = time.monotonic()
    with pytest.raises(ImportFailed, match=r"slow.pdf took more than 2 s to read"):
        prepare(slow, tmp_path / "knowledge", seconds=2)
    assert time.monotonic() - started < 30
    document = pdf_document(tmp_path / "pruning.pdf")
    within = prepare(document, tmp_path / "knowledge", seconds=60)
    assert within.markdown == prepare(document, tmp_path / "knowledge").markdown and within.passages
    damaged = tmp_path / "damaged.pdf"
    damaged.write_bytes(b"%PDF-1.4 garbage")
    with pytest.raises(ImportFailed, match=r"damaged.pdf cannot be read as a PDF"):  # its own failure, as it is
        prepare(damaged, tmp_path / "knowledge", seconds=60)


def test_a_damaged_pdf_and_a_locked_one_are_each_told_their_own_fix(tmp_path: Path, capsys):
    """Both were told "export it again without a password", with "()" for the locked one's reason."""
    from fpdf import FPDF
    from fpdf.enums import EncryptionMethod

    locked = FPDF()
    locked.add_page()
    locked.set_font("helvetica", size=12)
    locked.cell(text="Prune roses in late winter.")
    locked.set_encryption(owner_password="owner", user_password="secret", encryption_method=EncryptionMethod.RC4)
    locked.output(str(tmp_path / "locked.pdf"))
    (tmp_path / "damaged.pdf").write_bytes(b"%PDF-1.4 garbage")
    knowledge = tmp_path / "knowledge"
    for name, message in [
        ("locked.pdf", "error: locked.pdf is protected by a password; export it again without one"),
        ("damaged.pdf", "error: damaged.pdf cannot be read as a PDF (No /Root object! - Is this really a PDF?); "),
    ]:
        assert main(["import", str(tmp_path / name), "--knowledge", str(knowledge)]) == 2
        err = capsys.readouterr().err
        assert err.startswith(message), err
    assert err.strip().endswith("save or export it again as PDF")


def test_a_folder_of_hundreds_imports_with_progress_and_a_summary_and_one_change_embeds_only_it(tmp_path: Path, capsys):
    folder, knowledge = tmp_path / "pages", tmp_path / "knowledge"
    folder.mkdir()
    for n in range(300):
        (folder / f"shrub-{n:03}.html").write_text(
            f"<h1>Shrub {n}</h1><h2>Care</h2><p>Shrub {n} likes sun. Water it weekly in summer.</p>"
            f"<p>It needs:</p><ul><li>a sunny spot</li><li>light soil</li></ul><img alt='Shrub {n}'>",
            encoding="utf-8",
        )
    (folder / "readme.odt").write_bytes(b"ignored: not a format the importer reads")
    knowledge.mkdir()
    (knowledge / "site.toml").write_text('disclaimer = "General advice."\nfallback = "No answer here."\n', "utf-8")
    assert main(["import", str(folder), "--knowledge", str(knowledge)]) == 0
    captured = capsys.readouterr()
    assert "Importing: 100%" in captured.err and "300/300" in captured.err  # the progress bar
    assert captured.out.splitlines()[-1].startswith(
        f"Imported 300 of 300 files into {knowledge}/ (300 passages); 0 skipped (already there: --replace "
        "overwrites), 0 failed, 300 parts dropped."
    )
    assert "shrub-007.html: line 1, under 'Care': dropped an image ('Shrub 7')" in captured.out

    index = tmp_path / "index"
    build_index(load_knowledge(knowledge), index, CountingEmbedder())
    page = folder / "shrub-007.html"
    page.write_text(page.read_text(encoding="utf-8").replace("weekly", "fortnightly"), encoding="utf-8")
    assert main(["import", str(page), "--knowledge", str(knowledge), "--replace"]) == 0
    embedder = CountingEmbedder()
    summary = build_index(load_knowledge(knowledge), index, embedder)
    assert (summary.changes.changed, summary.changes.reused) == (1, 299)
    changed = (knowledge / "shrub-007.md").read_text(encoding="utf-8").lower()
    assert embedder.seen and all(line.lower() in changed for text in embedder.seen for line in text.split("\n"))


def test_check_still_warns_about_an_introduction_whose_list_was_lost(tmp_path: Path):
    doc = tmp_path / "doc.md"
    doc.write_text("# Doc\n\nKept:\n\n- one\n\nLost:\n\nA paragraph.\n", encoding="utf-8")
    passages, problems = parse_document(doc, "doc.md")
    assert [p.text for p in passages] == ["Kept:\n\n- one", "A paragraph."]
    assert [str(p) for p in problems] == [
        "doc.md:7: warning: line ends with ':' but no list follows; it is left out of the answers (add the list "
        "items, or end the sentence with '.')"
    ]
    assert not re.search("Lost", " ".join(p.text for p in passages))


def test_a_pdf_heading_placed_beside_the_text_above_it_heads_its_own_answer(tmp_path: Path):
    """fpdf's multi_cell leaves the cursor at the paragraph's right, so the heading after it was laid out there:
    pdfminer read it after its own answer, which then stood under the heading before, and "What should I eat?"
    headed the next page's text; a sentence wrapped there was cut in two (QA finding B2)."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=20)
    pdf.cell(0, 10, "PDF Guide", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=11)
    pdf.multi_cell(0, 6, WRAPPED)  # the cursor stays at its right
    pdf.set_font("Helvetica", size=16)
    pdf.cell(0, 10, "What should I eat?", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=11)
    pdf.multi_cell(0, 6, "Eat a light breakfast. Avoid alcohol for 24 hours.", new_x="LMARGIN", new_y="NEXT")
    pdf.add_page()
    pdf.multi_cell(0, 6, "Second page text continues here with more advice about rest.")
    pdf.output(str(tmp_path / "guide.pdf"))
    text = prepare(tmp_path / "guide.pdf", tmp_path / "knowledge").markdown
    assert f"\n\n{WRAPPED}\n\n## What should I eat?\n\nEat a light breakfast. Avoid alcohol for 24 hours.\n\n" in text


WRAPPED = (
    "This guide explains the infusion day. Arrive at 9 am and bring your medication list. The nurse will check your "
    "temperature and blood pressure before the cells are given."
)


def test_text_after_a_pages_folded_questions_stays_under_its_sections_heading(tmp_path: Path):
    """Paragraphs after <details> (or <dl>) questions were read as the last question's answer: the opening hours
    were cited as the answer to "Is there parking?" (QA finding B4)."""
    questions = (
        "<details><summary>Can I bring a friend?</summary><p>Yes, one adult may come with you.</p></details>"
        "<details><summary>Is there parking?</summary><p>No parking is available on site.</p></details>"
    )
    after = "<p>Our reception is open from 8 am to 6 pm on weekdays.</p><p>Please bring photo identification.</p>"
    page = tmp_path / "visiting.html"
    page.write_text(f"<h1>Clinic FAQ</h1><h2>Visiting</h2>{questions}{after}<h2>Fees</h2><p>None.</p>", "utf-8")
    markdown = prepare(page, tmp_path / "knowledge").markdown
    assert (
        "## Visiting\n\nOur reception is open from 8 am to 6 pm on weekdays.\n\nPlease bring photo identification.\n\n"
        "### Can I bring a friend?\n\nYes, one adult may come with you.\n\n"
        "### Is there parking?\n\nNo parking is available on site.\n\n## Fees\n\nNone.\n"
    ) in markdown


def test_a_file_with_no_text_to_answer_from_is_told_why_by_its_kind(tmp_path: Path):
    """A Markdown file whose text only introduced a table, and an empty text file, were asked whether they were
    "a scan, or only pictures", and the table dropped went unnamed (QA finding B8)."""
    (tmp_path / "table.md").write_text("A table:\n\n| a | b |\n| - | - |\n| 1 | 2 |\n", encoding="utf-8")
    (tmp_path / "empty.txt").write_text("", encoding="utf-8")
    with pytest.raises(ImportFailed, match=r"table.md has no text .*\(too little for a passage\); dropped: .*a table"):
        prepare(tmp_path / "table.md", tmp_path / "knowledge")
    with pytest.raises(ImportFailed, match=r"empty.txt has no text to answer from \(it is empty\); nothing imported"):
        prepare(tmp_path / "empty.txt", tmp_path / "knowledge")
    pictures = "".join(f"![picture {n}](p{n}.png)\n\n" for n in range(5))
    (tmp_path / "pictures.md").write_text(pictures, encoding="utf-8")
    with pytest.raises(ImportFailed, match=r"an image \('picture 2'\), 2 more; nothing imported"):
        prepare(tmp_path / "pictures.md", tmp_path / "knowledge")


def test_markdown_front_matter_that_is_not_text_is_refused_as_check_refuses_it(tmp_path: Path):
    """ "title: [a, b]" was imported as "['a', 'b']", which every citation would show (QA finding B11)."""
    body = "# Visiting\n\nThe clinic is open on weekdays, and visitors sign in at the front desk.\n"
    (tmp_path / "list.md").write_text("---\ntitle: [a, b]\n---\n\n" + body, encoding="utf-8")
    (tmp_path / "fine.md").write_text("---\ntitle: 'Visiting: a guide'\n---\n\n" + body, encoding="utf-8")
    with pytest.raises(ImportFailed, match=r"^list.md:2: title is a list, not text; .*import it again"):
        prepare(tmp_path / "list.md", tmp_path / "knowledge")
    (tmp_path / "binary.md").write_text("---\ntitle: !!binary aGVsbG8=\n---\n\n" + body, encoding="utf-8")
    with pytest.raises(ImportFailed, match=r"^binary.md:2: title is binary, not text"):
        prepare(tmp_path / "binary.md", tmp_path / "knowledge")
    assert prepare(tmp_path / "fine.md", tmp_path / "knowledge").metadata.title == "Visiting: a guide"


def test_a_word_headers_text_box_is_reported_once_and_a_damaged_header_fails_nothing(tmp_path: Path):
    """A text box is a paragraph inside a run: its text was reported twice, glued ("ClinicCall 999 Call 999"); a
    damaged header part, only ever reported, failed the whole import with a zlib error."""
    from bot.importer.docx import convert_docx

    source = word_document(tmp_path / "source.docx")
    w = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    box = (
        f"<w:hdr {w}><w:p><w:r><w:t>Clinic</w:t></w:r><w:r><w:txbxContent><w:p><w:r><w:t>Call 999</w:t></w:r></w:p>"
        "</w:txbxContent></w:r></w:p></w:hdr>"
    )

    def with_header(name: str, header: bytes) -> Path:
        path = tmp_path / name
        with zipfile.ZipFile(source) as old, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as new:
            for item in old.infolist():
                new.writestr(item.filename, header if item.filename == "word/header1.xml" else old.read(item.filename))
        return path

    drops = convert_docx(with_header("box.docx", box.encode())).drops
    assert [str(d) for d in drops if d.where == "page header"] == ["page header: 'Clinic Call 999'"]
    damaged = with_header("damaged.docx", box.encode() * 50)
    data = bytearray(damaged.read_bytes())
    with zipfile.ZipFile(damaged) as archive:
        info = archive.getinfo("word/header1.xml")
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    data[start + 5 : start + 25] = bytes(b ^ 0xFF for b in data[start + 5 : start + 25])
    damaged.write_bytes(bytes(data))
    converted = convert_docx(damaged)
    assert "Pruning keeps shrubs" in converted.body and not [d for d in converted.drops if d.where == "page header"]
