"""What every converter hands back: a Markdown body, the document's own metadata and what was left out; and the
knowledge file they make together (front matter, then the body)."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, fields
from pathlib import Path

import yaml

from bot.atomic import write_atomically
from bot.errors import BotError
from bot.knowledge.markdown import is_calendar_day, is_date  # the forms a document's date may take


class ImportFailed(BotError):
    """A source cannot be imported; the message says why and what to do."""


@dataclass(frozen=True)
class Metadata:
    """A document's citation fields, as its front matter holds them; None is unknown."""

    title: str | None = None
    author: str | None = None
    publisher: str | None = None
    date: str | None = None
    url: str | None = None

    def over(self, other: Metadata) -> Metadata:
        """These fields where set, the other's where not."""
        return Metadata(**{f.name: getattr(self, f.name) or getattr(other, f.name) for f in fields(self)})

    def checked(self) -> Metadata:
        """The same, trimmed; a date or URL of another form is refused with the form it needs."""
        values = {f.name: " ".join(str(getattr(self, f.name) or "").split()) for f in fields(self)}
        trimmed = Metadata(**{name: value or None for name, value in values.items()})
        if trimmed.date and not is_date(trimmed.date):
            raise ImportFailed(f"the date must be written 2025-12-19 (or 2025-12, or 2025); got {trimmed.date!r}")
        if trimmed.date and not is_calendar_day(trimmed.date):
            raise ImportFailed(f"the date {trimmed.date!r} is no day of the calendar; correct it")
        if trimmed.url and not re.match(r"^https?://\S+$", trimmed.url):
            raise ImportFailed(f"the URL must start with https:// or http://; got {trimmed.url!r}")
        return trimmed

    def front_matter(self) -> dict[str, str]:
        return {key: value for key, value in dataclasses.asdict(self).items() if value}


@dataclass(frozen=True)
class Converted:
    """One source as knowledge Markdown: its body, its own metadata, what was dropped, and the converter's notes."""

    body: str
    metadata: Metadata
    drops: tuple[Drop, ...] = ()
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Drop:
    """Something of the source that is not in the knowledge file: an image, a table, navigation."""

    where: str  # "line 12, under 'Side effects'", "page 3"
    what: str  # "an image ('Diagram of a cell')"

    def __str__(self) -> str:
        return f"{self.where}: {self.what}"


def knowledge_markdown(metadata: Metadata, body: str, other: dict | None = None) -> str:
    """The knowledge file: YAML front matter with the metadata (and `other` keys after it), a blank line, the body."""
    fields_ = {**metadata.front_matter(), **(other or {})}
    header = yaml.safe_dump(fields_, sort_keys=False, allow_unicode=True, width=10**6)
    return f"---\n{header}---\n\n{body.strip()}\n"


def write_whole(path: Path, text: str | None) -> None:
    """Write a file whole (a reader sees the old text or the new, never half of it), or remove it (None)."""
    if text is None:
        path.unlink(missing_ok=True)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, text)


def clean_body(markdown: str) -> str:
    """No trailing spaces, at most one blank line in a row, one newline at the end."""
    lines = [line.rstrip() for line in markdown.replace("\r\n", "\n").split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip() + "\n"


def snippet(text: str, length: int = 60) -> str:
    """The start of a text, on one line, for a report."""
    text = " ".join(text.split())
    return repr(text if len(text) <= length else text[: length - 1] + "…")
