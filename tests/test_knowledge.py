"""The knowledge stage: verbatim passages, whole sentences, headings, and clear problems."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.knowledge import KnowledgeError, load_knowledge, parse_document
from bot.text import sentences

from conftest import FIXTURE_KNOWLEDGE, ROOT


def test_passages_are_exact_slices_of_their_file(knowledge_dir: Path):
    knowledge = load_knowledge(knowledge_dir)
    for passage in knowledge.passages:
        text = (knowledge_dir / passage.source.path).read_text(encoding="utf-8")
        assert passage.text in text
        assert text.splitlines()[passage.line - 1] in passage.text.splitlines()[0]


def test_heading_paths_citations_and_faq_questions(knowledge_dir: Path):
    passages = {p.text.split(".")[0]: p for p in load_knowledge(knowledge_dir).passages}
    roses = passages["Prune roses in late winter, before new growth starts"]
    assert roses.headings == ("Frequently asked questions", "When should I prune roses?")
    assert roses.question == "When should I prune roses?"
    assert roses.citation == (
        "Garden Care Guide › Frequently asked questions › When should I prune roses? — Green Thumb Club, 2024-05-01"
    )
    assert passages["Aphids can be washed off with a strong spray of water"].question is None


def test_short_paragraphs_under_one_heading_join_up_to_the_word_limit(knowledge_dir: Path):
    watering = [p for p in load_knowledge(knowledge_dir).passages if p.headings == ("Watering",)]
    assert watering[0].text.startswith("Water tomatoes deeply") and watering[0].text.endswith("in the sun.")
    assert "\n\nMorning is the best time" in watering[0].text


def test_dangling_list_line_is_left_out_and_warned_with_file_and_line(knowledge_dir: Path):
    knowledge = load_knowledge(knowledge_dir)
    assert all("Watering tips include:" not in p.text for p in knowledge.passages)
    warning = next(w for w in knowledge.warnings if "':'" in w.message)
    assert (warning.path, warning.line) == ("garden.md", 15)
    assert str(warning).startswith("garden.md:15: warning:")
    # the text on either side of the dropped line is not glued into one passage
    assert any(p.text == "Use a soaker hose for long rows." for p in knowledge.passages)


def test_only_the_dangling_sentence_is_dropped_from_a_longer_paragraph(tmp_path: Path):
    doc = tmp_path / "doc.md"
    doc.write_text("# Doc\n\n## Before\n\nAsk first. Important questions include:\n", encoding="utf-8")
    passages, problems = parse_document(doc, "doc.md")
    assert [p.text for p in passages] == ["Ask first."]
    assert problems[0].line == 5


def test_a_list_that_survived_stays_with_its_introduction(knowledge_dir: Path):
    pests = next(p for p in load_knowledge(knowledge_dir).passages if "Pests may include:" in p.text)
    assert "Pests may include:\n\n- aphids\n- slugs" in pests.text


def test_a_list_and_its_introduction_are_one_passage_and_a_loose_list_is_one_list(tmp_path: Path):
    doc = tmp_path / "doc.md"
    doc.write_text(
        "# Doc\n\n## Side effects\n\nMost people feel well.\n\n## Which\n\nPossible side effects may include:\n\n"
        "- mild fever\n\n- tiredness that lasts\n  a day or two\n    - rarely longer\n\n1. chills\n\n"
        "## After\n\nAfter the visit:\n- rest\n- drink water\n",
        encoding="utf-8",
    )
    passages, problems = parse_document(doc, "doc.md")
    assert [p.text for p in passages] == [
        "Most people feel well.",
        "Possible side effects may include:\n\n- mild fever\n\n- tiredness that lasts\n  a day or two\n"
        "    - rarely longer\n\n1. chills",
        "After the visit:\n- rest\n- drink water",
    ]
    assert [p.line for p in passages] == [5, 9, 21] and problems == []


def test_a_long_list_is_cut_between_items_with_its_introduction_first(tmp_path: Path):
    items = [f"- item {n} has a handful of words to make it long enough" for n in range(25)]
    doc = tmp_path / "doc.md"
    doc.write_text("# Doc\n\nThe items are:\n\n" + "\n".join(items) + "\n", encoding="utf-8")
    passages, _ = parse_document(doc, "doc.md", max_words=120)
    assert len(passages) == 3 and passages[0].text.startswith("The items are:\n\n- item 0 ")
    assert all(len(p.text.split()) <= 120 for p in passages)
    assert [line for p in passages for line in p.text.splitlines() if line.startswith("- ")] == items
    assert all(p.text.splitlines()[-1].startswith("- item") for p in passages)


def test_hash_signs_inside_code_fences_are_not_headings(knowledge_dir: Path):
    knowledge = load_knowledge(knowledge_dir)
    assert all("not a heading" not in h for p in knowledge.passages for h in p.headings)
    assert any("# not a heading" in p.text for p in knowledge.passages)


def test_a_hash_sign_ending_a_heading_word_is_kept_and_a_closing_run_after_a_space_is_not(tmp_path: Path):
    doc = tmp_path / "langs.md"
    doc.write_text("# C#\n\nA language.\n\n## F# ##\n\nAnother.\n", encoding="utf-8")
    passages, _ = parse_document(doc, "langs.md", max_words=120)
    assert passages[0].source.title == "C#"
    assert passages[1].headings == ("F#",)


def test_long_paragraphs_split_between_sentences_never_inside(tmp_path: Path):
    sentences = [f"Sentence number {i} has exactly eight words here." for i in range(40)]
    doc = tmp_path / "long.md"
    doc.write_text("# Long\n\n" + " ".join(sentences) + "\n", encoding="utf-8")
    passages, _ = parse_document(doc, "long.md", max_words=120)
    assert len(passages) == 3
    assert " ".join(p.text for p in passages) == " ".join(sentences)
    for passage in passages:
        assert len(passage.text.split()) <= 120
        assert passage.text.startswith("Sentence number") and passage.text.endswith("here.")


def test_disclaimer_section_becomes_the_disclaimer_not_an_answer(knowledge_dir: Path):
    knowledge = load_knowledge(knowledge_dir)
    assert knowledge.site.disclaimer == "Garden advice here is general; local conditions vary."
    assert all("local conditions vary" not in p.text for p in knowledge.passages)


def test_ids_are_stable_and_change_with_the_text(knowledge_dir: Path):
    first = [p.id for p in load_knowledge(knowledge_dir).passages]
    assert first == [p.id for p in load_knowledge(knowledge_dir).passages]
    assert len(set(first)) == len(first)
    doc = knowledge_dir / "garden.md"
    doc.write_text(doc.read_text(encoding="utf-8").replace("twice a week", "three times a week"), encoding="utf-8")
    changed = [p.id for p in load_knowledge(knowledge_dir).passages]
    assert len(set(first) - set(changed)) == 1


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"---\ntitle: [unclosed\n---\n\nText.\n", "bad.md:3: error: front matter is not valid YAML"),
        (  # nine aliases deep, 538 bytes made a title of 3.5 billion items: minutes and all the memory to str()
            b"---\nlol: &lol [lol, lol]\ntitle: *lol\n---\n\nText.\n",
            "bad.md:3: error: front matter is not valid YAML (an alias (*name) is not allowed here; write the text)",
        ),
        (b"---\ntitle: Fine\n\nText without a closing line.\n", "bad.md:1: error: front matter opened"),
        (b"# Title\n\nCaf\xe9 au lait.\n", "bad.md:3: error: not valid UTF-8"),
    ],
)
def test_broken_files_stop_the_load_with_file_line_and_the_fix(knowledge_dir: Path, content: bytes, expected: str):
    (knowledge_dir / "bad.md").write_bytes(content)
    with pytest.raises(KnowledgeError) as raised:
        load_knowledge(knowledge_dir)
    assert expected in str(raised.value)


def test_empty_or_missing_folders_say_what_to_do(tmp_path: Path):
    with pytest.raises(KnowledgeError, match="does not exist"):
        load_knowledge(tmp_path / "nowhere")
    with pytest.raises(KnowledgeError, match=r"No Markdown \(\.md\) files"):
        load_knowledge(tmp_path)


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        ('examples = "What?"', 'site.toml:{line}: error: examples must be written as examples = ["...", "..."]'),
        ("urgent_phrases = [1, 2]", "site.toml:{line}: error: urgent_phrases must be written as urgent_phrases = ["),
        ("fallback = 3", 'site.toml:{line}: error: fallback must be written as fallback = "..."'),
        ('fallback = "  "', "site.toml:1: error: the fallback is empty; set fallback to what a visitor reads"),
    ],
)
def test_site_settings_of_the_wrong_form_stop_the_load_with_the_line(knowledge_dir: Path, setting: str, expected: str):
    site = knowledge_dir / "site.toml"
    lines = [line for line in site.read_text(encoding="utf-8").splitlines() if not line.startswith(setting.split()[0])]
    site.write_text("\n".join([*lines, setting]) + "\n", encoding="utf-8")
    with pytest.raises(KnowledgeError) as raised:
        load_knowledge(knowledge_dir)
    assert expected.format(line=len(lines) + 1) in str(raised.value)


@pytest.mark.parametrize(
    ("name", "broken", "expected"),
    [
        ("site.toml", 'fallback = "no closing quote', "site.toml:{line}: error: is not valid TOML (Illegal character"),
        ("site.toml", 'topics = ["open",', "site.toml:{line}: error: is not valid TOML (Invalid value, found at the"),
        ("phrasings.toml", "[[taught]", "phrasings.toml:{line}: error: is not valid TOML (Expected ']]' at the end"),
    ],
)
def test_a_toml_syntax_error_is_named_at_its_own_line(knowledge_dir: Path, name: str, broken: str, expected: str):
    """Every TOML error was reported at line 1, its real line only inside the message ("at line 9, column 11")."""
    path = knowledge_dir / name
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else ["# taught by staff", ""]
    path.write_text("\n".join([*lines, broken]) + "\n", encoding="utf-8")
    with pytest.raises(KnowledgeError) as raised:
        load_knowledge(knowledge_dir)
    assert expected.format(line=len(lines) + 1) in str(raised.value), str(raised.value)
    assert "(at line" not in str(raised.value)


def test_a_site_toml_not_in_utf8_says_to_save_it_as_utf8(knowledge_dir: Path):
    site = knowledge_dir / "site.toml"
    site.write_bytes(site.read_bytes() + 'description = "Caf\u00e9"\n'.encode("latin-1"))
    with pytest.raises(KnowledgeError, match="site.toml:1: error: not valid UTF-8; save the file as UTF-8"):
        load_knowledge(knowledge_dir)


def test_a_blank_disclaimer_stops_the_load(knowledge_dir: Path):
    (knowledge_dir / "site.toml").write_text('disclaimer_section = ""\ndisclaimer = "   "\n', encoding="utf-8")
    with pytest.raises(KnowledgeError, match="the disclaimer is empty; set disclaimer, or disclaimer_section"):
        load_knowledge(knowledge_dir)


def test_a_folder_without_site_toml_loads_with_a_warning(knowledge_dir: Path):
    (knowledge_dir / "site.toml").unlink()
    knowledge = load_knowledge(knowledge_dir)
    assert knowledge.site.disclaimer and knowledge.site.fallback
    assert any(str(w).startswith("site.toml:1: warning: no site.toml") for w in knowledge.warnings)


def test_an_invisible_control_character_is_a_warning_at_its_line(knowledge_dir: Path):
    """A NUL, or a right-to-left override that shows the rest of a quoted line backwards, passed check unseen
    and was quoted to visitors as it was."""
    text = "# Roses\n\nPrune roses in late winter.\n\nWater \u202eylkeew\u202c and feed\x00 them.\n"
    (knowledge_dir / "odd.md").write_text(text, encoding="utf-8")
    messages = [str(w) for w in load_knowledge(knowledge_dir).warnings if w.path == "odd.md"]
    assert messages == [
        "odd.md:5: warning: holds an invisible control character (U+0000, U+202C, U+202E) that answers would "
        "quote as it is; delete it"
    ]
    emoji = "# Roses\n\nPrune roses 🌹 in late winter, \u200b\u200d\u05e9\u05dc\u05d5\u05dd and caf\u00e9.\n"
    (knowledge_dir / "odd.md").write_text(emoji, encoding="utf-8")  # joiners and right-to-left text are words
    assert not [w for w in load_knowledge(knowledge_dir).warnings if w.path == "odd.md"]


def test_empty_document_and_duplicate_title_are_warnings(knowledge_dir: Path):
    (knowledge_dir / "empty.md").write_text("---\ntitle: Empty\n---\n\n# Empty\n", encoding="utf-8")
    (knowledge_dir / "copy.md").write_text("---\ntitle: Garden Care Guide\n---\n\nMore text.\n", encoding="utf-8")
    messages = [str(w) for w in load_knowledge(knowledge_dir).warnings]
    assert any(m.startswith("empty.md:1: warning: has no text") for m in messages)
    assert any(m.startswith("garden.md:1") or m.startswith("copy.md:1") for m in messages if "same title" in m)


def test_the_fixture_corpus_is_what_the_other_tests_assume():
    """Other tests count on this shape (test_index: 5 passages, 16 sentence rows, 2 FAQ questions; test_updates:
    5 reused); an edit of the fixture shows here first, saying what changed."""
    knowledge = load_knowledge(FIXTURE_KNOWLEDGE)
    assert knowledge.documents == 1 and set(knowledge.files) == {"garden.md", "site.toml"}
    assert [(p.headings, p.line) for p in knowledge.passages] == [
        (("Watering",), 11),
        (("Watering",), 17),  # after the dangling "Watering tips include:", left out
        (("Pests",), 21),
        (("Frequently asked questions", "When should I prune roses?"), 37),
        (("Frequently asked questions", "Can I grow basil indoors?"), 41),
    ]
    # the Pests passage's sentences are its two, its two list items and its code fence's four lines
    assert [len(sentences(p.text)) for p in knowledge.passages] == [4, 1, 8, 2, 2]
    assert [p.question for p in knowledge.passages if p.question] == [
        "When should I prune roses?",
        "Can I grow basil indoors?",
    ]
    assert [(w.path, w.line) for w in knowledge.warnings] == [("garden.md", 15)]
    site = knowledge.site
    assert site.title == "Garden questions" and site.examples == ("When should I prune roses?",)
    assert site.urgent_phrases == ("on fire", "smoke") and site.urgent_passage == "a strong spray of water"


# The client's content: every sentence of the delivered texts is in knowledge/, unchanged and in order.

# The myths article opens with site navigation, a date and keywords (line 10 repeats its title), and
# ends with a byline: metadata, kept in the front matter instead.
CONTENT_LINES = {
    "nk-cell-therapy-stemcell-consultancy": slice(0, None),
    "debunking-3-myths-nk-cell-therapy": slice(9, -1),
}


@pytest.mark.parametrize("name", sorted(CONTENT_LINES))
def test_knowledge_holds_every_source_line_verbatim_and_in_order(name: str, sources: Path):
    lines = (sources / f"{name}.txt").read_text(encoding="utf-8").splitlines()[CONTENT_LINES[name]]
    source_lines = [line for line in lines if line.strip()]
    markdown = (ROOT / "knowledge" / f"{name}.md").read_text(encoding="utf-8")
    body_lines = [re.sub(r"^#+ ", "", line) for line in markdown.split("\n---\n", 1)[1].splitlines()]
    position = 0
    for line in source_lines:
        assert line in body_lines[position:], f"missing or out of order: {line[:60]!r}"
        position = body_lines.index(line, position) + 1


def test_dot_files_and_files_in_dot_folders_are_not_documents(knowledge_dir: Path):
    """A `.git/` note, an editor's withdrawn `.draft.md` and the NUL-filled `._guide.md` macOS leaves were all
    served as documents."""
    (knowledge_dir / ".git").mkdir()
    (knowledge_dir / ".git" / "x.md").write_text("# Git junk\n\nSecret internal staff note.\n", encoding="utf-8")
    (knowledge_dir / ".draft.md").write_text("# Backup\n\nOld draft text that was withdrawn.\n", encoding="utf-8")
    (knowledge_dir / "._garden.md").write_bytes(b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X        \x00\x02")
    knowledge = load_knowledge(knowledge_dir)
    assert knowledge.documents == 1 and set(knowledge.files) == {"garden.md", "site.toml"}
    assert [(w.path, w.line) for w in knowledge.warnings] == [("garden.md", 15)]


def test_files_that_look_meant_as_documents_are_ignored_with_a_warning_saying_how_to_bring_them_in(
    knowledge_dir: Path,
):
    text = "# External doc\n\nExternal text about zebras.\n"
    for name in ("GUIDE.MD", "g2.markdown", "notes.txt"):
        (knowledge_dir / name).write_text(text, encoding="utf-8")
    (knowledge_dir / "broken.md").symlink_to(knowledge_dir.parent / "nowhere.md")
    (knowledge_dir.parent / "elsewhere").mkdir()
    (knowledge_dir / "linked").symlink_to(knowledge_dir.parent / "elsewhere")
    knowledge = load_knowledge(knowledge_dir)
    assert knowledge.documents == 1
    messages = [str(w) for w in knowledge.warnings if w.path != "garden.md"]
    assert messages == [
        "GUIDE.MD:1: warning: is ignored: only names ending in '.md' are read; rename it to GUIDE.md",
        f"broken.md:1: warning: is a link to {knowledge_dir.parent / 'nowhere.md'}, which does not exist, so it is "
        "ignored; fix or remove it",
        "g2.markdown:1: warning: is ignored: only names ending in '.md' are read; rename it to g2.md",
        "linked:1: warning: is a link to a folder, which is not read; copy the documents into the folder instead",
        "notes.txt:1: warning: is ignored: only Markdown (.md) files are read; bring it in with "
        f"`python -m bot import {knowledge_dir / 'notes.txt'}`, then move this file out",
    ]


def test_a_folder_of_only_ignored_files_says_why_each_is_not_read(tmp_path: Path):
    (tmp_path / "guide.txt").write_text("Some text.\n", encoding="utf-8")
    with pytest.raises(KnowledgeError, match=r"No Markdown \(\.md\) files") as raised:
        load_knowledge(tmp_path)
    assert "guide.txt:1: warning: is ignored: only Markdown (.md) files are read" in str(raised.value)


def test_a_disclaimer_section_in_a_second_document_stops_the_load_naming_both(knowledge_dir: Path):
    """A partner leaflet's own "Disclaimer" section, joined to the site's, put its first sentence under every reply
    in place of the site's."""
    (knowledge_dir / "aftercare.md").write_text(
        "---\ntitle: Aftercare leaflet\n---\n\n# Aftercare leaflet\n\n## Resting\n\nRest for a day.\n\n"
        "## Disclaimer\n\nPartner Lab Ltd accepts no liability for any outcome.\n",
        encoding="utf-8",
    )
    with pytest.raises(KnowledgeError) as raised:
        load_knowledge(knowledge_dir)
    assert (
        "site.toml:3: error: disclaimer_section 'Disclaimer' is a heading in 2 documents (aftercare.md:11, "
        "garden.md:43); the disclaimer must come from one: rename that heading in the others"
    ) in str(raised.value)
    (knowledge_dir / "aftercare.md").write_text(
        (knowledge_dir / "aftercare.md").read_text(encoding="utf-8").replace("## Disclaimer", "## Liability"),
        encoding="utf-8",
    )
    knowledge = load_knowledge(knowledge_dir)
    assert knowledge.site.disclaimer == "Garden advice here is general; local conditions vary."
    assert any(p.headings == ("Liability",) for p in knowledge.passages)


