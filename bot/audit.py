"""The audit log: who taught, imported, built, published or rolled back what, and when.

One JSON line per action in data_dir/audit.jsonl, readable by its owner only. Only staff actions are
recorded, never what visitors asked (that is the visit log's, with its own retention). Appending a short line
to a file opened with O_APPEND is atomic, so several staff at once cannot interleave their lines.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from bot.private import FILE_MODE, private_folder

log = logging.getLogger(__name__)

AUDIT_FILE = "audit.jsonl"


@dataclass(frozen=True)
class Entry:
    time: str  # UTC, ISO 8601 to the second
    user: str  # the signed-in staff name, or "cli" for the command line
    action: str  # "teach", "untaught", "not answered", "urgent", "import", "build", "publish", "rollback", …
    detail: str  # what it was done to, in words staff read: the question, the document, the build


class AuditLog:
    def __init__(self, path: Path):
        self.path = Path(path)

    @classmethod
    def in_folder(cls, data_dir: Path) -> AuditLog:
        return cls(Path(data_dir) / AUDIT_FILE)

    def record(self, user: str, action: str, detail: str) -> Entry:
        """Append one entry; a log that cannot be written is reported in the server log, never to the user's
        cost (the action itself already happened)."""
        entry = Entry(datetime.now(UTC).isoformat(timespec="seconds"), user or "unknown", action, detail)
        line = json.dumps(asdict(entry), ensure_ascii=False) + "\n"
        try:
            private_folder(self.path.parent)
            handle = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, FILE_MODE)
            with os.fdopen(handle, "a", encoding="utf-8") as out:
                out.write(line)
        except OSError as err:
            log.error("could not write the audit log %s (%s): %s", self.path, err, line.strip())
        return entry

    def entries(self, newest_first: bool = True, limit: int = 500) -> list[Entry]:
        """The recorded actions; a damaged line is skipped, not fatal."""
        try:
            # split at "\n" alone, which JSON escapes inside a string: splitlines() also split at U+2028, U+0085 …,
            # which it does not, so an uploaded file so named hid its import from the Activity tab
            lines = self.path.read_text(encoding="utf-8", errors="replace").split("\n")
        except FileNotFoundError:
            return []
        found = []
        for line in lines:
            try:
                found.append(Entry(**json.loads(line)))
            except (json.JSONDecodeError, TypeError):
                continue
        found = found[::-1] if newest_first else found
        return found[:limit]
