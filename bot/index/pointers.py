"""Which build is live: the one-line files CURRENT, PREVIOUS and STAGED, each naming a build, replaced
atomically; publishing, rolling back, and pruning the builds no pointer names."""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Callable
from pathlib import Path

from bot.atomic import write_atomically
from bot.errors import BotError
from bot.index.folder import (
    BUILDS,
    MANIFEST,
    REBUILD,
    IndexMismatchError,
    IndexMissingError,
    build_folder,
)
from bot.index.manifest import read_manifest

CURRENT, PREVIOUS, STAGED = "CURRENT", "PREVIOUS", "STAGED"
ABANDONED_AFTER = 3600  # seconds after which an unfinished build folder is a crash leftover
# A pointer names a folder inside builds/, never a path: "../../etc" must not lead a load out of the index.
BUILD_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,99}")


def read_pointer(index_dir: Path, pointer: str, damaged_as_none: bool = False) -> str | None:
    """The build a pointer file names. A build, which writes a new pointer, reads a damaged one as none."""
    path = Path(index_dir) / pointer
    try:
        name = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as err:  # a folder, a file where the index folder should be, binary
        if damaged_as_none and path.parent.is_dir():
            return None
        raise IndexMismatchError(f"{path} is not a build pointer ({err}); {REBUILD} to write a new one.") from None
    if name and not BUILD_NAME.fullmatch(name):
        if damaged_as_none:
            return None
        raise IndexMismatchError(
            f"{path} holds {name[:100]!r}, which is not a build name (letters, digits, - and _ only); "
            f"{REBUILD} to write a new one."
        )
    return name or None


def write_pointer(index_dir: Path, pointer: str, name: str) -> None:
    path = Path(index_dir) / pointer
    if path.is_dir():
        raise IndexMismatchError(f"{path} is a folder, not a build pointer; delete it and {REBUILD}.")
    write_atomically(path, name + "\n")


def live_build(index_dir: Path) -> str | None:
    """The name of the live build: cheap enough to check before every request."""
    return read_pointer(index_dir, CURRENT)


def publish_staged(index_dir: Path, check: Callable[[Path], object] | None = None) -> str:
    """Make the staged build live; the live one becomes the previous (for rollback). check(folder), when given,
    loads the build first: one that would not load is refused, not announced live."""
    staged = read_pointer(index_dir, STAGED)
    if staged is None:
        raise IndexMissingError(f"No build is waiting in {index_dir}/; run `python -m bot build --stage` first.")
    instead = "stage a new one (`python -m bot build --stage`, or the console's Stage and compare)."
    _require_loadable(index_dir, staged, check, "publish", instead)
    make_live(index_dir, staged, replacing=staged)
    return staged


def make_live(index_dir: Path, name: str, replacing: str | None) -> None:
    """Make a build live, and forget the staged build `replacing` (this one, or one built from older files), if it
    is still the one staged: one staged meanwhile, by a colleague, stays."""
    _switch(index_dir, name)
    if replacing is not None and read_pointer(index_dir, STAGED, damaged_as_none=True) == replacing:
        (Path(index_dir) / STAGED).unlink(missing_ok=True)


def discard_staged(index_dir: Path) -> str | None:
    """Forget the staged build (the next build prunes it); its name, or None when none was staged."""
    staged = read_pointer(index_dir, STAGED, damaged_as_none=True)
    (Path(index_dir) / STAGED).unlink(missing_ok=True)
    return staged


def rollback(index_dir: Path, check: Callable[[Path], object] | None = None) -> str:
    """Put the previous build back live; the rolled-back one becomes the previous (so it can be redone). check, as
    for publish_staged."""
    previous = read_pointer(index_dir, PREVIOUS)
    if previous is None:
        raise IndexMissingError(
            f"There is no previous build in {index_dir}/ to roll back to; only a build made live over another "
            "(python -m bot build, or publish) leaves one, so there is nothing to undo yet."
        )
    # building again would build what is live: the way back is the knowledge files as they were
    instead = "to undo the change, put the knowledge files back as they were and build again."
    _require_loadable(index_dir, previous, check, "roll back to", instead)
    _switch(index_dir, previous)
    return previous


def _require_loadable(
    index_dir: Path, name: str, check: Callable[[Path], object] | None, doing: str, instead: str
) -> None:
    """Refuse to `doing` a build that is gone, from another version, or (with `check`) does not load; the error
    says why, that the live build is unchanged, and what to do `instead`."""
    folder = build_folder(index_dir, name)
    try:
        if not folder.is_dir():
            raise IndexMissingError(f"its folder {folder} no longer exists")
        read_manifest(folder)  # one from an older version would not load
        if check is not None:
            check(folder)
    except BotError as err:
        raise IndexMismatchError(
            f"Cannot {doing} build {name}: {_reason(err)}. The live build is unchanged; {instead}"
        ) from None


def _reason(err: BotError) -> str:
    """Why a build cannot go live, without the advice to build, which publishing or rolling back replaces."""
    return str(err).removesuffix(".").removesuffix(f"; {REBUILD}")


def prune(index_dir: Path) -> None:
    """Remove builds no pointer names, and unfinished ones old enough to be crash leftovers."""
    try:
        keep = {read_pointer(index_dir, p) for p in (CURRENT, PREVIOUS, STAGED)}
    except IndexMismatchError:  # a pointer is damaged: which builds are still named is unknown, so keep them all
        return
    for folder in (Path(index_dir) / BUILDS).iterdir():
        finished = (folder / MANIFEST).is_file()
        abandoned = time.time() - folder.stat().st_mtime > ABANDONED_AFTER
        if folder.name not in keep and (finished or abandoned):
            shutil.rmtree(folder, ignore_errors=True)


def _switch(index_dir: Path, name: str) -> None:
    live = read_pointer(index_dir, CURRENT, damaged_as_none=True)
    if live and live != name:
        write_pointer(index_dir, PREVIOUS, live)
    write_pointer(index_dir, CURRENT, name)
