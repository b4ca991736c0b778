"""The documents of a knowledge folder as staff manage them: each with its metadata, passage count and last change;
a document's text with new metadata (the body untouched); and a change to one file that can be undone."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from pathlib import Path

from bot.importer.document import ImportFailed, Metadata, knowledge_markdown, write_whole
from bot.knowledge import KnowledgeError, knowledge_files, load_knowledge, parse_document
from bot.knowledge.markdown import front_matter


@dataclass(frozen=True)
class Document:
    path: str  # within the knowledge folder
    metadata: Metadata
    passages: int
    changed: datetime  # the file's last change (UTC)


def documents(knowledge_dir: Path, max_words: int = 120, min_words: int = 40) -> list[Document]:
    """Every Markdown document of the folder, with the passages a build would answer from."""
    folder = Path(knowledge_dir)
    try:  # the whole folder, so that the disclaimer's section does not count as answers
        counts = Counter(p.source.path for p in load_knowledge(folder, max_words, min_words).passages)
    except KnowledgeError:  # a broken file: each document on its own
        counts = None
    found = []
    for path in (p for p in knowledge_files(folder) if p.suffix == ".md"):
        rel = path.relative_to(folder).as_posix()
        passages, _ = parse_document(path, rel, max_words, min_words)
        title = passages[0].source.title if passages else None
        metadata = _metadata(path.read_text(encoding="utf-8", errors="replace"), rel).over(Metadata(title=title))
        count = counts[rel] if counts is not None else len(passages)
        found.append(Document(rel, metadata, count, datetime.fromtimestamp(path.stat().st_mtime, UTC)))
    return found


def with_metadata(text: str, metadata: Metadata, name: str) -> str:
    """The document's text with this metadata in its front matter; its body, and any other front matter keys, as
    they were."""
    meta, body_start, problems = front_matter(text, name)
    if meta is None:
        raise ImportFailed(f"{problems[0]}; fix the file before editing its details")
    other = {key: value for key, value in meta.items() if key not in {f.name for f in fields(Metadata)}}
    return knowledge_markdown(metadata.checked(), text[body_start:], other)


@dataclass(frozen=True)
class Change:
    """One file of the knowledge folder before and after a change (None: not there), to apply and to undo; with
    the files that changed with it (phrasings.toml, following a document's passages)."""

    path: Path
    before: str | None
    after: str | None
    what: str  # for staff and the audit log: "added pruning.md from pruning.docx"
    also: tuple[Change, ...] = ()

    def apply(self) -> None:
        for change in (self, *self.also):
            write_whole(change.path, change.after)

    def undo(self) -> bool:
        """Put the files back as they were, each unless someone changed it since (then it is left alone: False for
        the document)."""
        for other in self.also:
            other.undo()
        current = self.path.read_text(encoding="utf-8") if self.path.exists() else None
        if current == self.before:  # a rollback put the files back already
            return True
        if current != self.after:
            return False
        write_whole(self.path, self.before)
        return True

    def inverse(self) -> Change:
        return Change(self.path, self.after, self.before, f"undid: {self.what}", tuple(c.inverse() for c in self.also))


def _metadata(text: str, rel: str) -> Metadata:
    meta, _, _ = front_matter(text, rel)
    meta = meta or {}
    return Metadata(**{f.name: str(meta[f.name]) for f in fields(Metadata) if meta.get(f.name)})
