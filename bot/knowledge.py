"""Knowledge stage: a folder of Markdown files (+ optional site.toml) → verbatim passages.

A passage is an exact slice of its source file: one paragraph, or a short run of
paragraphs under one heading, never cut inside a sentence. The heading path travels
with each passage for citations and matching.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

import yaml

from bot.errors import BotError
from bot.text import WORD, sentence_spans, sentences

SITE_FILE = "site.toml"
HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t]*#*[ \t]*$")
FENCE = re.compile(r"^[ \t]{0,3}(```|~~~)")
LIST_ITEM = re.compile(r"^[ \t]{0,3}([-*+]|\d{1,9}[.)])[ \t]+\S")


class KnowledgeError(BotError):
    """The knowledge folder cannot be turned into passages; `problems` says where and why."""

    def __init__(self, message: str, problems: list[Problem] | None = None):
        super().__init__(message)
        self.problems = problems or []


@dataclass(frozen=True)
class Source:
    """Citation metadata of one document, from its front matter."""

    path: str
    title: str
    author: str | None = None
    publisher: str | None = None
    date: str | None = None
    url: str | None = None

    @property
    def credit(self) -> str:
        """'Author, Publisher, 2025-12-19', leaving out what is unknown."""
        return ", ".join(part for part in (self.author, self.publisher, self.date) if part)


@dataclass(frozen=True)
class Passage:
    id: str
    text: str
    headings: tuple[str, ...]
    source: Source
    line: int

    @property
    def heading(self) -> str:
        return " › ".join(self.headings)

    @property
    def question(self) -> str | None:
        """The FAQ question this passage answers, when its heading is a question."""
        if self.headings and self.headings[-1].rstrip().endswith("?"):
            return self.headings[-1]
        return None

    @property
    def location(self) -> str:
        return f"{self.source.path}:{self.line}"

    @property
    def citation(self) -> str:
        where = " › ".join((self.source.title, *self.headings))
        return f"{where} — {self.source.credit}" if self.source.credit else where


@dataclass(frozen=True)
class Problem:
    path: str
    line: int
    message: str
    severity: Literal["error", "warning"] = "warning"

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.severity}: {self.message}"


@dataclass(frozen=True)
class Site:
    """Fixed texts the assistant shows; written once by people, never generated."""

    title: str = "Ask our documents"
    description: str = "Answers are quoted word for word from our documents, with their source."
    fallback: str = "I have no answer to that in our documents. Please try other words, or contact us directly."
    disclaimer: str = "These answers are quotations from our documents, not professional advice."
    disclaimer_section: str = ""
    banner: str = ""  # the short notice above the chat; empty means the disclaimer's first sentence
    examples: tuple[str, ...] = ()
    # A message that describes an emergency gets urgent_notice first, then the passage containing urgent_passage
    # (for example the one listing reactions to report at once); see bot/urgent.py for how one is recognised:
    # a phrase of urgent_phrases, a message close in meaning to urgent_examples rather than to not_urgent_examples,
    # or a temperature of urgent_fever_celsius or more (0: no such rule). Self-harm has phrases and examples of
    # its own, and self_harm_notice when the site has one (a crisis line, say); otherwise urgent_notice.
    urgent_notice: str = ""
    urgent_phrases: tuple[str, ...] = ()
    urgent_passage: str = ""
    urgent_examples: tuple[str, ...] = ()
    not_urgent_examples: tuple[str, ...] = ()
    urgent_fever_celsius: float = 0.0
    self_harm_notice: str = ""
    self_harm_phrases: tuple[str, ...] = ()
    self_harm_examples: tuple[str, ...] = ()
    emergency_contact: str = ""  # shown with the urgent notice when set: whom to call, as the site gives it


@dataclass
class Knowledge:
    passages: list[Passage]
    site: Site
    files: dict[str, str] = field(default_factory=dict)  # relative path → sha256
    problems: list[Problem] = field(default_factory=list)

    @property
    def documents(self) -> int:
        return len({p.source.path for p in self.passages})

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]


@dataclass(frozen=True)
class _Block:
    """A run of non-blank lines: a paragraph, a list or a code block."""

    line: int
    start: int
    end: int
    is_list: bool


def knowledge_files(folder: Path) -> list[Path]:
    """The files whose content the index depends on, in a stable order."""
    files = sorted(p for p in folder.rglob("*.md") if p.is_file())
    site = folder / SITE_FILE
    return files + ([site] if site.is_file() else [])


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
    site, problems = _load_site(folder)
    passages: list[Passage] = []
    for path in markdown:
        found, file_problems = parse_document(path, path.relative_to(folder).as_posix(), max_words, min_words)
        passages += found
        problems += file_problems
    problems += _duplicate_titles(passages)
    passages, site, disclaimer_problems = _take_disclaimer(passages, site)
    site = _with_banner(site)
    problems += disclaimer_problems + _required_texts(site) + _example_problems(site, folder / SITE_FILE)
    if site.urgent_passage and not any(site.urgent_passage in p.text for p in passages):
        problems.append(
            Problem(
                SITE_FILE,
                1,
                f"urgent_passage {site.urgent_passage!r} is in no passage; copy a "
                "phrase of the passage to show with the urgent notice",
                "error",
            )
        )
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        listing = "\n".join(str(p) for p in errors)
        raise KnowledgeError(f"{len(errors)} error(s) in {folder}/:\n{listing}", problems)
    return Knowledge(passages=passages, site=site, files=hash_files(folder), problems=problems)


def parse_document(
    path: Path, rel: str, max_words: int = 120, min_words: int = 40
) -> tuple[list[Passage], list[Problem]]:
    """Split one Markdown file into passages, with the problems found on the way."""
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as err:
        line = path.read_bytes()[: err.start].count(b"\n") + 1
        return [], [Problem(rel, line, "not valid UTF-8; save the file as UTF-8", "error")]
    except OSError as err:
        return [], [Problem(rel, 1, f"cannot be read ({err.strerror}); check its permissions", "error")]
    text = text.removeprefix("\ufeff")
    meta, body_start, problems = _front_matter(text, rel)
    if meta is None:
        return [], problems
    blocks, sections, fence_problems = _scan(text, body_start, rel)
    problems += fence_problems
    first_h1 = next((path[0][1] for path in sections.values() if path[0][0] == 1), None)
    title = str(meta.get("title") or first_h1 or Path(rel).stem)
    source = Source(
        path=rel,
        title=title,
        **{key: str(meta[key]) for key in ("author", "publisher", "date", "url") if meta.get(key)},
    )
    passages: list[Passage] = []
    for headings, section_blocks in _group_by_section(blocks, sections, title):
        for start, end, line in _pack(text, section_blocks, rel, max_words, min_words, problems):
            passages.append(_passage(text[start:end], headings, source, line))
    if not passages:
        problems.append(Problem(rel, 1, "has no text to answer from; add paragraphs or remove the file"))
    return passages, problems


def _passage(text: str, headings: tuple[str, ...], source: Source, line: int) -> Passage:
    digest = hashlib.sha256("\n".join((source.path, *headings, text)).encode()).hexdigest()[:16]
    return Passage(id=digest, text=text, headings=headings, source=source, line=line)


def _front_matter(text: str, rel: str) -> tuple[dict | None, int, list[Problem]]:
    """YAML between leading '---' lines; returns (metadata, offset of the body, problems)."""
    if not text.startswith("---\n") and not text.startswith("---\r\n"):
        return {}, 0, []
    match = re.compile(r"^---[ \t]*\r?$", re.M).search(text, 4)
    if match is None:
        return (
            None,
            0,
            [Problem(rel, 1, "front matter opened with '---' is never closed; add a closing '---' line", "error")],
        )
    try:
        meta = yaml.safe_load(text[4 : match.start()]) or {}
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = (mark.line + 2) if mark else 1
        return (
            None,
            0,
            [Problem(rel, line, f"front matter is not valid YAML ({getattr(err, 'problem', err)})", "error")],
        )
    if not isinstance(meta, dict):
        return (
            None,
            0,
            [Problem(rel, 2, "front matter must be 'key: value' lines (title, author, publisher, date)", "error")],
        )
    return meta, match.end(), []


def _scan(text: str, offset: int, rel: str) -> tuple[list[_Block], dict[int, tuple], list[Problem]]:
    """Blocks of the body, and the heading path in force at each heading's line."""
    blocks: list[_Block] = []
    sections: dict[int, tuple] = {}  # block index where a heading path starts → path of (level, text)
    path: list[tuple[int, str]] = []
    current: list[tuple[int, int, int]] = []  # (line, start, end) of the lines of the open block
    fence_line = 0
    line_no = text.count("\n", 0, offset) + 1

    def close() -> None:
        if current:
            first = text[current[0][1] : current[0][2]]
            blocks.append(_Block(current[0][0], current[0][1], current[-1][2], bool(LIST_ITEM.match(first))))
            current.clear()

    pos = offset
    while pos < len(text):
        nl = text.find("\n", pos)
        end = len(text) if nl == -1 else nl
        line = text[pos:end].rstrip("\r")
        stripped_end = pos + len(line.rstrip())
        if fence_line:
            current.append((line_no, pos, stripped_end))
            if FENCE.match(line):
                fence_line = 0
        elif FENCE.match(line):
            fence_line = line_no
            current.append((line_no, pos, stripped_end))
        elif not line.strip():
            close()
        elif heading := HEADING.match(line):
            close()
            level = len(heading.group(1))
            path = [h for h in path if h[0] < level] + [(level, heading.group(2).strip())]
            sections[len(blocks)] = tuple(path)
        else:
            current.append((line_no, pos, stripped_end))
        pos = end + 1
        line_no += 1
    close()
    problems = [Problem(rel, fence_line, "code fence is never closed; add the closing ``` line")] if fence_line else []
    return blocks, sections, problems


