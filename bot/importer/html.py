"""HTML → knowledge Markdown (markdownify): headings, lists and FAQ questions kept, text word for word, and
whatever a visitor could not be quoted (images, tables, navigation, forms) dropped and reported with where it was.

Word documents (through mammoth) and Markdown sources (through markdown-it) come this way too.
"""

from __future__ import annotations

import re

from bs4 import BeautifulSoup, Tag
from markdownify import MarkdownConverter

from bot.importer.document import Converted, Drop, Metadata, clean_body, snippet

HEADING = re.compile(r"^h[1-6]$")
BLOCK_MARK = re.compile(r"^(#{1,6} |[-*+] |\d{1,9}[.)] |>|```|~~~)")  # opens a heading, list, quote or code
NEVER_SHOWN = ["script", "style", "noscript", "template", "head"]
DROPPED = {  # what a quote cannot carry, in words for the report
    "img": "an image",
    "picture": "an image",
    "svg": "a drawing",
    "canvas": "a drawing",
    "video": "a video",
    "audio": "a sound clip",
    "iframe": "an embedded page",
    "object": "an embedded object",
    "embed": "an embedded object",
    "table": "a table",
    "figure": "a figure",
    "form": "a form",
    "button": "a button",
    "input": "a form field",
    "select": "a form field",
    "textarea": "a form field",
    "nav": "navigation",
    "aside": "a sidebar",
}
PAGE_FRAME = {"header": "the page header", "footer": "the page footer"}  # dropped unless inside the article
INLINE = ["a", "b", "strong", "em", "i", "u", "code", "kbd", "samp", "del", "s", "sub", "sup", "q", "mark", "small"]
META_FIELDS = {
    "author": ("author", "article:author", "dc.creator", "citation_author"),
    "publisher": ("og:site_name", "publisher", "dc.publisher"),
    "date": ("article:published_time", "date", "dc.date", "citation_publication_date", "datepublished"),
    "url": ("og:url",),
}


