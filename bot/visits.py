"""What visitors asked: one row per chat turn in SQLite, or PostgreSQL with BOT_DATABASE_URL (bot/visit_db.py),
so staff can see which questions the documents do not answer yet.

A row holds the question (e-mail addresses, phone numbers, dates, other long digit runs, names given,
street addresses and postcodes redacted before anything is written: bot/redact.py), the UTC day it was
asked, whether it was answered, the ids of the passages shown and the visitor's thumbs up or down.
Nothing identifies a visitor: no IP address, no session, no time of day. Rows older than the retention
period are deleted; Settings.visit_log=False stores nothing. The file and its folder are readable by their
owner only.

Written safely under concurrent visitors: one connection per process, used under a lock; SQLite in WAL mode
(the console reads while the chat writes), with a busy timeout for a second process writing.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bot.config import Settings
from bot.errors import BotError
from bot.redact import clean_text, redact, without_controls
from bot.visit_db import Database, open_database, without_password

log = logging.getLogger(__name__)

VISITS_FILE = "visits.sqlite"
LIKE, DISLIKE = "like", "dislike"
UNANSWERED, DISLIKED, EITHER = "unanswered", "disliked", "either"


CSV_COLUMNS = ["question", "asked", "unanswered", "disliked", "liked", "last asked", "passages shown last"]


@dataclass(frozen=True)
class Visit:
    """One chat turn as stored."""

    id: int
    asked_on: str  # UTC day, YYYY-MM-DD
    question: str  # redacted
    answered: bool
    passages: tuple[str, ...]  # ids of the passages shown, answer first
    feedback: str | None  # "like", "dislike" or None


@dataclass(frozen=True)
class AskedQuestion:
    """Every turn with the same question (ignoring case, spacing and end punctuation), counted."""

    question: str  # as most recently asked
    asked: int
    unanswered: int
    disliked: int
    liked: int
    last_asked: str
    passages: tuple[str, ...]  # shown the last time it was asked


def question_key(question: str) -> str:
    return " ".join(question.casefold().split()).rstrip(" ?!.")


class VisitLog:
    """The visit log of one data folder."""

    def __init__(self, path: Path | str, retention_days: int = 30):
        """path: the SQLite file, or a postgresql:// URL."""
        if retention_days < 1:
            raise BotError(
                f"BOT_RETENTION_DAYS must be at least 1; got {retention_days}. Use BOT_VISIT_LOG=0 to keep nothing."
            )
        self.path = path if isinstance(path, str) else Path(path)
        self.retention_days = retention_days
        self._purged_on: str | None = None
        try:
            self._db: Database = open_database(self.path)
        except Exception as err:  # OSError, sqlite3.Error, psycopg.Error: the message says which and what to do
            where = "set BOT_DATABASE_URL to a database that accepts this connection"
            if not isinstance(self.path, str):
                where = "set BOT_DATA_DIR to a writable folder"
            reason = (str(err).strip().splitlines() or [type(err).__name__])[0]
            raise BotError(
                f"Cannot open the visit log {_shown(self.path)} ({reason}); {where}, or BOT_VISIT_LOG=0 to keep no log."
            ) from None
        self.purge()

    @classmethod
    def open(cls, settings: Settings) -> VisitLog | None:
        """The configured log, or None when the log is turned off."""
        if not settings.visit_log:
            return None
        return cls(settings.database_url or Path(settings.data_dir) / VISITS_FILE, settings.retention_days)

    def close(self) -> None:
        self._db.close()

    def record(
        self, question: str, answered: bool, passages: Iterable[str] = (), today: date | None = None
    ) -> int | None:
        """Store one turn, redacted; its row id (for the thumbs), or None if it could not be written.

        A failure is logged, never raised: a visitor's answer must not depend on the log.
        """
        day = (today or _today()).isoformat()
        try:
            if self._purged_on != day:
                self.purge(today)
            ((row,),) = self._db.rows(
                "INSERT INTO visits (asked_on, question, answered, passages) VALUES (?, ?, ?, ?) RETURNING id",
                (day, redact(without_controls(clean_text(question))), int(answered), json.dumps(list(passages))),
            )
            return int(row)
        except Exception as err:  # sqlite3.Error, psycopg.Error: the visitor still gets the answer
            log.error("could not record a question in the visit log %s: %r", self._db.name, err)
            return None

    def feedback(self, visit_id: int, feedback: str | None) -> bool:
        """Set (or with None clear) the thumbs of a stored turn; False if there is no such row."""
        if feedback not in (LIKE, DISLIKE, None):
            raise ValueError(f"feedback must be {LIKE!r}, {DISLIKE!r} or None; got {feedback!r}")
        try:
            return self._db.count("UPDATE visits SET feedback = ? WHERE id = ?", (feedback, int(visit_id))) == 1
        except Exception as err:  # a thumbs that cannot be stored must not break the page
            log.error("could not record feedback in the visit log %s: %r", self._db.name, err)
            return False

    def purge(self, today: date | None = None) -> int:
        """Delete the turns older than the retention period; how many were deleted."""
        day = today or _today()
        cutoff = (day - timedelta(days=self.retention_days)).isoformat()
        deleted = self._db.count("DELETE FROM visits WHERE asked_on < ?", (cutoff,))
        self._purged_on = day.isoformat()
        return deleted

    def visits(self) -> list[Visit]:
        """Every stored turn, oldest first."""
        rows = self._db.rows("SELECT id, asked_on, question, answered, passages, feedback FROM visits ORDER BY id")
        return [Visit(i, day, q, bool(a), tuple(json.loads(p)), f) for i, day, q, a, p, f in rows]

    def questions(self, which: str = EITHER) -> list[AskedQuestion]:
        """Questions that were unanswered, disliked or either, the most frequent first."""
        if which not in (UNANSWERED, DISLIKED, EITHER):
            raise ValueError(f"which must be {UNANSWERED!r}, {DISLIKED!r} or {EITHER!r}; got {which!r}")
        groups: dict[str, list[Visit]] = {}
        for visit in self.visits():
            groups.setdefault(question_key(visit.question), []).append(visit)
        counted = [_count(turns) for turns in groups.values()]
        weight = {
            UNANSWERED: lambda q: q.unanswered,
            DISLIKED: lambda q: q.disliked,
            EITHER: lambda q: q.unanswered + q.disliked,
        }[which]
        chosen = [q for q in counted if weight(q) > 0]
        return sorted(chosen, key=lambda q: (-weight(q), -q.asked, q.question.casefold()))