def _group_by_section(
    blocks: list[_Block], sections: dict[int, tuple], title: str
) -> list[tuple[tuple[str, ...], list[_Block]]]:
    groups: list[tuple[tuple[str, ...], list[_Block]]] = []
    headings: tuple[str, ...] = ()
    for i, block in enumerate(blocks):
        if i in sections:
            headings = tuple(h for level, h in sections[i] if not (level == 1 and h == title))
        if not groups or i in sections:
            groups.append((headings, []))
        groups[-1][1].append(block)
    return groups


def _pack(
    text: str, blocks: list[_Block], rel: str, max_words: int, min_words: int, problems: list[Problem]
) -> list[tuple[int, int, int]]:
    """Group a section's blocks into (start, end, line) passage spans."""
    spans: list[tuple[int, int, int]] = []
    run: list[tuple[int, int, int]] = []

    def flush() -> None:
        if run:
            spans.append((run[0][0], run[-1][1], run[0][2]))
            run.clear()

    def words(start: int, end: int) -> int:
        return len(text[start:end].split())

    for unit in _units(text, blocks, rel, problems):
        if unit is None:  # a dropped list introduction separates what stood around it
            flush()
            continue
        start, end, line = unit
        count = words(start, end)
        if count > max_words:
            flush()
            spans += _sentence_chunks(text, start, end, line, max_words, rel, problems)
            continue
        if run and (words(run[0][0], run[-1][1]) >= min_words or words(run[0][0], end) > max_words):
            flush()
        run.append(unit)
    flush()
    return spans