def test_html_comments_are_never_quoted_even_over_several_lines(tmp_path: Path):
    """A staff note in a comment, which no rendered page shows, was an answer passage of its own; nor are a link
    reference definition and a rule ("***") ever shown as text. A comment in code is shown, so it stays."""
    doc = tmp_path / "doc.md"
    doc.write_text(
        "# Doc\n\n<!-- TODO(staff): check this dosage with Dr Smith -->\n\n## Resting\n\nMost patients rest.\n"
        "<!--\nthe 2023 figure\nwas wrong\n-->\nDrink water.\n\n  <!-- one more -->\n\n[nk]: https://example.org\n\n"
        "***\n\n```\n<!-- code shows its comments -->\n```\n",
        encoding="utf-8",
    )
    passages, problems = parse_document(doc, "doc.md")
    assert [(p.text, p.line) for p in passages] == [
        ("Most patients rest.", 7),  # short paragraphs on either side of a comment are not joined across it
        ("Drink water.", 12),
        ("```\n<!-- code shows its comments -->\n```", 20),
    ]
    assert problems == []


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("Rest. <!-- a note --> Drink.\n", "doc.md:3: error: an HTML comment inside a paragraph would be quoted"),
        ("Rest.\n\n<!-- a note\n\nDrink.\n", "doc.md:5: error: HTML comment is never closed, so nothing after"),
        ("<!-- a note --> Drink.\n", "doc.md:3: warning: text after '-->' on the comment's line is left out"),
    ],
)
def test_a_comment_that_would_be_quoted_or_swallows_text_is_named_at_its_line(tmp_path: Path, body, expected):
    doc = tmp_path / "doc.md"
    doc.write_text("# Doc\n\n" + body, encoding="utf-8")
    passages, problems = parse_document(doc, "doc.md")
    assert [str(p) for p in problems if str(p).startswith(expected)], problems
    assert all("note" not in p.text for p in passages) or any(p.severity == "error" for p in problems)


