"""Text-based PDF → knowledge Markdown (pdfminer.six): lines in larger type become headings (and a bold line
ending in '?' an FAQ question), lines opening with a bullet or a number become list items, and images, page
numbers and the lines repeated at the top or foot of every page are dropped and reported with their page.

A PDF has no paragraphs or headings of its own, only positioned lines in fonts: this is a reading of the layout,
which the preview lets staff check. A scanned PDF has no text to read and is refused.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, replace
from itertools import combinations
from pathlib import Path

from pdfminer.high_level import extract_pages
from pdfminer.layout import LTChar, LTFigure, LTImage, LTPage, LTTextContainer, LTTextLine
from pdfminer.pdfdocument import PDFDocument, PDFEncryptionError, PDFPasswordIncorrect
from pdfminer.pdfparser import PDFParser, PDFSyntaxError
from pdfminer.psparser import PSException

from bot.importer.document import Converted, Drop, ImportFailed, Metadata, clean_body, snippet

BULLET = re.compile(r"^[•●▪◦‣∙·*–-]\s+(?=\S)")
NUMBERED = re.compile(r"^\d{1,3}[.)]\s+(?=\S)")
PAGE_NUMBER = re.compile(r"^(page\s+)?\d{1,4}(\s*(/|of)\s*\d{1,4})?$", re.I)
HEADING_RATIO = 1.15  # type this much larger than the body's is a heading
PARAGRAPH_GAP = 0.8  # a gap between lines of more than this share of the line height starts a paragraph
FULL_LINE = 0.85  # a line reaching this share of the way to the page's right-most text was wrapped, not ended


@dataclass(frozen=True)
class _Line:
    text: str
    size: float
    bold: bool
    page: int
    left: float
    right: float
    top: float
    bottom: float
    page_right: float  # where the right-most text of its page in its type ends


def convert_pdf(path: Path) -> Converted:
    metadata = _info(path)
    try:
        pages = list(extract_pages(path))
    except (PDFEncryptionError, PDFPasswordIncorrect):
        raise ImportFailed(f"{path.name} is protected by a password; export it again without one") from None
    except (PDFSyntaxError, PSException, ValueError) as err:  # damaged, cut short, or not a PDF at all
        raise ImportFailed(f"{path.name} cannot be read as a PDF ({err}); save or export it again as PDF") from None
    lines, drops = _lines(pages)
    if not lines:
        raise ImportFailed(
            f"{path.name} has no text to read (a scan or pictures of text?); import the original document instead"
        )
    body, title = _markdown(lines)
    return Converted(clean_body(body), metadata.over(Metadata(title=title)), tuple(drops))


def _info(path: Path) -> Metadata:
    """Title and author from the document information; its dates say when the file was made, not published."""
    try:
        with open(path, "rb") as handle:
            info = (PDFDocument(PDFParser(handle)).info or [{}])[0]
    except (PDFSyntaxError, PSException, PDFEncryptionError, PDFPasswordIncorrect, OSError, ValueError, KeyError):
        return Metadata()  # a damaged information dictionary costs only the metadata; extract_pages says more

    def text(key: str) -> str | None:
        value = info.get(key)
        value = getattr(value, "resolve", lambda: value)()
        if isinstance(value, bytes):
            value = value.decode("utf-16") if value.startswith(b"\xfe\xff") else value.decode("latin-1")
        return value.strip() or None if isinstance(value, str) else None

    return Metadata(title=text("Title"), author=text("Author"))


def _lines(pages: list[LTPage]) -> tuple[list[_Line], list[Drop]]:
    """Every text line in reading order, less page furniture; and what was dropped, page by page."""
    lines: list[_Line] = []
    drops: list[Drop] = []
    for number, page in enumerate(pages, 1):
        drops += [Drop(f"page {number}", "an image") for e in page if isinstance(e, (LTImage, LTFigure))]
        found = _reading_order(
            [line for e in page if isinstance(e, LTTextContainer) for line in e if isinstance(line, LTTextLine)]
        )
        page_lines = []
        for line in found:
            if text := " ".join(line.get_text().split()):
                chars = [c for c in line if isinstance(c, LTChar)]
                size = Counter(round(c.size, 1) for c in chars).most_common(1)[0][0] if chars else 0.0
                bold = bool(chars) and all("bold" in c.fontname.lower() for c in chars if c.get_text().strip())
                page_lines.append(_Line(text, size, bold, number, line.x0, line.x1, line.y1, line.y0, 0.0))
        right: dict[float, float] = {}  # a full line is as wide as the widest in its type
        for line in page_lines:
            right[line.size] = max(right.get(line.size, 0.0), line.right)
        lines += [replace(line, page_right=right[line.size]) for line in page_lines]
    repeated = _repeated(lines, len(pages))
    kept = []
    for line in lines:
        if PAGE_NUMBER.match(line.text) or line.text in repeated:
            drops.append(Drop(f"page {line.page}", f"page furniture: {snippet(line.text)}"))
        else:
            kept.append(line)
    return kept, sorted(drops, key=lambda d: int(d.where.split()[1]))


def _reading_order(lines: list[LTTextLine]) -> list[LTTextLine]:
    """A page's lines top to bottom; pdfminer's order of its text boxes, which put a heading after the paragraph
    under it, stands only on a page set in columns (two lines side by side), which it reads column by column."""
    side_by_side = any(a.y0 < b.y1 and b.y0 < a.y1 and (a.x1 < b.x0 or b.x1 < a.x0) for a, b in combinations(lines, 2))
    return lines if side_by_side else sorted(lines, key=lambda line: (-line.y1, line.x0))


def _repeated(lines: list[_Line], pages: int) -> set[str]:
    """Running heads and feet: the same line on most pages of a document of three pages or more."""
    if pages < 3:
        return set()
    on_pages = Counter(text for text, _ in {(line.text, line.page) for line in lines})
    return {text for text, seen in on_pages.items() if seen >= max(3, pages * 0.6)}


def _markdown(lines: list[_Line]) -> tuple[str, str | None]:
    """Lines → Markdown blocks; and the text of the first top-level heading, for the title."""
    chars: Counter[float] = Counter()
    for line in lines:
        chars[line.size] += len(line.text)
    body = chars.most_common(1)[0][0]
    heading_sizes = sorted({line.size for line in lines if line.size > body * HEADING_RATIO}, reverse=True)
    blocks: list[str] = []
    first: list[_Line] = []  # the first line of each block
    title = None
    section = 1  # the level of the heading in force: a question heads an answer one level below it
    for n, line in enumerate(lines):
        goes_on = bool(first) and _continues(first[-1], lines[n - 1], line, blocks[-1])
        if line.size in heading_sizes:
            level = heading_sizes.index(line.size) + 1
            title = title or (line.text if level == 1 else None)
            if goes_on and blocks[-1].startswith("#"):  # a heading that wraps onto a second line
                blocks[-1] += " " + line.text
                continue
            block = "#" * level + " " + line.text
            section = level
        elif line.bold and line.text.endswith("?") and len(line.text.split()) <= 25:
            block = "#" * min(section + 1, 6) + " " + line.text
        elif BULLET.match(line.text):
            block = "- " + BULLET.sub("", line.text)
        elif NUMBERED.match(line.text):
            block = line.text
        elif goes_on and not blocks[-1].startswith("#"):
            hyphen = re.search(r"\w-$", blocks[-1]) and line.text[:1].islower()  # a word cut at the line's end
            blocks[-1] += ("" if hyphen else " ") + line.text
            continue
        else:
            block = line.text
        blocks.append(block)
        first.append(line)
    return _join(blocks), title


def _continues(first: _Line, above: _Line, line: _Line, block: str) -> bool:
    """Whether a line goes on the block above (which opened with `first`): the line above it was full (wrapped, not
    ended), in the same type on the same page, no wider gap than a line's, and indented past the bullet when the
    block is a list item."""
    if above.page != line.page or above.size != line.size:
        return False
    if above.right - above.left < FULL_LINE * (above.page_right - above.left):
        return False
    if (block.startswith("- ") or NUMBERED.match(block)) and line.left <= first.left + 1:
        return False
    return above.bottom - line.top <= PARAGRAPH_GAP * (above.top - above.bottom)


def _join(blocks: list[str]) -> str:
    """Blocks with blank lines between them, none between the items of one list."""
    out: list[str] = []
    for block in blocks:
        is_item = block.startswith("- ") or bool(NUMBERED.match(block))
        if out and not (is_item and (out[-1].startswith("- ") or NUMBERED.match(out[-1]))):
            out.append("")
        out.append(block)
    return "\n".join(out)
