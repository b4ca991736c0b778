"""phrasings.toml: what staff taught from visitors' questions. Matched, never shown.

    [[taught]]
    passage = "Document title › Section › Subsection"   # the passage's document and heading path
    quote = "a few words of its text"                    # only when its section has several passages
    questions = ["how visitors asked it", "…"]

    [not_answered]
    questions = ["what the documents do not answer", "…"]

A taught question is matched like the FAQ question of its passage; a visitor's question nearer to a
"not answered" one than to anything the documents answer gets the fallback. A passage is named by its
heading path and a quote of its text, not by its id, so a reference survives edits to other passages.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from pathlib import Path

import tomlkit

from bot.atomic import write_atomically
from bot.knowledge.passage import Passage, Problem
from bot.knowledge.site import one_writer, toml_problem

PHRASINGS_FILE = "phrasings.toml"
HEADER = """\
# What staff taught from visitors' questions (`python -m bot teach` or the console's Visitor questions tab).
# Matched, never shown: every word a visitor reads is still the documents'. A passage is named by its
# document title and heading path, and by a few words of its text ("quote") when its section has several.
# After editing, run `python -m bot build`.
"""


@dataclass(frozen=True)
class Teaching:
    phrasings: dict[str, tuple[str, ...]] = field(default_factory=dict)  # passage id → questions taught to it
    not_answered: tuple[str, ...] = ()


def reference(passage: Passage) -> str:
    """How phrasings.toml names a passage: its document title and heading path."""
    return " › ".join((passage.source.title, *passage.headings))


def find_passages(passages: list[Passage], named: str, quote: str = "") -> list[Passage]:
    """The passages a reference names, those whose text holds the quote first (all of them when it is empty)."""
    under = [p for p in passages if _same(reference(p), named)]
    return [p for p in under if _same(quote, "") or quote.casefold() in p.text.casefold()]


def load_teaching(folder: Path, passages: list[Passage]) -> tuple[Teaching, list[Problem]]:
    """What phrasings.toml teaches, and its problems with file:line (a passage that no longer exists is an error)."""
    path = Path(folder) / PHRASINGS_FILE
    if not path.is_file():
        return Teaching(), []
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as err:  # replaced silently, a taught question would not be what staff wrote
        line = path.read_bytes()[: err.start].count(b"\n") + 1
        return Teaching(), [Problem(PHRASINGS_FILE, line, "not valid UTF-8; save the file as UTF-8", "error")]
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        return Teaching(), [toml_problem(PHRASINGS_FILE, err, text)]
    tables = _Tables(text)
    problems = [
        Problem(PHRASINGS_FILE, tables.line(key), f"unknown table {key!r}; known: taught, not_answered")
        for key in sorted(set(data) - {"taught", "not_answered"})
    ]
    phrasings: dict[str, list[str]] = {}
    owner: dict[str, str] = {}  # casefolded question → the reference it was taught to
    for entry in _entries(data.get("taught", []), problems, tables):
        line = tables.find(entry["passage"], entry["span"])
        found = find_passages(passages, entry["passage"], entry["quote"])
        if not found:
            what = f"quoting {entry['quote']!r} " if entry["quote"] else ""
            problems.append(
                Problem(PHRASINGS_FILE, line, f"no passage {what}under {entry['passage']!r}; fix or remove it", "error")
            )
            continue
        if len(found) > 1:
            problems.append(
                Problem(
                    PHRASINGS_FILE,
                    line,
                    f"{len(found)} passages under {entry['passage']!r}; add a quote of "
                    "the one meant (the first is used)",
                )
            )
        for question in entry["questions"]:
            key = _key(question)
            if key in owner and owner[key] != entry["passage"]:
                where = tables.find(question, entry["span"])
                problems.append(Problem(PHRASINGS_FILE, where, f"{question!r} is taught to two passages"))
            owner.setdefault(key, entry["passage"])
            phrasings.setdefault(found[0].id, []).append(question)
    span = tables.span("not_answered")
    table = data.get("not_answered", {})
    _unknown_keys(table, "[not_answered]", ("questions",), span, tables, problems)
    not_answered = _questions(table, "not_answered", problems, tables.find_key("questions", span))
    for question in not_answered:
        if _key(question) in owner:
            where = tables.find(question, span)
            problems.append(Problem(PHRASINGS_FILE, where, f"{question!r} is both taught and not answered"))
    taught = {pid: tuple(dict.fromkeys(qs)) for pid, qs in phrasings.items()}
    return Teaching(taught, tuple(dict.fromkeys(not_answered))), problems


def with_phrasings(passages: list[Passage], teaching: Teaching) -> list[Passage]:
    return [replace(p, phrasings=teaching.phrasings[p.id]) if p.id in teaching.phrasings else p for p in passages]


@dataclass(frozen=True)
class Decision:
    """What deciding a question did: whether it was added, and in how many places the opposite decision went."""

    added: bool
    replaced: int = 0


class PhrasingsFile:
    """phrasings.toml opened for changes, written back whole once done (`with PhrasingsFile(folder) as file:`);
    comments and layout staff wrote are kept. It is read on entering, and no one else changes it until the end."""

    def __init__(self, folder: Path):
        self.path = Path(folder) / PHRASINGS_FILE
        self.changed = False
        self._lock = ExitStack()

    def __enter__(self) -> PhrasingsFile:
        self._lock.enter_context(one_writer(self.path))
        try:
            text = self.path.read_text(encoding="utf-8") if self.path.is_file() else HEADER
            self.document = tomlkit.parse(text)
        except BaseException:
            self._lock.close()
            raise
        return self

    def __exit__(self, kind, error, trace) -> None:
        with self._lock:
            if error is None and self.changed:
                write_atomically(self.path, _spaced(tomlkit.dumps(self.document)))

    def teach(self, passage: Passage, question: str, all_passages: list[Passage]) -> bool:
        """Add a question as a phrasing of a passage; False when it is already taught to it."""
        quote = _quote(passage, all_passages)
        taught = self.document.setdefault("taught", tomlkit.aot())
        for entry in taught:
            if _same(str(entry.get("passage", "")), reference(passage)) and _same(str(entry.get("quote", "")), quote):
                if any(_key(str(q)) == _key(question) for q in entry.get("questions", [])):
                    return False
                entry.setdefault("questions", _multiline([])).append(question)  # an entry staff left without any
                break
        else:
            inline = not isinstance(taught, tomlkit.items.AoT)  # written taught = [{...}]: a [[taught]] in it broke it
            entry = tomlkit.inline_table() if inline else tomlkit.table()
            entry["passage"] = reference(passage)
            if quote:
                entry["quote"] = quote
            entry["questions"] = _multiline([question]).multiline(not inline)
            taught.append(entry)
        self.changed = True
        return True

    def mark_not_answered(self, question: str) -> bool:
        """Add a question the documents do not answer; False when it is already there."""
        table = self.document.setdefault("not_answered", tomlkit.table())
        questions = table.setdefault("questions", _multiline([]))
        if any(_key(str(q)) == _key(question) for q in questions):
            return False
        questions.append(question)
        self.changed = True
        return True

    def decide(self, question: str, passage: Passage | None, all_passages: list[Passage]) -> Decision:
        """Teach a question to a passage, or mark it not answered here (passage None). The latest decision stands:
        the opposite one goes, since a question both taught and marked would be answered and refused at once."""
        if passage is None:
            return Decision(self.mark_not_answered(question), self.untaught(question, not_answered=False))
        return Decision(self.teach(passage, question, all_passages), self.untaught(question, taught=False))

    def untaught(self, question: str, taught: bool = True, not_answered: bool = True) -> int:
        """Remove a question wherever it was taught (to any passage) or marked not answered, or only the one or the
        other; how many places it was removed from. A [[taught]] table left with no question goes too, not one
        staff left empty."""
        removed = 0
        entries = self.document.get("taught", []) if taught else []
        for i in reversed(range(len(entries))):
            count = _remove(entries[i].get("questions", []), question)
            if count and not entries[i].get("questions"):
                del entries[i]
            removed += count
        if not_answered:
            removed += _remove(self.document.get("not_answered", {}).get("questions", []), question)
        self.changed = self.changed or removed > 0
        return removed

    def follow(self, before: list[Passage], after: list[Passage]) -> tuple[list[str], list[str]]:
        """Keep what was taught to a passage across a change to the documents: an entry that named a passage before
        the change and names none after it is pointed at the passage with the same text, if the change kept one (a
        new title, a heading renamed), or removed (the document retired, the section rewritten). An entry that named
        no passage before is left for `check` to report. Returns the questions (moved, removed)."""
        moved: list[str] = []
        removed: list[str] = []
        taught = self.document.get("taught", [])
        for i in reversed(range(len(taught))):
            named, quote = str(taught[i].get("passage", "")), str(taught[i].get("quote", ""))
            was = find_passages(before, named, quote)
            if not was or find_passages(after, named, quote):
                continue
            questions = [str(q) for q in taught[i].get("questions", [])]
            kept = [p for p in after if p.text == was[0].text]
            if kept:
                taught[i]["passage"] = reference(kept[0])
                if quote or len(find_passages(after, reference(kept[0]))) > 1:
                    taught[i]["quote"] = _quote(kept[0], after) or quote
                moved[:0] = questions
            else:
                del taught[i]
                removed[:0] = questions
        self.changed = self.changed or bool(moved or removed)
        return moved, removed


def _quote(passage: Passage, passages: list[Passage]) -> str:
    """A few words of the passage's text that tell it apart under its heading, or "" when it is alone there."""
    siblings = [p for p in passages if reference(p) == reference(passage) and p.id != passage.id]
    if not siblings:
        return ""
    words = passage.text.split()
    for length in range(4, len(words) + 1):
        quote = " ".join(words[:length])
        if not any(quote.casefold() in p.text.casefold() for p in siblings):
            return quote
    return passage.text