class TurnRows:
    """Which log row each answer on each open chat page is, so a thumbs up/down finds its turn.

    Held in memory only, keyed by Gradio's random id of the page (the same key its gr.State uses), and
    bounded: past `capacity` answers the oldest are forgotten (their thumbs are then not recorded).
    """

    def __init__(self, capacity: int = 100_000):
        self.capacity = capacity
        self._rows: OrderedDict[tuple[str, int], int] = OrderedDict()
        self._lock = threading.Lock()

    def remember(self, session: str, index: int, row: int) -> None:
        with self._lock:
            self._rows[(session, index)] = row
            while len(self._rows) > self.capacity:
                self._rows.popitem(last=False)

    def row(self, session: str | None, index: object) -> int | None:
        if session is None or not isinstance(index, int):
            return None
        with self._lock:
            return self._rows.get((session, index))


def _count(turns: list[Visit]) -> AskedQuestion:
    last = turns[-1]
    return AskedQuestion(
        question=last.question,
        asked=len(turns),
        unanswered=sum(1 for t in turns if not t.answered),
        disliked=sum(1 for t in turns if t.feedback == DISLIKE),
        liked=sum(1 for t in turns if t.feedback == LIKE),
        last_asked=last.asked_on,
        passages=last.passages,
    )


def _shown(where: Path | str) -> str:
    return without_password(where) if isinstance(where, str) else str(where)


def _today() -> date:
    return datetime.now(UTC).date()


def _cell(text: str) -> str:
    """A visitor's text as a spreadsheet cell: never a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def to_csv(questions: list[AskedQuestion]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for q in questions:
        row = [_cell(q.question), q.asked, q.unanswered, q.disliked, q.liked, q.last_asked, " ".join(q.passages)]
        writer.writerow(row)
    return out.getvalue()
