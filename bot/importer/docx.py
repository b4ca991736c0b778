"""Word (.docx) → knowledge Markdown: mammoth turns heading styles into headings and Word's lists into lists, and
the HTML converter does the rest. Title and author come from the document's properties."""

from __future__ import annotations

import re
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree
from xml.parsers.expat import ExpatError

import mammoth

from bot.importer.document import Converted, Drop, ImportFailed, Metadata, snippet
from bot.importer.html import convert_html

# mammoth's own map knows Heading 1-6 and Word's numbered and bulleted paragraphs; these are Word's other common
# styles of structure.
STYLE_MAP = """
p[style-name='Title'] => h1:fresh
p[style-name='Subtitle'] => p:fresh
p[style-name='List Bullet'] => ul > li:fresh
p[style-name='List Number'] => ol > li:fresh
"""
CORE = "docProps/core.xml"
CORE_NAMES = {"title": "{http://purl.org/dc/elements/1.1/}title", "author": "{http://purl.org/dc/elements/1.1/}creator"}
FURNITURE = re.compile(r"word/(?P<kind>header|footer)\d*\.xml")
WORD = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
WORD_PARAGRAPH, WORD_RUN, WORD_TEXT = WORD + "p", WORD + "r", WORD + "t"
MAX_CORE_BYTES = 1_000_000  # the properties part is a few hundred bytes; more is not a Word file's
# The XML a Word file unpacks to: a 300-page book's is a few MB. A 65 KB upload of repeated text made 20 MB of it,
# 36 s and 235 MB to preview; the console's 5 MB limit let one make 1.5 GB (hours, and tens of GB of memory).
MAX_XML_BYTES = 50_000_000


def convert_docx(path: Path) -> Converted:
    try:
        with zipfile.ZipFile(path) as archive:  # a part never unpacks to more than its declared size
            unpacked = sum(i.file_size for i in archive.infolist() if i.filename.endswith((".xml", ".rels")))
        if unpacked > MAX_XML_BYTES:
            raise ImportFailed(
                f"{path.name} unpacks to {unpacked // 1_000_000} MB of text and markup, more than a Word document "
                f"holds (at most {MAX_XML_BYTES // 1_000_000} MB); save it again as .docx, or split it"
            )
        with open(path, "rb") as handle:
            result = mammoth.convert_to_html(handle, style_map=STYLE_MAP, convert_image=_image_without_data)
    except (zipfile.BadZipFile, KeyError, ValueError, ExpatError) as err:
        raise ImportFailed(f"{path.name} cannot be read as a Word document ({err}); save it again as .docx") from None
    converted = convert_html(result.value, source_lines=False)
    notes = tuple(f"Word: {message.message}" for message in result.messages)
    drops = converted.drops + _page_furniture(path)
    return Converted(converted.body, _properties(path).over(converted.metadata), drops, notes)


def _page_furniture(path: Path) -> tuple[Drop, ...]:
    """The page headers and footers, which mammoth leaves out of the body: reported as dropped, each text once."""
    found: dict[tuple[str, str], None] = {}
    try:
        with zipfile.ZipFile(path) as archive:
            for name in sorted(archive.namelist()):
                kind = FURNITURE.fullmatch(name)
                if kind:
                    text = _paragraphs_text(ElementTree.fromstring(archive.read(name)))
                    if text:
                        found[(f"page {kind['kind']}", snippet(text))] = None
    # a damaged part: the body converted, and these are only reported
    except (KeyError, zipfile.BadZipFile, ElementTree.ParseError, zlib.error, OSError, ValueError):
        return ()
    return tuple(Drop(where, what) for where, what in found)


def _paragraphs_text(root: ElementTree.Element) -> str:
    """The text of a part's paragraphs, each once: a text box is a paragraph inside a run of another, so a
    paragraph's own text is that of its runs (and of runs one wrapper down: a link, a field), not all below it."""
    paragraphs = ("".join(_own_text(p)).strip() for p in root.iter(WORD_PARAGRAPH))
    return " ".join(p for p in paragraphs if p)


def _own_text(paragraph: ElementTree.Element) -> Iterator[str]:
    for child in paragraph:
        for run in [child] if child.tag == WORD_RUN else child.findall(WORD_RUN):
            yield from (t.text or "" for t in run.findall(WORD_TEXT))


@mammoth.images.img_element
def _image_without_data(image) -> dict[str, str]:
    """Images are dropped anyway: keep their alt text for the report, never their bytes."""
    return {"src": "", "alt": image.alt_text or ""}


def _properties(path: Path) -> Metadata:
    """Title and author from the document's properties; Word's dates say when the file was made, not published."""
    try:
        with zipfile.ZipFile(path) as archive:
            info = archive.getinfo(CORE)
            if info.file_size > MAX_CORE_BYTES:
                return Metadata()
            root = ElementTree.fromstring(archive.read(info))
    except (KeyError, zipfile.BadZipFile, ElementTree.ParseError):
        return Metadata()
    found = {name: (root.findtext(tag) or "").strip() or None for name, tag in CORE_NAMES.items()}
    return Metadata(**found)
