"""Names inside the index folder (its layout is described in bot/index/__init__.py), the errors about it,
replacing a file atomically, and one build at a time."""

from __future__ import annotations

import fcntl
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bot.errors import BotError

BUILDS = "builds"
MANIFEST = "manifest.json"
CACHE = "embeddings.sqlite"
BUILD_LOCK = "build.lock"
REBUILD = "run `python -m bot build`"


log = logging.getLogger(__name__)


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


@contextmanager
def one_build_at_a_time(index_dir: Path) -> Iterator[None]:
    """Hold the index folder's build lock: a build finishing beside another would prune the other's finished folder
    before its pointer names it. The lock goes with the process, so a killed build never leaves it held."""
    with open(Path(index_dir) / BUILD_LOCK, "a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log.warning("another build of %s/ is running; this one starts when it ends", index_dir)
            fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