def test_markup_a_page_never_shows_as_text_is_warned_at_its_line_with_what_to_write(knowledge_dir: Path):
    """Setext headings, tables, images and raw HTML in a hand-edited file were quoted as raw markup, unwarned."""
    (knowledge_dir / "notes.md").write_text(
        "# Aftercare\n\nAftercare overview\n==================\n\nDrink plenty of water after treatment.\n\n"
        "| Day | What to do |\n|-----|------------|\n| 1   | Rest       |\n\n![diagram](img.png)\n\n"
        '<div class="hidden">internal</div>\n\nUse `<b>` and `![x](y)` in code, and mail <info@example.org>.\n',
        encoding="utf-8",
    )
    warnings = [str(w) for w in load_knowledge(knowledge_dir).warnings if w.path == "notes.md"]
    assert warnings == [
        "notes.md:4: warning: a heading underlined with '===' or '---' is quoted as text, underline and all; write "
        "it as '## Heading' instead",
        "notes.md:8: warning: a table is quoted as its '|' lines; write what it says as paragraphs or a list",
        "notes.md:12: warning: an image is quoted as its '![…](…)' markup, never shown; delete it, or say in words "
        "what it shows",
        "notes.md:14: warning: raw HTML is quoted with its tags; rewrite it as Markdown headings and paragraphs, or "
        "import the page with `python -m bot import`",
    ]


