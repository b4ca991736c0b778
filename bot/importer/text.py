"""Plain text (.txt) and Markdown (.md) → knowledge Markdown.

Plain text has no markup: paragraphs are separated by blank lines, lines opening with a bullet or a number are list
items, and a line alone that ends in '?' is an FAQ question. Markdown is read as Markdown (markdown-it), so its
emphasis and links leave only their words, and its images and tables are dropped and reported like a web page's.
"""

from __future__ import annotations

import re
from pathlib import Path

from markdown_it import MarkdownIt

from bot.importer.document import Converted, ImportFailed, Metadata, clean_body
from bot.importer.html import convert_html
from bot.knowledge.markdown import front_matter

BULLET = re.compile(r"^[ \t]*[•●▪◦‣∙·*–-][ \t]+(?=\S)")
NUMBERED = re.compile(r"^[ \t]*\d{1,3}[.)][ \t]+(?=\S)")
QUESTION_WORDS = 25  # a question alone on its line, no longer than this, heads the answer below it


def read_text(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8").removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    except UnicodeDecodeError:
        raise ImportFailed(f"{path.name} is not UTF-8 text; save it as UTF-8 and import it again") from None


def convert_text(path: Path) -> Converted:
    blocks = []
    for paragraph in re.split(r"\n[ \t]*\n", read_text(path)):
        lines = [line.strip() for line in paragraph.split("\n") if line.strip()]
        if len(lines) == 1 and lines[0].endswith("?") and len(lines[0].split()) <= QUESTION_WORDS:
            blocks.append("## " + lines[0])
        elif lines:
            blocks.append("\n".join(_item(line) for line in lines))
    return Converted(clean_body("\n\n".join(blocks)), Metadata())


def _item(line: str) -> str:
    if BULLET.match(line):
        return "- " + BULLET.sub("", line)
    return line


def convert_markdown(path: Path) -> Converted:
    text = read_text(path)
    meta, body_start, problems = front_matter(text, path.name)
    if meta is None:
        raise ImportFailed(f"{problems[0]}; fix the front matter and import it again")
    html = MarkdownIt("commonmark").enable("table").render(text[body_start:])
    converted = convert_html(html, source_lines=False)
    own = {key: str(meta[key]) for key in ("title", "author", "publisher", "date", "url") if meta.get(key)}
    return Converted(converted.body, Metadata(**own).over(converted.metadata), converted.drops, converted.notes)