class _Markdown(MarkdownConverter):
    """markdownify with nothing but structure: no emphasis, links or escapes, which a verbatim quote would show."""

    def __init__(self) -> None:
        super().__init__(
            heading_style="atx",
            bullets="-",
            escape_asterisks=False,
            escape_underscores=False,
            escape_misc=False,
            wrap=True,
            wrap_width=None,
            strip=INLINE,
        )

    def convert_hN(self, n: int, el: Tag, text: str, parent_tags: set[str]) -> str:  # noqa: N802 (markdownify's name)
        return super().convert_hN(n, el, text, parent_tags) if text.strip() else ""

    def convert_br(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        return " " + text if {"_inline", "li"} & parent_tags else "\n" + text

    def convert_li(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        # An item's paragraphs stay together, or the item would end at its first blank line.
        return super().convert_li(el, re.sub(r"\n[ \t]*\n", "\n", (text or "").strip()), parent_tags)

    def convert_hr(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        return "\n\n"

    def convert_pre(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        flat = " ".join(text.split())
        if BLOCK_MARK.match(flat):  # its first word would read as a heading or a list item: kept as code, line by line
            return super().convert_pre(el, text, parent_tags)
        return self.convert_p(el, flat, parent_tags)

    convert_blockquote = MarkdownConverter.convert_div
    convert_dd = MarkdownConverter.convert_div
    convert_dt = MarkdownConverter.convert_div


def convert_html(html: str, source_lines: bool = True) -> Converted:
    """An HTML page (or fragment) as knowledge Markdown. `source_lines`: report drops with the page's line numbers
    (False when the HTML was made from another format, whose lines mean nothing to staff)."""
    soup = BeautifulSoup(html, "html.parser")
    metadata = _metadata(soup)
    for tag in soup.find_all(NEVER_SHOWN):
        tag.decompose()
    drops = _drop(soup, source_lines)
    _questions_as_headings(soup)
    _text_after_questions_first(soup)
    return Converted(clean_body(_Markdown().convert_soup(soup)), metadata, tuple(drops))


def _metadata(soup: BeautifulSoup) -> Metadata:
    def meta(*names: str) -> str | None:
        for name in names:
            tag = soup.find("meta", attrs={"name": re.compile(f"^{re.escape(name)}$", re.I)}) or soup.find(
                "meta", attrs={"property": re.compile(f"^{re.escape(name)}$", re.I)}
            )
            if tag and str(tag.get("content") or "").strip():
                return str(tag["content"]).strip()
        return None

    h1 = soup.find("h1")
    title_tag = soup.find("title")
    title = (h1 and h1.get_text(" ", strip=True)) or (title_tag and title_tag.get_text(" ", strip=True)) or None
    canonical = soup.find("link", rel="canonical")
    found = {field: meta(*names) for field, names in META_FIELDS.items()}
    if canonical and canonical.get("href"):
        found["url"] = str(canonical["href"])
    if found["date"]:
        found["date"] = found["date"][:10]  # 2025-12-19T10:00:00Z: the day is what a citation shows
    return Metadata(title=title, **found)


def _drop(soup: BeautifulSoup, source_lines: bool) -> list[Drop]:
    """Remove what cannot be quoted, reporting each with where it was (outermost only: a table's images go with it)."""
    drops: list[Drop] = []
    for tag in soup.find_all(_droppable):
        if tag.decomposed:
            continue
        what = PAGE_FRAME.get(tag.name) or DROPPED.get(tag.name) or "hidden text"
        image = tag if tag.name == "img" else tag.find("img")
        alt = image.get("alt") if image else None
        text = tag.get_text(" ", strip=True)
        if what == "hidden text" and not text:  # an icon or a spacer: nothing a reader would miss
            tag.decompose()
            continue
        if alt:
            what += f" ({snippet(str(alt))})"
        elif text:
            what += f": {snippet(text)}"
        drops.append(Drop(_where(tag, source_lines), what))
        tag.decompose()
    return drops


# An inline style that hides the element from every reader (a class that hides it is in a style sheet not read).
NOT_SHOWN_STYLE = re.compile(
    r"(?:^|;)\s*(?:display\s*:\s*none|visibility\s*:\s*hidden)\s*(?:!\s*important\s*)?(?:;|$)", re.IGNORECASE
)


def _droppable(tag: Tag) -> bool:
    if tag.name in PAGE_FRAME:
        return tag.find_parent(["article", "main"]) is None
    hidden = tag.get("hidden") is not None or tag.get("aria-hidden") == "true"
    return tag.name in DROPPED or hidden or bool(NOT_SHOWN_STYLE.search(str(tag.get("style") or "")))


def _where(tag: Tag, source_lines: bool) -> str:
    heading = tag.find_previous(HEADING)
    under = f"under {snippet(heading.get_text(' ', strip=True))}" if heading else "before the first heading"
    line = getattr(tag, "sourceline", None)
    return f"line {line}, {under}" if source_lines and line else under


def _questions_as_headings(soup: BeautifulSoup) -> None:
    """FAQ questions written as a <summary>, a <dt> or a paragraph in bold alone become headings one level below
    the section they are in, so the text under them is an FAQ answer."""
    level = 1  # of the section the questions are in: a question heading's own section is the one above it
    for tag in soup.find_all([HEADING, "summary", "dt", "p"]):
        text = tag.get_text(" ", strip=True)
        if HEADING.match(tag.name):
            level = int(tag.name[1]) - text.endswith("?")
            continue
        bold_alone = tag.name == "p" and _only_bold(tag)
        if text.endswith("?") and (tag.name != "p" or bold_alone):
            tag.name = f"h{min(level + 1, 6)}"


def _text_after_questions_first(soup: BeautifulSoup) -> None:
    """Text after a run of <details> or <dl> questions, up to the next heading, goes before the run: Markdown has no
    end to a heading's section but the next heading, so it would be read as the last question's answer (opening
    hours cited as the answer to "Is there parking?"), where the page shows it under the section's own heading."""
    for block in soup.find_all(["details", "dl"]):
        if not _holds_question(block) or _holds_question(block.find_next_sibling()):
            continue  # not the last of a run of questions
        first = block
        while _holds_question(first.find_previous_sibling()):
            first = first.find_previous_sibling()
        after = []
        for sibling in block.find_next_siblings():
            if HEADING.match(sibling.name) or sibling.find(HEADING):
                break
            after.append(sibling)
        for sibling in after:
            first.insert_before(sibling.extract())


def _holds_question(tag: Tag | None) -> bool:
    """A <details> or <dl> whose question became a heading."""
    return tag is not None and tag.name in ("details", "dl") and tag.find(HEADING) is not None


def _only_bold(tag: Tag) -> bool:
    children = [c for c in tag.contents if not (isinstance(c, str) and not c.strip())]
    return len(children) == 1 and isinstance(children[0], Tag) and children[0].name in {"b", "strong"}