def test_front_matter_typos_and_odd_forms_are_named_at_their_line(knowledge_dir: Path):
    """A misspelt key was ignored without a word, and a date or URL of any form was shown as it was."""
    (knowledge_dir / "typo.md").write_text(
        "---\ntitel: Typo Title\nAutor: Dr Who\nsource: intranet\ndate: last tuesday\nurl: www.example.org/page\n"
        "publisher: 2024\n---\n\n## Section\n\nSome text about zebra therapy.\n",
        encoding="utf-8",
    )
    warnings = [str(w) for w in load_knowledge(knowledge_dir).warnings if w.path == "typo.md"]
    known = "known: title, author, publisher, date, url"
    assert warnings == [
        f"typo.md:2: warning: unknown front matter key 'titel' (did you mean 'title'?), never shown; {known}",
        f"typo.md:3: warning: unknown front matter key 'Autor' (did you mean 'author'?), never shown; {known}",
        f"typo.md:4: warning: unknown front matter key 'source', never shown; {known}",
        "typo.md:5: warning: date 'last tuesday' is shown as it is; write it 2025-12-19 (or 2025-12, or 2025)",
        "typo.md:6: warning: url 'www.example.org/page' is no web address a link can be made of; write it with "
        "https://",
    ]


@pytest.mark.parametrize("written", ["'2025-13-45'", "2025-13-45", "2025-02-30"])
def test_a_date_the_calendar_lacks_is_a_warning(knowledge_dir: Path, written: str):
    """ "2025-13-45" has the form of a date; citations would show it as it is. Unquoted, YAML's own error ("month
    must be in 1..12") stopped check and the build with no file or line."""
    text = f"---\ntitle: Odd\ndate: {written}\n---\n\n## Section\n\nSome text about zebra therapy.\n"
    (knowledge_dir / "odd.md").write_text(text, encoding="utf-8")
    warnings = [str(w) for w in load_knowledge(knowledge_dir).warnings if w.path == "odd.md"]
    said = "is no day of the calendar, and citations show it as it is; correct it"
    assert warnings == [f"odd.md:3: warning: date {written.strip(chr(39))!r} {said}"]


