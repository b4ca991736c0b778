"""Importing many files, or folders of them, at once: a progress bar, one failure never stopping the rest, and a
summary of what was written, skipped and dropped."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from bot.importer.document import ImportFailed, Metadata
from bot.importer.files import FORMATS, Imported, prepare, supported, write
from bot.text import counted


@dataclass
class Batch:
    """What an import did: the files written, and those left out with the reason."""

    written: list[Imported] = field(default_factory=list)
    skipped: list[tuple[Path, str]] = field(default_factory=list)  # already in the knowledge folder
    failed: list[tuple[Path, str]] = field(default_factory=list)

    def summary(self, knowledge_dir: Path) -> str:
        drops = sum(len(i.drops) for i in self.written)
        passages = sum(len(i.passages) for i in self.written)
        total = len(self.written) + len(self.skipped) + len(self.failed)
        text = (
            f"Imported {len(self.written)} of {counted(total, 'file')} into {knowledge_dir}/ "
            f"({counted(passages, 'passage')}); {len(self.skipped)} skipped (already there: --replace overwrites), "
            f"{len(self.failed)} failed, {counted(drops, 'part')} dropped."
        )
        if self.written:
            text += " Next: `python -m bot build`, or the console's Documents and Index tabs."
        return text


def sources(paths: list[Path]) -> list[Path]:
    """The files named, and every importable file inside the folders named, in a stable order."""
    found: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            found += sorted(p for p in path.rglob("*") if p.is_file() and supported(p) and not p.name.startswith("."))
        else:
            found.append(path)
    return found


def import_all(
    paths: list[Path],
    knowledge_dir: Path,
    given: Metadata = Metadata(),  # noqa: B008 (frozen: never changed)
    replace: bool = False,
    progress: bool = False,
    max_words: int = 120,
    min_words: int = 40,
    say: Callable[[str], None] = tqdm.write,
) -> Batch:
    """Import each file into its own knowledge file; `say` hears each result as it comes."""
    files = sources(paths)
    if not files:
        raise ImportFailed(f"nothing to import in {', '.join(map(str, paths))}; give files of these kinds: {FORMATS}")
    if len(files) > 1 and (given.title or given.url):
        raise ImportFailed("--title and --url belong to one document; import that file on its own to set them")
    batch = Batch()
    targets: dict[Path, Path] = {}  # knowledge file → the source that made it in this batch
    for source in tqdm(files, desc="Importing", unit="file", disable=not progress or len(files) < 2):
        try:
            imported = prepare(source, knowledge_dir, given, max_words, min_words)
            if imported.target in targets:
                raise ImportFailed(
                    f"{source.name} would be {imported.target.name}, like {targets[imported.target].name}; "
                    "rename one of them"
                )
            exists = imported.target.exists()
            if exists and not replace:
                batch.skipped.append((source, f"{imported.target} already exists"))
                if len(files) > 1:  # a lone file's refusal is the command's error message
                    say(f"skipped {source}: {imported.target} already exists (--replace overwrites it)")
                continue
            write(imported, replace=replace)
        except (ImportFailed, OSError) as err:
            batch.failed.append((source, str(err)))
            if len(files) > 1:
                say(f"failed {source}: {err}")
            continue
        targets[imported.target] = source
        batch.written.append(imported)
        passages = counted(len(imported.passages), "passage")
        say(f"{'replaced' if exists else 'wrote'} {imported.target} ({passages}) from {source}")
        for line in imported.report():
            say(f"  {line}")
    return batch
