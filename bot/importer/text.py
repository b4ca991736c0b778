"""Plain text (.txt) and Markdown (.md) → knowledge Markdown.

Plain text has no markup. A paragraph ends at a blank line, and at a line that ends a sentence: text saved from a
web page or a word processor has one paragraph per line and no blank lines, and a wrapped paragraph cut there is
still cut between sentences. Lines opening with a bullet or a number are list items, kept with the line that
introduces them (an item's own wrapped lines are indented), and a line alone that ends in '?' is an FAQ question.

Markdown is read as Markdown (markdown-it), so its emphasis and links leave only their words, and its images and
tables are dropped and reported like a web page's.
"""

from __future__ import annotations

import re
from pathlib import Path

from markdown_it import MarkdownIt

from bot.importer.document import Converted, ImportFailed, Metadata, clean_body
from bot.importer.html import convert_html
from bot.knowledge.markdown import front_matter, metadata_problems

BULLET = re.compile(r"^[ \t]*[•●▪◦‣∙·*–-][ \t]+(?=\S)")
NUMBERED = re.compile(r"^[ \t]*\d{1,3}[.)][ \t]+(?=\S)")
QUESTION_WORDS = 25  # a question alone on its line, no longer than this, heads the answer below it
SENTENCE_END = re.compile(r"[.!?:;…][\"'”’)\]]*$")


def read_text(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8").removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    except UnicodeDecodeError:
        raise ImportFailed(f"{path.name} is not UTF-8 text; save it as UTF-8 and import it again") from None


def convert_text(path: Path) -> Converted:
    blocks = []
    for lines in _paragraphs(read_text(path)):
        if len(lines) == 1 and lines[0].endswith("?") and len(lines[0].split()) <= QUESTION_WORDS:
            blocks.append("## " + lines[0])
        else:
            blocks.append("\n".join(lines))
    return Converted(clean_body("\n\n".join(blocks)), Metadata())


def _paragraphs(text: str) -> list[list[str]]:
    """The text's paragraphs, each as its Markdown lines; a list's items stay with the line that introduces them."""
    paragraphs: list[list[str]] = []
    for block in re.split(r"\n[ \t]*\n", text):
        in_list = False
        for n, line in enumerate(line for line in block.split("\n") if line.strip()):
            item = bool(BULLET.match(line) or NUMBERED.match(line))
            if item:
                starts = n == 0
            elif in_list:  # an item's own next lines are indented under it; anything else follows the list
                starts = not line[:1].isspace()
            else:
                starts = n == 0 or SENTENCE_END.search(paragraphs[-1][-1]) is not None
            if starts:
                paragraphs.append([])
                in_list = False
            in_list = in_list or item
            paragraphs[-1].append(_item(line) if item else ("  " if in_list else "") + line.strip())
    return paragraphs


def _item(line: str) -> str:
    return "- " + BULLET.sub("", line) if BULLET.match(line) else line.strip()


def convert_markdown(path: Path) -> Converted:
    text = read_text(path)
    meta, body_start, problems = front_matter(text, path.name)
    # a list or map would be cited as Python prints it, and `check` refuses it: refused here first
    problems += [p for p in metadata_problems(meta or {}, text[:body_start], path.name) if p.severity == "error"]
    if problems:  # said as an error by whoever shows it: not "error:" twice
        first = problems[0]
        raise ImportFailed(f"{first.path}:{first.line}: {first.message}; fix the front matter and import it again")
    html = MarkdownIt("commonmark").enable("table").render(text[body_start:])
    converted = convert_html(html, source_lines=False)
    own = {key: str(meta[key]) for key in ("title", "author", "publisher", "date", "url") if meta.get(key)}
    return Converted(converted.body, Metadata(**own).over(converted.metadata), converted.drops, converted.notes)
