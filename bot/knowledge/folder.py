"""Reading a knowledge folder: every Markdown file into passages, with site.toml, and the files' hashes (an
index records them to tell when it is stale)."""

from __future__ import annotations

import hashlib
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

    @property
    def documents(self) -> int:
        return len({p.source.path for p in self.passages})

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]


def knowledge_files(folder: Path) -> list[Path]:
    """The files whose content the index depends on, in a stable order."""
    files = sorted(p for p in folder.rglob("*.md") if p.is_file())
    return files + [folder / name for name in (SITE_FILE, PHRASINGS_FILE) if (folder / name).is_file()]


def hash_files(folder: Path) -> dict[str, str]:
    return {
        path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in knowledge_files(folder)
    }


def require_folder(folder: Path) -> None:
    if not Path(folder).is_dir():
        raise KnowledgeError(f"Knowledge folder {folder}/ does not exist; create it or pass --knowledge DIR.")


def load_knowledge(folder: Path, max_words: int = 120, min_words: int = 40) -> Knowledge:
    """Read every Markdown file under `folder` into passages; raise KnowledgeError on errors."""
    folder = Path(folder)
    require_folder(folder)
    markdown = [p for p in knowledge_files(folder) if p.suffix == ".md"]
    if not markdown:
        raise KnowledgeError(f"No Markdown (.md) files in {folder}/; add documents there first.")
    site, problems = load_site(folder)
    passages: list[Passage] = []
    for path in markdown:
        found, file_problems = parse_document(path, path.relative_to(folder).as_posix(), max_words, min_words)
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
    return Knowledge(passages, site, hash_files(folder), problems, teaching.not_answered)


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
