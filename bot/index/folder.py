"""Names inside the index folder (its layout is described in bot/index/__init__.py), the errors about it, and one
build at a time."""

from __future__ import annotations

import logging
from contextlib import AbstractContextManager
from pathlib import Path

from bot.atomic import held_lock
from bot.errors import BotError

BUILDS = "builds"
MANIFEST = "manifest.json"
SOURCES = "knowledge"  # in a build's folder: the knowledge files it was built from, as read (bot/index/sources.py)
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


def one_build_at_a_time(index_dir: Path) -> AbstractContextManager[None]:
    """Hold the index folder's build lock: a build finishing beside another would prune the other's finished folder
    before its pointer names it."""
    return held_lock(
        Path(index_dir) / BUILD_LOCK,
        lambda: log.warning("another build of %s/ is running; this one starts when it ends", index_dir),
    )