class _Tables:
    """Where each table of the file is, by its header line ("[[taught]]", "[not_answered]"), so that a problem
    points at its own table, and a question at its own line within it: not at the first place its words appear."""

    HEADER = re.compile(r"^[ \t]*\[(\[?)[ \t]*[\"']?([^\]\"']+?)[\"']?[ \t]*\]")

    def __init__(self, text: str):
        self.lines = text.splitlines()
        self.headers = [
            (match.group(2), n) for n, line in enumerate(self.lines, 1) if (match := self.HEADER.match(line))
        ]

    def spans(self, name: str) -> list[tuple[int, int]]:
        """(first line, last line) of each table so named, in order."""
        ends = [n - 1 for _, n in self.headers[1:]] + [len(self.lines)] if self.headers else []
        found = [(n, end) for (header, n), end in zip(self.headers, ends, strict=True) if header == name]
        if found:
            return found
        start = self.line(name)  # written inline (taught = [{...}]), or not at all
        return [(start, len(self.lines) or 1)]

    def span(self, name: str, index: int = 0) -> tuple[int, int]:
        spans = self.spans(name)
        return spans[index] if index < len(spans) else spans[-1]

    def line(self, name: str) -> int:
        """The line of a table's header, or of a top-level key so named (1 when neither is found)."""
        key = re.compile(rf"^[ \t]*[\"']?{re.escape(name)}[\"']?[ \t]*=")
        header = next((n for header, n in self.headers if header == name), None)
        return header or next((n for n, line in enumerate(self.lines, 1) if key.match(line)), 1)

    def find_key(self, key: str, span: tuple[int, int]) -> int:
        """The line of the span where a key is set (its first line when none is)."""
        pattern = re.compile(rf"^[ \t]*[\"']?{re.escape(key)}[\"']?[ \t]*=")
        return next((n for n in self._numbers(span) if pattern.match(self.lines[n - 1])), span[0])

    def find(self, needle: str, span: tuple[int, int]) -> int:
        """The first line of the span holding a string (its first line when none does)."""
        return next((n for n in self._numbers(span) if needle in self.lines[n - 1]), span[0])

    def _numbers(self, span: tuple[int, int]) -> range:
        return range(span[0], min(span[1], len(self.lines)) + 1)