def _units(text: str, blocks: list[_Block], rel: str, problems: list[Problem]) -> list[tuple[int, int, int] | None]:
    """Paragraphs as (start, end, line); a list joins the paragraph that introduces it.

    A paragraph ending in ':' with no list after it introduced a list that is lost;
    that sentence is dropped (warned about) and None marks the gap it leaves.
    """
    units: list[tuple[int, int, int] | None] = []
    i = 0
    while i < len(blocks):
        block = blocks[i]
        if text[block.start : block.end].endswith(":"):
            following = blocks[i + 1] if i + 1 < len(blocks) else None
            if following is not None and following.is_list:
                units.append((block.start, following.end, block.line))
                i += 2
                continue
            last_line = block.line + text.count("\n", block.start, block.end)
            problems.append(
                Problem(
                    rel,
                    last_line,
                    "line ends with ':' but no list follows; it is left out of the answers "
                    "(add the list items, or end the sentence with '.')",
                )
            )
            kept = _without_last_sentence(text, block.start, block.end)
            if kept:
                units.append((block.start, kept, block.line))
            units.append(None)
        else:
            units.append((block.start, block.end, block.line))
        i += 1
    return units


def _without_last_sentence(text: str, start: int, end: int) -> int | None:
    """End offset of the paragraph once its last sentence is removed, or None if nothing is left."""
    spans = sentence_spans(text[start:end])
    if len(spans) < 2:
        return None
    return start + len(text[start : start + spans[-1][0]].rstrip())


