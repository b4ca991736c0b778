"""What the chat server lets go of. Gradio keeps, for every session, the ids of its events until their results
are read, and then an empty set under the session's id, forever: each API call is a session of its own, so a
busy server grew by every question it answered (and its lookup of a finished event slowed with it). A task
beside the server forgets those entries; Gradio's own per-session state is bounded by launch's
state_session_capacity (Settings.sessions_kept).

And glibc gives each thread that allocates under contention an arena of its own, up to 8 per core, each keeping
memory it freed: with Gradio's pool of worker threads the server still grew by 47 MB over the last half of a
6,000-call soak, and by 10 MB with 2 arenas. bound_malloc_arenas caps them (Settings.malloc_arenas). Even so the
arenas keep what was freed (about 75 MB after a burst of questions) until release_free_memory gives it back, every
Settings.malloc_trim_seconds.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import functools
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

log = logging.getLogger(__name__)

PRUNE_EVERY = 60.0  # seconds; a result not read within one to two of these is not waited for
M_ARENA_MAX = -8  # mallopt's parameter number, from glibc's malloc.h


class SessionPruner:
    """Forgets Gradio's per-session event records once they are empty, or hold only finished events whose
    results nobody read since the last pass."""

    def __init__(self) -> None:
        self._unread: set[str] = set()

    def prune(self, queue: Any) -> int:
        """One pass over the queue's records (run on the server's event loop, as Gradio's own changes are)."""
        pending: dict[str, set[str]] = queue.pending_event_ids_session
        running = queue.event_ids_to_events
        forgotten, unread = 0, set()
        for session, ids in list(pending.items()):
            if ids and any(event in running for event in ids):
                continue
            if not ids or session in self._unread:
                pending.pop(session, None)
                forgotten += 1
            else:
                unread.add(session)
        self._unread = unread
        return forgotten


def forget_finished_sessions(
    every: float | None = None, trim_every: float = 0.0
) -> Callable[[Any], AbstractAsyncContextManager[None]]:
    """A lifespan for Gradio's app_kwargs: prunes the queue's session records every `every` seconds (PRUNE_EVERY),
    and gives freed memory back to the system every `trim_every` seconds (0: never; release_free_memory)."""

    @asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[None]:
        tasks = [asyncio.create_task(_prune_forever(app, every or PRUNE_EVERY))]
        if trim_every > 0:
            tasks.append(asyncio.create_task(_trim_forever(trim_every)))
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()

    return lifespan


async def _trim_forever(every: float) -> None:
    while True:
        await asyncio.sleep(every)
        if not await asyncio.to_thread(release_free_memory):  # in a thread: the event loop keeps serving meanwhile
            return


async def _prune_forever(app: Any, every: float) -> None:
    pruner = SessionPruner()
    while True:
        await asyncio.sleep(every)
        try:
            queue = app.get_blocks()._queue
            forgotten = pruner.prune(queue)
        except Exception as err:  # a Gradio that keeps these records otherwise: serving matters more
            log.warning("could not prune Gradio's finished sessions: %r", err)
            return
        if forgotten:
            log.debug("forgot %d finished sessions", forgotten)


def release_free_memory() -> bool:
    """Give the memory glibc's malloc holds freed back to the system (malloc_trim); whether it could. Elsewhere than
    glibc nothing happens."""
    libc = _glibc()
    if libc is None:
        return False
    libc.malloc_trim(0)
    return True


@functools.cache  # find_library runs `ldconfig -p`: once, not at every trim
def _glibc() -> ctypes.CDLL | None:
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.malloc_trim  # noqa: B018 - glibc's own: absent from musl and macOS
    except (OSError, AttributeError):
        return None
    return libc


def bound_malloc_arenas(arenas: int) -> bool:
    """Let glibc's malloc use at most `arenas` arenas from now on (0: its default); whether it could. Call early,
    before the threads that answer questions start. Elsewhere than glibc nothing happens."""
    libc = _glibc()
    if arenas <= 0 or libc is None:  # not glibc (musl, macOS): its allocator is left as it is
        return False
    return bool(libc.mallopt(M_ARENA_MAX, arenas))
