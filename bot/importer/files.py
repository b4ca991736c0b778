"""One source file → one knowledge file: the converter for its format, its metadata with the given fields over
the document's own, the passages and warnings it would make (a preview), and writing it without overwriting."""

from __future__ import annotations

import multiprocessing
import re
import tempfile
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bot.importer.document import Converted, Drop, ImportFailed, Metadata, knowledge_markdown, write_whole
from bot.importer.docx import convert_docx
from bot.importer.html import convert_html
from bot.importer.pdf import convert_pdf
from bot.importer.text import convert_markdown, convert_text
from bot.knowledge import Passage, Problem, parse_document


def _html(path: Path) -> Converted:
    return convert_html(path.read_bytes())  # bytes: the page's own <meta charset> decides


CONVERTERS: dict[str, Callable[[Path], Converted]] = {
    ".html": _html,
    ".htm": _html,
    ".docx": convert_docx,
    ".pdf": convert_pdf,
    ".md": convert_markdown,
    ".txt": convert_text,
}
FORMATS = ", ".join(CONVERTERS)


@dataclass(frozen=True)
class Imported:
    """A source as the knowledge file it makes, not yet written: what it holds, what was dropped, what it warns."""

    source: Path
    target: Path
    markdown: str
    metadata: Metadata
    drops: tuple[Drop, ...]
    notes: tuple[str, ...]
    passages: tuple[Passage, ...]
    problems: tuple[Problem, ...]

    def report(self) -> list[str]:
        """What staff should know: each drop with where it was, the converter's notes and the splitter's warnings."""
        return (
            [f"{self.source.name}: {drop.where}: dropped {drop.what}" for drop in self.drops]
            + [f"{self.source.name}: {note}" for note in self.notes]
            + [str(problem) for problem in self.problems]
        )


FILE_PROPERTIES = (".docx", ".pdf")  # whose author is a property the saving program filled in, not a page's byline


def supported(path: Path) -> bool:
    return path.suffix.lower() in CONVERTERS


def target_name(source: Path) -> str:
    """The knowledge file's name: the source's, in lower-case ASCII words joined by '-'."""
    ascii_name = unicodedata.normalize("NFKD", source.stem).encode("ascii", "ignore").decode()
    return (re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-") or "document") + ".md"


def prepare(
    source: Path,
    knowledge_dir: Path,
    given: Metadata = Metadata(),  # noqa: B008 (frozen: never changed)
    max_words: int = 120,
    min_words: int = 40,
    name: str | None = None,
    seconds: float = 0,
) -> Imported:
    """Convert one file and split the result as a build would, changing nothing on disk; with `seconds`, in a
    process of its own that is stopped after that long."""
    source = Path(source)
    if not supported(source):
        raise ImportFailed(
            f"{source.name}: cannot import {source.suffix or 'a file without an extension'}; "
            f"save it as one of {FORMATS} first"
        )
    if not source.is_file():
        raise ImportFailed(f"{source} does not exist or is not a file; check the path")
    given = given.checked()
    try:
        converted = _convert_within(source, seconds) if seconds else _convert(source)
    except ImportFailed:
        raise
    except Exception as err:  # a converter's own failure on a damaged file: one clear line, never a traceback
        raise ImportFailed(
            f"{source.name} could not be read ({type(err).__name__}: {err}); open it, save it again and retry"
        ) from None
    own, notes = _usable(converted.metadata)
    metadata = given.over(own)
    if source.suffix.lower() in FILE_PROPERTIES and own.author and metadata.author == own.author != given.author:
        notes.append(
            f"author {own.author!r} is the file's own property, which often names a computer or a template: every "
            "citation shows it; set --author (or the author in the console's details) if that is not who wrote it"
        )
    if not metadata.title:
        first = re.search(r"^#{1,6} (.+)$", converted.body, re.M)
        metadata = metadata.over(Metadata(title=first.group(1) if first else source.stem))
        notes.append(f"no title in the document: using {metadata.title!r}; set one with --title or in the console")
    target = Path(knowledge_dir) / (name or target_name(source))
    markdown = knowledge_markdown(metadata, converted.body)
    passages, problems = _split(markdown, target.name, max_words, min_words)
    if not passages:
        has_words = bool(re.search(r"\w", re.sub(r"^#.*$", "", converted.body, flags=re.M)))
        scanned = source.suffix.lower() in (".pdf", ".docx") and not has_words
        why = "a scan, or only pictures?" if scanned else "too little for a passage" if has_words else "it is empty"
        more = len(converted.drops) - 3  # an error is one line: the first three, and how many more
        shown = [str(drop) for drop in converted.drops[:3]] + ([f"{more} more"] if more > 0 else [])
        dropped = f"; dropped: {', '.join(shown)}" if shown else ""
        raise ImportFailed(f"{source.name} has no text to answer from ({why}){dropped}; nothing imported")
    return Imported(source, target, markdown, metadata, converted.drops, (*converted.notes, *notes), passages, problems)


def _convert(source: Path) -> Converted:
    return CONVERTERS[source.suffix.lower()](source)


def _convert_within(source: Path, seconds: float) -> Converted:
    """The conversion in a process of its own, stopped after `seconds`: a 1.4 KB PDF of stacked text lines kept
    pdfminer busy for minutes, and a thread cannot be stopped. Spawned, not forked: the console runs threads."""
    with multiprocessing.get_context("spawn").Pool(1) as pool:  # leaving the block terminates it
        try:
            return pool.apply_async(_convert, (source,)).get(seconds)
        except multiprocessing.TimeoutError:
            raise ImportFailed(
                f"{source.name} took more than {seconds:g} s to read, more than a document of its size should; "
                "open it, save or export it again and retry"
            ) from None


def write(imported: Imported, replace: bool = False) -> None:
    """Write the knowledge file; an existing one only with replace, and never half-written."""
    if imported.target.exists() and not replace:
        raise ImportFailed(
            f"{imported.target} already exists; pass --replace to overwrite it, or import under another name"
        )
    write_whole(imported.target, imported.markdown)


def _usable(metadata: Metadata) -> tuple[Metadata, list[str]]:
    """The document's own metadata, less a date or URL of a form a citation cannot use (noted, not fatal)."""
    notes = []
    try:
        return metadata.checked(), notes
    except ImportFailed as err:
        notes.append(f"the document's own metadata was not used: {err}; set it with --date or --url")
    return Metadata(title=metadata.title, author=metadata.author, publisher=metadata.publisher), notes


def _split(markdown: str, name: str, max_words: int, min_words: int) -> tuple[tuple[Passage, ...], tuple[Problem, ...]]:
    with tempfile.TemporaryDirectory(prefix="bot-import-") as folder:
        path = Path(folder) / name
        path.write_text(markdown, encoding="utf-8")
        passages, problems = parse_document(path, name, max_words, min_words)
    return tuple(passages), tuple(problems)