def _sentence_chunks(
    text: str, start: int, end: int, line: int, max_words: int, rel: str, problems: list[Problem]
) -> list[tuple[int, int, int]]:
    """Split a long paragraph between sentences into runs of at most max_words words."""
    chunks: list[tuple[int, int, int]] = []
    chunk_start = start
    count = 0
    total = len(text[start:end].split())
    target = -(-total // -(-total // max_words))  # even chunks rather than a full one and a stub
    for span_start, span_end in sentence_spans(text[start:end]):
        sentence_words = len(text[start + span_start : start + span_end].split())
        if count and (count + sentence_words > max_words or count >= target):
            chunk_end = start + len(text[start : start + span_start].rstrip())
            chunks.append((chunk_start, chunk_end, line + text.count("\n", start, chunk_start)))
            chunk_start, count = start + span_start, 0
        count += sentence_words
        if sentence_words > max_words:
            problems.append(
                Problem(
                    rel,
                    line,
                    f"a sentence of {sentence_words} words is longer than the {max_words}-word passage limit; "
                    "consider splitting it",
                )
            )
    chunks.append((chunk_start, end, line + text.count("\n", start, chunk_start)))
    return chunks


def _load_site(folder: Path) -> tuple[Site, list[Problem]]:
    path = folder / SITE_FILE
    if not path.is_file():
        missing = f"no {SITE_FILE}: the generic title, fallback and disclaimer are used; add one to set them"
        return Site(), [Problem(SITE_FILE, 1, missing)]
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        return Site(), [Problem(SITE_FILE, 1, f"is not valid TOML ({err})", "error")]
    known = set(Site.__dataclass_fields__)
    unknown = sorted(set(data) - known)
    problems = [Problem(SITE_FILE, 1, f"unknown setting {key!r}; known: {', '.join(sorted(known))}") for key in unknown]
    values: dict[str, str | float | tuple[str, ...]] = {}
    for key in sorted(known & set(data)):
        value, wanted = data[key], getattr(Site(), key)
        if isinstance(wanted, tuple) and isinstance(value, list) and all(isinstance(e, str) for e in value):
            values[key] = tuple(value)
        elif isinstance(wanted, str) and isinstance(value, str):
            values[key] = value
        elif isinstance(wanted, float) and _is_number(value) and value >= 0:
            values[key] = float(value)
        else:
            form = {tuple: f'{key} = ["...", "..."]', float: f"{key} = 38.0 (a number, 0 or more)"}.get(
                type(wanted), f'{key} = "..."'
            )
            problems.append(Problem(SITE_FILE, _line_of(path, key), f"{key} must be written as {form}", "error"))
    return Site(**values), problems


def _example_problems(site: Site, path: Path) -> list[Problem]:
    """Blank example messages stop the build; one message given as both urgent and not urgent is a warning."""
    problems = []
    for key in ("urgent_examples", "self_harm_examples", "not_urgent_examples"):
        if any(not WORD.search(example) for example in getattr(site, key)):
            problems.append(Problem(SITE_FILE, _line_of(path, key), f"{key} has a blank message; remove it", "error"))
    urgent = {e.casefold().strip() for e in site.urgent_examples + site.self_harm_examples}
    for example in site.not_urgent_examples:
        if example.casefold().strip() in urgent:
            where = _line_of(path, "not_urgent_examples")
            problems.append(Problem(SITE_FILE, where, f"{example!r} is given as both urgent and not urgent; keep one"))
    return problems


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _line_of(path: Path, key: str) -> int:
    """The line where a TOML key is set, for pointing at it (1 when not found)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return next((n for n, line in enumerate(lines, 1) if line.split("=")[0].strip() == key), 1)


def _required_texts(site: Site) -> list[Problem]:
    """Every reply shows the disclaimer, and a question without an answer the fallback: neither may be blank."""
    fix = {"disclaimer": "set disclaimer, or disclaimer_section to the heading of the disclaimer's section"}
    fix["fallback"] = "set fallback to what a visitor reads when the documents have no answer"
    return [
        Problem(SITE_FILE, 1, f"the {key} is empty; {how}", "error")
        for key, how in fix.items()
        if not getattr(site, key).strip()
    ]


def _take_disclaimer(passages: list[Passage], site: Site) -> tuple[list[Passage], Site, list[Problem]]:
    """Move the section named by site.disclaimer_section out of the answers and into site.disclaimer."""
    wanted = site.disclaimer_section.strip().casefold()
    if not wanted:
        return passages, site, []
    chosen = [p for p in passages if p.headings and p.headings[-1].casefold() == wanted]
    if not chosen:
        return (
            passages,
            site,
            [
                Problem(
                    SITE_FILE,
                    1,
                    f"disclaimer_section {site.disclaimer_section!r} is not a heading in any document; "
                    "fix the name or add that section",
                    "error",
                )
            ],
        )
    rest = [p for p in passages if p not in chosen]
    disclaimer = "\n\n".join(p.text for p in chosen)
    return rest, replace(site, disclaimer=disclaimer), []


def _with_banner(site: Site) -> Site:
    if site.banner:
        return site
    first = sentences(site.disclaimer)
    return replace(site, banner=first[0] if first else site.disclaimer)


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
