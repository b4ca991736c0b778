"""The knowledge files a build was made from, kept in its folder (builds/NAME/knowledge/), so that a rollback takes
the knowledge folder back with the index: otherwise the next build, which every stale warning asks for, would
publish again what was just rolled back."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from bot.atomic import write_atomically
from bot.index.folder import SOURCES, build_folder
from bot.index.manifest import read_manifest
from bot.index.pointers import CURRENT, PREVIOUS, read_pointer
from bot.knowledge import hash_files
from bot.text import listed


@dataclass(frozen=True)
class Restored:
    """What a rollback did to the knowledge folder, file by file (paths relative to it)."""

    knowledge_dir: Path
    written: tuple[str, ...] = ()  # put back as the live build read them
    removed: tuple[str, ...] = ()  # added by the build rolled back
    edited: tuple[str, ...] = ()  # changed since the build rolled back: left as they are
    unkept: tuple[str, ...] = ()  # the live build kept no copy (built before builds kept their files): left too

    @property
    def left(self) -> tuple[str, ...]:
        return self.edited + self.unkept

    def describe(self) -> str:
        """For staff: what changed in the knowledge folder, and what a build would publish again."""
        folder = f"{self.knowledge_dir}/"
        said = []
        if self.written or self.removed:
            said.append(f"{folder} is back as this build read it ({listed([*self.written, *self.removed])})")
        if self.edited:
            said.append(f"{listed(self.edited)} changed since the build rolled back, so left as now")
        if self.unkept:
            said.append(f"this build kept no copy of {listed(self.unkept)} (it is older than that), so left as now")
        if self.left:
            said.append("the next build publishes what they hold")
        return "; ".join(said) + "." if said else f"{folder} already holds the files this build read."


def keep_sources(folder: Path, sources: dict[str, bytes]) -> None:
    """Keep a new build's knowledge files, as read, in its folder."""
    for name, data in sources.items():
        path = folder / SOURCES / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def restore_knowledge(index_dir: Path, knowledge_dir: Path) -> Restored:
    """After a rollback: each knowledge file in which the build rolled back (PREVIOUS) and the live one (CURRENT)
    differ, put back as the live build read it, unless someone changed it since."""
    knowledge_dir = Path(knowledge_dir)
    rolled_back, live = read_pointer(index_dir, PREVIOUS), read_pointer(index_dir, CURRENT)
    if rolled_back is None or live is None or not knowledge_dir.is_dir():
        return Restored(knowledge_dir)
    live_folder = build_folder(index_dir, live)
    before = read_manifest(build_folder(index_dir, rolled_back))["files"]
    wanted = read_manifest(live_folder)["files"]
    now = hash_files(knowledge_dir)
    done: dict[str, list[str]] = {"written": [], "removed": [], "edited": [], "unkept": []}
    for name in sorted(before.keys() | wanted.keys()):
        want = wanted.get(name)
        if before.get(name) == want or now.get(name) == want:
            continue
        if now.get(name) != before.get(name) or ".." in PurePosixPath(name).parts:
            done["edited"].append(name)
        elif want is None:
            (knowledge_dir / name).unlink(missing_ok=True)
            done["removed"].append(name)
        elif (data := _kept(live_folder, name, want)) is None:
            done["unkept"].append(name)
        else:
            (knowledge_dir / name).parent.mkdir(parents=True, exist_ok=True)
            write_atomically(knowledge_dir / name, data)
            done["written"].append(name)
    return Restored(knowledge_dir, **{key: tuple(names) for key, names in done.items()})


def _kept(folder: Path, name: str, digest: str) -> bytes | None:
    """The file as the build in `folder` read it, or None when it kept none (or not that one)."""
    try:
        data = (folder / SOURCES / name).read_bytes()
    except OSError:
        return None
    return data if hashlib.sha256(data).hexdigest() == digest else None
