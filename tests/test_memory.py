"""What the chat server holds per session stays bounded however many visitors it answers: Gradio's session
state (sessions_kept), its records of finished events (pruned) and of events for its monitoring page, and the rows
kept for thumbs (remembered_turns).
benchmarks/bench.py's soak row measures the whole server's memory over a long run."""

from __future__ import annotations

import platform
import time
from types import SimpleNamespace

import pytest

from bot import memory
from bot.config import Settings
from bot.memory import SessionPruner
from bot.ui import build_visitor_app, queue, serving_options
from bot.visits import TurnRows

from http_client import call, free_port


def test_the_pruner_forgets_empty_and_unread_finished_sessions_but_not_running_ones():
    queue = SimpleNamespace(
        pending_event_ids_session={"done": set(), "running": {"e1"}, "unread": {"e2"}},
        event_ids_to_events={"e1": object()},
    )
    pruner = SessionPruner()
    assert pruner.prune(queue) == 1 and set(queue.pending_event_ids_session) == {"running", "unread"}
    queue.pending_event_ids_session["unread"].add("e3")
    queue.event_ids_to_events["e3"] = object()  # the page asked again: running once more
    assert pruner.prune(queue) == 0
    del queue.event_ids_to_events["e3"]
    assert pruner.prune(queue) == 0  # finished: given one more pass to be read
    assert pruner.prune(queue) == 1 and set(queue.pending_event_ids_session) == {"running"}


def test_turn_rows_are_bounded_by_their_setting():
    rows = TurnRows(Settings(remembered_turns=50).remembered_turns)
    for number in range(1000):
        rows.remember(f"page {number}", 1, number)
    assert len(rows._rows) == 50


@pytest.mark.integration
def test_a_server_answering_many_api_calls_keeps_a_bounded_number_of_sessions(real_assistant, monkeypatch):
    """Each API call is a Gradio session: its state (32 kB each) was kept for 10,000 of them and its event record
    forever, so memory grew with every question (issue 15, finding 5)."""
    monkeypatch.setattr(memory, "PRUNE_EVERY", 0.2)
    for name in ("GRADIO_ANALYTICS_CACHE_FREQUENCY", "GRADIO_ANALYTICS_MAX_EVENTS"):  # as queue() finds them unset
        monkeypatch.delenv(name, raising=False)
    settings = real_assistant.settings.replace(sessions_kept=20, concurrency_limit=2, queue_size=8)
    app = build_visitor_app(real_assistant)
    port = free_port()
    queue(app, settings.serve).launch(
        server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, **serving_options(settings.serve)
    )
    try:
        for number in range(60):
            assert call(f"http://127.0.0.1:{port}", "ask", f"What are NK cells? ({number})").event == "complete"
        time.sleep(1)
        assert len(app.state_holder.session_data) <= 20
        assert len(app._queue.pending_event_ids_session) == 0
        # Gradio's records of events for its /monitoring page (off): as many as can be live at once, and not once
        # summarised with pandas, which it did after every event
        assert len(app._queue.event_analytics) <= 2 + 8
        assert app._queue.cached_event_analytics_summary == {"functions": {}}
    finally:
        app.close()


def test_the_benchmark_fails_a_soak_whose_memory_still_grows_over_its_last_half():
    from report import table, targets

    soaked = {"requests": 6000, "clients": 8, "errors": 0, "seconds": 300.0, "growth_last_half_mb": 35.0}
    soaked["rss_mb"] = [700.0, 720.0, 730.0, 740.0, 750.0, 760.0, 770.0, 775.0, 780.0, 785.0]
    results = {"startup": {}, "machine": {"load_average_at_start": [0.1]}, "soak": soaked}
    found = {t.metric: t.met for t in targets(results)}
    assert found == {"RSS growth, last half of soak": False, "soak errors": True}
    shown = table(results | {"targets": [vars(t) | {"met": t.met} for t in targets(results)]})
    assert "after each tenth: 700.0 720.0" in shown and "RSS growth, last half of soak" in shown and "NO" in shown


def test_malloc_arenas_are_capped_on_glibc_and_left_alone_at_zero():
    """glibc's default of 8 arenas per core let a busy server's memory creep up (the soak row measures it)."""
    assert memory.bound_malloc_arenas(0) is False
    if platform.libc_ver()[0] == "glibc":
        assert memory.bound_malloc_arenas(Settings().malloc_arenas) is True


def test_the_server_gives_freed_memory_back_every_malloc_trim_seconds(monkeypatch):
    """glibc's arenas kept about 75 MB freed after a burst of questions, until malloc_trim gave it back."""
    import asyncio

    trims: list[float] = []
    monkeypatch.setattr(memory, "release_free_memory", lambda: trims.append(time.monotonic()) or True)
    options = serving_options(Settings(malloc_trim_seconds=0.05).serve)

    async def serve_a_while() -> None:
        async with options["app_kwargs"]["lifespan"](None):
            await asyncio.sleep(0.3)

    asyncio.run(serve_a_while())
    assert len(trims) >= 3
    if platform.libc_ver()[0] == "glibc":
        monkeypatch.undo()
        assert memory.release_free_memory() is True
