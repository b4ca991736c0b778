"""Files that several processes read and write: replaced whole, and changed by one of them at a time."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path


def write_atomically(path: Path, content: str | bytes) -> None:
    """Write beside the file, then os.replace it: a reader sees the old content or the new, never half."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(temporary, "wb") as out:
            out.write(content.encode("utf-8") if isinstance(content, str) else content)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:  # a full disk or a folder gone: no half-written temporary left behind
        with suppress(OSError):
            temporary.unlink()
        raise


@contextmanager
def held_lock(path: Path, waiting: Callable[[], None] | None = None) -> Iterator[None]:
    """An exclusive lock on the file at `path` (made if missing) until the block ends; `waiting` is called when
    another process holds it first. The lock goes with the process, so a killed one never leaves it held."""
    with open(path, "a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if waiting:
                waiting()
            fcntl.flock(lock, fcntl.LOCK_EX)
        yield
