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

import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path

import tomlkit

from bot.knowledge.passage import Passage, Problem
from bot.knowledge.site import toml_problem

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
    text = path.read_text(encoding="utf-8", errors="replace")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        return Teaching(), [toml_problem(PHRASINGS_FILE, err, text)]
    problems = [
        Problem(PHRASINGS_FILE, 1, f"unknown table {key!r}; known: taught, not_answered")
        for key in sorted(set(data) - {"taught", "not_answered"})
    ]
    phrasings: dict[str, list[str]] = {}
    owner: dict[str, str] = {}  # casefolded question → the reference it was taught to
    for entry in _entries(data.get("taught", []), problems, text):
        line = _line(text, entry["passage"])
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
                problems.append(
                    Problem(PHRASINGS_FILE, _line(text, question), f"{question!r} is taught to two passages")
                )
            owner.setdefault(key, entry["passage"])
            phrasings.setdefault(found[0].id, []).append(question)
    not_answered = _questions(data.get("not_answered", {}), "not_answered", problems, text)
    for question in not_answered:
        if _key(question) in owner:
            problems.append(
                Problem(PHRASINGS_FILE, _line(text, question), f"{question!r} is both taught and not answered")
            )
    taught = {pid: tuple(dict.fromkeys(qs)) for pid, qs in phrasings.items()}
    return Teaching(taught, tuple(dict.fromkeys(not_answered))), problems


def with_phrasings(passages: list[Passage], teaching: Teaching) -> list[Passage]:
    return [replace(p, phrasings=teaching.phrasings[p.id]) if p.id in teaching.phrasings else p for p in passages]


class PhrasingsFile:
    """phrasings.toml opened for changes, written back whole once done (`with PhrasingsFile(folder) as file:`);
    comments and layout staff wrote are kept."""

    def __init__(self, folder: Path):
        self.path = Path(folder) / PHRASINGS_FILE
        text = self.path.read_text(encoding="utf-8") if self.path.is_file() else HEADER
        self.document = tomlkit.parse(text)
        self.changed = False

    def __enter__(self) -> PhrasingsFile:
        return self

    def __exit__(self, kind, error, trace) -> None:
        if error is None and self.changed:
            temporary = self.path.with_name(f".{PHRASINGS_FILE}.tmp")  # written whole, then swapped in
            temporary.write_text(tomlkit.dumps(self.document), encoding="utf-8")
            temporary.replace(self.path)

    def teach(self, passage: Passage, question: str, all_passages: list[Passage]) -> bool:
        """Add a question as a phrasing of a passage; False when it is already taught to it."""
        quote = _quote(passage, all_passages)
        taught = self.document.setdefault("taught", tomlkit.aot())
        for entry in taught:
            if _same(str(entry.get("passage", "")), reference(passage)) and _same(str(entry.get("quote", "")), quote):
                if any(_key(str(q)) == _key(question) for q in entry.get("questions", [])):
                    return False
                entry["questions"].append(question)
                break
        else:
            entry = tomlkit.table()
            entry["passage"] = reference(passage)
            if quote:
                entry["quote"] = quote
            entry["questions"] = _multiline([question])
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

    def untaught(self, question: str) -> int:
        """Remove a question wherever it was taught or marked not answered; how many places it was removed from."""
        removed = 0
        lists = [entry.get("questions", []) for entry in self.document.get("taught", [])]
        lists.append(self.document.get("not_answered", {}).get("questions", []))
        for questions in lists:
            for i in reversed(range(len(questions))):
                if _key(str(questions[i])) == _key(question):
                    del questions[i]
                    removed += 1
        taught = self.document.get("taught")
        if taught is not None:
            for i in reversed(range(len(taught))):
                if not taught[i].get("questions"):
                    del taught[i]
        self.changed = self.changed or removed > 0
        return removed


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


def _entries(taught: object, problems: list[Problem], text: str) -> list[dict]:
    """The well-formed [[taught]] tables; a malformed one is an error with its line."""
    entries = []
    for entry in taught if isinstance(taught, list) else [taught]:
        if not isinstance(entry, dict) or not isinstance(entry.get("passage"), str):
            problems.append(Problem(PHRASINGS_FILE, 1, 'each [[taught]] needs passage = "Title › Heading"', "error"))
            continue
        quote = entry.get("quote", "")
        questions = _questions(entry, "taught", problems, text)
        entries.append(
            {"passage": entry["passage"], "quote": quote if isinstance(quote, str) else "", "questions": questions}
        )
    return entries


def _questions(table: object, name: str, problems: list[Problem], text: str) -> list[str]:
    questions = table.get("questions", []) if isinstance(table, dict) else None
    if not isinstance(questions, list) or not all(isinstance(q, str) and q.strip() for q in questions):
        problems.append(
            Problem(PHRASINGS_FILE, _line(text, name), f'{name} needs questions = ["...", "..."], none blank', "error")
        )
        return []
    return questions


def _multiline(items: list[str]) -> tomlkit.items.Array:
    array = tomlkit.array()
    array.extend(items)
    array.multiline(True)
    return array


def _line(text: str, needle: str) -> int:
    """The line where a string (a reference, a question, a table name) first appears, 1 when not found."""
    at = text.find(needle)
    return text.count("\n", 0, at) + 1 if at >= 0 else 1


def _key(question: str) -> str:
    return " ".join(question.casefold().split()).rstrip("?!. ")


def _same(a: str, b: str) -> bool:
    return " ".join(a.casefold().split()) == " ".join(b.casefold().split())
