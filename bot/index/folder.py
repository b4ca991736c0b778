"""Names inside the index folder (its layout is described in bot/index/__init__.py), the errors about it,
and replacing a file atomically."""

from __future__ import annotations

import os
from pathlib import Path

from bot.errors import BotError

BUILDS = "builds"
MANIFEST = "manifest.json"
CACHE = "embeddings.sqlite"
REBUILD = "run `python -m bot build`"


class IndexMissingError(BotError):
    pass


class IndexMismatchError(BotError):
    pass


class StaleIndexError(BotError):
    pass


def build_folder(index_dir: Path, name: str) -> Path:
    return Path(index_dir) / BUILDS / name


def write_atomically(path: Path, content: str) -> None:
    """Write beside the file, then os.replace it: a reader sees the old content or the new, never half."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(temporary, "w", encoding="utf-8") as out:
        out.write(content)
        out.flush()
        os.fsync(out.fileno())
    os.replace(temporary, path)
