"""What the knowledge stage hands on: passages with their source, and the problems found on the way."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bot.errors import BotError


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
    phrasings: tuple[str, ...] = ()  # questions staff taught to this passage (phrasings.toml): matched, never shown

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