def test_a_list_or_map_in_front_matter_stops_the_load_rather_than_be_cited_as_python_prints_it(knowledge_dir: Path):
    """A citation read "['a', 'b'] › Section — {'x': 1}"."""
    (knowledge_dir / "weird.md").write_text(
        "---\ntitle: [a, b]\nauthor: {x: 1}\n---\n\n## Section\n\nSome text about llama therapy.\n", encoding="utf-8"
    )
    with pytest.raises(KnowledgeError) as raised:
        load_knowledge(knowledge_dir)
    assert "weird.md:2: error: title is a list, not text; write title: and the text on one line" in str(raised.value)
    assert "weird.md:3: error: author is a map, not text" in str(raised.value)


def parsed(tmp_path: Path, text: str) -> tuple[list, list[str]]:
    """A document doc.md of this text, as a build reads it: its passages, and its problems as `check` prints them."""
    doc = tmp_path / "doc.md"
    doc.write_text(text, encoding="utf-8")
    passages, problems = parse_document(doc, "doc.md")
    return passages, [str(p) for p in problems]


def test_a_heading_without_text_is_warned_and_never_quoted(tmp_path: Path):
    """ "##" alone was quoted as text, and "###   ###" became a heading called "#"."""
    passages, problems = parsed(
        tmp_path,
        "# Doc\n\n## Before\n\nFirst.\n\n##\n\nText under an empty heading.\n\n### \n\nMore.\n\n###   ###\n\nThird.\n",
    )
    assert [(p.text, p.headings) for p in passages] == [
        ("First.", ("Before",)),
        ("Text under an empty heading.", ()),
        ("More.", ()),
        ("Third.", ()),
    ]
    assert problems == [
        "doc.md:7: warning: heading has no text; write its text after the '##', or delete the line",
        "doc.md:11: warning: heading has no text; write its text after the '###', or delete the line",
        "doc.md:15: warning: heading has no text; write its text after the '###', or delete the line",
    ]


def test_the_same_heading_twice_under_the_same_headings_is_a_warning_at_the_second(tmp_path: Path):
    _, problems = parsed(
        tmp_path, "# Dup\n\n## Same\n\nApples.\n\n## Same\n\nPears.\n\n## Other\n\n### Same\n\nPlums, cited apart.\n"
    )
    assert problems == [
        "doc.md:7: warning: heading 'Same' is also at line 3, under the same headings: their answers would be cited "
        "alike; give each its own heading, or merge them"
    ]
