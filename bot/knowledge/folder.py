"""Reading a knowledge folder: every Markdown file into passages, with site.toml, and the files' hashes (an
index records them to tell when it is stale)."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

from bot.knowledge.markdown import parse_document
from bot.knowledge.passage import KnowledgeError, Passage, Problem
from bot.knowledge.phrasings import PHRASINGS_FILE, load_teaching, with_phrasings
from bot.knowledge.site import SITE_FILE, Site, complete_site, load_site
from bot.text import counted


@dataclass
class Knowledge:
    passages: list[Passage]
    site: Site
    files: dict[str, str] = field(default_factory=dict)  # relative path → sha256
    problems: list[Problem] = field(default_factory=list)
    not_answered: tuple[str, ...] = ()  # questions staff marked as not answered by the documents (phrasings.toml)
    sources: dict[str, bytes] = field(default_factory=dict, repr=False)  # relative path → the bytes hashed in `files`

    @property
    def documents(self) -> int:
        return len({p.source.path for p in self.passages})

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]


def knowledge_files(folder: Path) -> list[Path]:
    """The files whose content the index depends on, in a stable order.

    A name starting with '.' is no document, nor is anything in a folder so named: `.git/`, an editor's
    `.draft.md`, the `._guide.md` macOS leaves beside a copied file.
    """
    files = sorted(p for p in folder.rglob("*.md") if p.is_file() and not _hidden(p.relative_to(folder)))
    return files + [folder / name for name in (SITE_FILE, PHRASINGS_FILE) if (folder / name).is_file()]


def _hidden(rel: Path) -> bool:
    return any(part.startswith(".") for part in rel.parts)


# Files that look meant as documents but are not read, and what to do about each.
_MARKDOWN_NAMES = {".md", ".markdown", ".mdown", ".mkd", ".mkdn"}
_IMPORTABLE = {".txt", ".text", ".html", ".htm", ".docx", ".pdf"}


def ignored_files(folder: Path) -> list[Problem]:
    """A warning for each file of the folder that is not read, saying how to bring it in: staff who drop
    `GUIDE.MD` or `guide.txt` in would otherwise never learn that no visitor is answered from it."""
    documents = set(knowledge_files(folder))
    found = []
    for top, folders, files in os.walk(folder):  # links to folders are listed, never followed
        folders[:] = [name for name in folders if not name.startswith(".")]
        found += [Path(top) / name for name in files if not name.startswith(".")]
        found += [Path(top) / name for name in folders if (Path(top) / name).is_symlink()]
    problems = []
    for path in sorted(found):
        rel = path.relative_to(folder)
        if path in documents:
            continue
        name, suffix = rel.as_posix(), path.suffix.lower()
        if path.is_symlink() and not path.exists():
            message = f"is a link to {os.readlink(path)}, which does not exist, so it is ignored; fix or remove it"
        elif path.is_dir():
            message = "is a link to a folder, which is not read; copy the documents into the folder instead"
        elif suffix in _MARKDOWN_NAMES:
            message = f"is ignored: only names ending in '.md' are read; rename it to {path.stem}.md"
        elif suffix in _IMPORTABLE:
            message = (
                f"is ignored: only Markdown (.md) files are read; bring it in with `python -m bot import {path}`, "
                "then move this file out"
            )
        else:
            message = "is ignored: only Markdown (.md) files, site.toml and phrasings.toml are read; move it elsewhere"
        problems.append(Problem(name, 1, message))
    return problems


def read_files(folder: Path, paths: list[Path] | None = None, leave_out_unreadable: bool = False) -> dict[str, bytes]:
    """Each knowledge file's bytes (or those of `paths`), by its path relative to `folder`. One that cannot be read
    raises OSError (its staleness is unknown), or is left out, for its parse to say why."""
    sources = {}
    for path in knowledge_files(folder) if paths is None else paths:
        try:
            sources[path.relative_to(folder).as_posix()] = path.read_bytes()
        except OSError:
            if not leave_out_unreadable:
                raise
    return sources


def hash_files(folder: Path) -> dict[str, str]:
    return digests(read_files(folder))


def digests(sources: dict[str, bytes]) -> dict[str, str]:
    return {name: digest(data) for name, data in sources.items()}


def digest(data: bytes) -> str:
    """A knowledge file's hash, as a build's manifest records it."""
    return hashlib.sha256(data).hexdigest()


def require_folder(folder: Path) -> None:
    if not Path(folder).is_dir():
        raise KnowledgeError(f"Knowledge folder {folder}/ does not exist; create it or pass --knowledge DIR.")


def load_knowledge(folder: Path, max_words: int = 120, min_words: int = 40) -> Knowledge:
    """Read every Markdown file under `folder` into passages; raise KnowledgeError on errors."""
    folder = Path(folder)
    require_folder(folder)
    paths = knowledge_files(folder)
    # read before anything is parsed: a file saved or added during the build then shows as changed since, not as built
    sources = read_files(folder, paths, leave_out_unreadable=True)
    markdown = [p for p in paths if p.suffix == ".md"]
    ignored = ignored_files(folder)
    if not markdown:
        listing = "".join(f"\n{p}" for p in ignored)
        raise KnowledgeError(f"No Markdown (.md) files in {folder}/; add documents there first.{listing}", ignored)
    site, problems = load_site(folder)
    problems += ignored
    passages: list[Passage] = []
    for path in markdown:
        rel = path.relative_to(folder).as_posix()
        found, file_problems = parse_document(path, rel, max_words, min_words, sources.get(rel))
        passages += found
        problems += file_problems
    problems += _duplicate_titles(passages)
    passages, site, site_problems = complete_site(site, passages, folder / SITE_FILE)
    teaching, teaching_problems = load_teaching(folder, passages)
    passages = with_phrasings(passages, teaching)
    problems += site_problems + teaching_problems
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        listing = "\n".join(str(p) for p in errors)
        raise KnowledgeError(f"{counted(len(errors), 'error')} in {folder}/:\n{listing}", problems)
    return Knowledge(passages, site, digests(sources), problems, teaching.not_answered, sources)


def _duplicate_titles(passages: list[Passage]) -> list[Problem]:
    seen: dict[str, str] = {}
    problems = []
    for source in dict.fromkeys(p.source for p in passages):
        if source.title in seen and seen[source.title] != source.path:
            problems.append(
                Problem(
                    source.path,
                    1,
                    f"has the same title as {seen[source.title]}; "
                    "give each document its own title so citations can be told apart",
                )
            )
        seen.setdefault(source.title, source.path)
    return problems
