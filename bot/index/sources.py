"""The knowledge files a build was made from, kept in its folder (builds/NAME/knowledge/), so that a rollback takes
the knowledge folder back with the index: otherwise the next build, which every stale warning asks for, would
publish again what was just rolled back."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

from bot.atomic import write_atomically
from bot.index.folder import SOURCES, build_folder
from bot.index.manifest import read_manifest
from bot.index.pointers import CURRENT, PREVIOUS, read_pointer
from bot.knowledge.folder import digest as digest_of
from bot.knowledge.folder import digests, read_files
from bot.text import listed


@dataclass(frozen=True)
class Restored:
    """What a rollback did to the knowledge folder, file by file (paths relative to it)."""

    knowledge_dir: Path
    written: tuple[str, ...] = ()  # put back as the live build read them
    removed: tuple[str, ...] = ()  # added by the build rolled back
    edited: tuple[str, ...] = ()  # changed since the build rolled back: left as they are
    unkept: tuple[str, ...] = ()  # the live build kept no copy (built before builds kept their files): left too
    failed: tuple[str, ...] = ()  # could not be written or removed: left too
    copies: Path | None = None  # where the files replaced or removed are kept as they were
    missing: bool = False  # the knowledge folder is not there: nothing was put back

    @property
    def left(self) -> tuple[str, ...]:
        return self.edited + self.unkept + self.failed

    def describe(self) -> str:
        """For staff: what changed in the knowledge folder, and what a build would publish again."""
        folder = f"{self.knowledge_dir}/"
        if self.missing:
            return f"{folder} is not there, so no knowledge file was put back."
        said = []
        if self.written or self.removed:
            said.append(f"{folder} is back as this build read it ({listed([*self.written, *self.removed])})")
        if self.copies is not None:
            said.append(f"the files as they were are kept in {self.copies}/")
        if self.edited:
            said.append(f"{listed(self.edited)} changed since the build rolled back, so left as now")
        if self.unkept:
            said.append(f"this build kept no copy of {listed(self.unkept)} (it is older than that), so left as now")
        if self.failed:
            said.append(f"{listed(self.failed)} could not be written, so left as now")
        if self.left:
            said.append("the next build publishes what they hold")
        return "; ".join(said) + "." if said else f"{folder} already holds the files this build read."


def rolled_back_copies(data_dir: Path) -> Path:
    """Where a rollback now keeps the knowledge files it replaces: data/rolled-back/<UTC time>/."""
    return Path(data_dir) / "rolled-back" / datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")


def keep_sources(folder: Path, sources: dict[str, bytes]) -> None:
    """Keep a new build's knowledge files, as read, in its folder."""
    for name, data in sources.items():
        path = folder / SOURCES / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def restore_knowledge(index_dir: Path, knowledge_dir: Path, copies: Path | None = None) -> Restored:
    """After a rollback: each knowledge file in which the build rolled back (PREVIOUS) and the live one (CURRENT)
    differ, put back as the live build read it, unless someone changed it since; what it held is copied to `copies`
    first (the rolled-back build, which keeps it too, goes with the next build)."""
    knowledge_dir = Path(knowledge_dir)
    rolled_back, live = read_pointer(index_dir, PREVIOUS), read_pointer(index_dir, CURRENT)
    if not knowledge_dir.is_dir():
        return Restored(knowledge_dir, missing=True)
    if rolled_back is None or live is None:
        return Restored(knowledge_dir)
    live_folder = build_folder(index_dir, live)
    before = read_manifest(build_folder(index_dir, rolled_back))["files"]
    wanted = read_manifest(live_folder)["files"]
    now = digests(read_files(knowledge_dir, leave_out_unreadable=True))  # one unreadable is edited: left alone
    done: dict[str, list[str]] = {"written": [], "removed": [], "edited": [], "unkept": [], "failed": []}
    copied = False
    for name in sorted(before.keys() | wanted.keys()):
        want = wanted.get(name)
        if before.get(name) == want or now.get(name) == want:
            continue
        path = PurePosixPath(name)
        if now.get(name) != before.get(name) or path.is_absolute() or ".." in path.parts:
            done["edited"].append(name)
            continue
        data = None if want is None else _kept(live_folder, name, want)
        if want is not None and data is None:
            done["unkept"].append(name)
            continue
        try:
            copied = _put_back(knowledge_dir / name, data, None if copies is None else copies / name) or copied
        except OSError:
            done["failed"].append(name)
            continue
        done["written" if data is not None else "removed"].append(name)
    kept = copies if copied else None
    return Restored(knowledge_dir, **{key: tuple(names) for key, names in done.items()}, copies=kept)


def _put_back(path: Path, data: bytes | None, copy: Path | None) -> bool:
    """The file as `data` says (None: removed), a copy of it as it was first; whether a copy was made (a file the
    rolled-back build had removed is not there to copy: it is written back all the same)."""
    copied = copy is not None and path.is_file()
    if copied:
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, copy)
    if data is None:
        path.unlink()
        return copied
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, data)
    return copied


def _kept(folder: Path, name: str, digest: str) -> bytes | None:
    """The file as the build in `folder` read it, or None when it kept none (or not that one)."""
    try:
        data = (folder / SOURCES / name).read_bytes()
    except OSError:
        return None
    return data if digest_of(data) == digest else None