def _entries(taught: object, problems: list[Problem], tables: _Tables) -> list[dict]:
    """The well-formed [[taught]] tables, each with its span of lines; a malformed one is an error at its line."""
    entries = []
    for index, entry in enumerate(taught if isinstance(taught, list) else [taught]):
        span = tables.span("taught", index)
        _unknown_keys(entry, "[[taught]]", ("passage", "quote", "questions"), span, tables, problems)
        if not isinstance(entry, dict) or not isinstance(entry.get("passage"), str):
            message = 'each [[taught]] needs passage = "Title › Heading"'
            problems.append(Problem(PHRASINGS_FILE, span[0], message, "error"))
            continue
        quote = entry.get("quote", "")
        questions = _questions(entry, "taught", problems, tables.find_key("questions", span))
        entries.append(
            {
                "passage": entry["passage"],
                "quote": quote if isinstance(quote, str) else "",
                "questions": questions,
                "span": span,
            }
        )
    return entries


def _unknown_keys(
    table: object, name: str, known: tuple[str, ...], span: tuple[int, int], tables: _Tables, problems: list[Problem]
) -> None:
    """A key misspelt ("qestions") left its table silently empty: a warning at its line, with the key meant."""
    for key in table if isinstance(table, dict) else ():
        if key in known:
            continue
        close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        where = tables.find_key(key, span)
        message = f"unknown key {key!r} in {name}{hint}, ignored; known: {', '.join(known)}"
        problems.append(Problem(PHRASINGS_FILE, where, message))


def _questions(table: object, name: str, problems: list[Problem], line: int) -> list[str]:
    questions = table.get("questions", []) if isinstance(table, dict) else None
    if not isinstance(questions, list) or not all(isinstance(q, str) and q.strip() for q in questions):
        problems.append(Problem(PHRASINGS_FILE, line, f'{name} needs questions = ["...", "..."], none blank', "error"))
        return []
    return questions


def _remove(questions: list, question: str) -> int:
    """Take a question out of a list, in any of its spellings that are the same question; how many times."""
    key = _key(question)
    found = [i for i in range(len(questions)) if _key(str(questions[i])) == key]
    for i in reversed(found):
        del questions[i]
    return len(found)


def _multiline(items: list[str]) -> tomlkit.items.Array:
    array = tomlkit.array()
    array.extend(items)
    array.multiline(True)
    return array


def _key(question: str) -> str:
    return " ".join(question.casefold().split()).rstrip("?!. ")


def _same(a: str, b: str) -> bool:
    return " ".join(a.casefold().split()) == " ".join(b.casefold().split())


def _spaced(text: str) -> str:
    """One blank line before each table's header, as the file's first entries have: tomlkit appends a table to a
    parsed file right under the one before it. A comment line stays above the header it belongs to."""
    text = re.sub(r"(?m)^(?!#)(.+)\n(?=\[)", "\\1\n\n", text)
    return re.sub(r"\n{3,}(?=\[)", "\n\n", text)
