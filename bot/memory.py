"""What the chat server lets go of. Gradio keeps, for every session, the ids of its events until their results
are read, and then an empty set under the session's id, forever: each API call is a session of its own, so a
busy server grew by every question it answered (and its lookup of a finished event slowed with it). A task
beside the server forgets those entries; Gradio's own per-session state is bounded by launch's
state_session_capacity (Settings.sessions_kept).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

log = logging.getLogger(__name__)

PRUNE_EVERY = 60.0  # seconds; a result not read within one to two of these is not waited for


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


def forget_finished_sessions(every: float | None = None) -> Callable[[Any], AbstractAsyncContextManager[None]]:
    """A lifespan for Gradio's app_kwargs: prunes the queue's session records every `every` seconds (PRUNE_EVERY)."""

    @asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[None]:
        task = asyncio.create_task(_prune_forever(app, every or PRUNE_EVERY))
        try:
            yield
        finally:
            task.cancel()

    return lifespan


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
