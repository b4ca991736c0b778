"""Load and queueing: a bounded queue and concurrency limit; past the bound a visitor is told the
assistant is busy and to try again (HTTP 503 with Retry-After), never left hanging or shown a trace."""

from __future__ import annotations

import asyncio
import json
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from starlette.exceptions import HTTPException

from bot.config import Settings
from bot.embedding import answer_threads
from bot.ui import BUSY_MESSAGE, BUSY_RETRY_SECONDS, busy_reply

from conftest import ROOT, start_app
from http_client import FinalEvent, call


def test_a_full_queue_is_answered_with_the_busy_message():
    response = asyncio.run(busy_reply(None, HTTPException(503, "Queue is full. Max size is 64 and size is 64.")))
    assert response.status_code == 503
    assert json.loads(response.body) == {"detail": BUSY_MESSAGE}
    assert response.headers["Retry-After"] == str(BUSY_RETRY_SECONDS)


def test_other_http_errors_are_left_as_they_are():
    response = asyncio.run(busy_reply(None, HTTPException(404, "Not Found")))
    assert response.status_code == 404 and json.loads(response.body) == {"detail": "Not Found"}


def test_queue_bounds_come_from_settings_and_the_environment():
    settings = Settings.from_env({"BOT_QUEUE_SIZE": "5", "BOT_CONCURRENCY_LIMIT": "1"})
    assert (settings.queue_size, settings.concurrency_limit) == (5, 1)


def test_the_cores_are_shared_by_the_answers_running_at_once():
    assert answer_threads(Settings(concurrency_limit=2).serve, cores=2) == 1
    assert answer_threads(Settings(concurrency_limit=1).serve, cores=2) == 2
    assert answer_threads(Settings(concurrency_limit=4).serve, cores=2) == 1
    assert answer_threads(Settings(concurrency_limit=2, model_threads=3).serve, cores=2) == 3


@pytest.fixture
def app_with(real_settings: Settings):
    """Start the app on the real index with BOT_* overrides; stopped after the test."""
    started = []

    def start(**overrides: str) -> str:
        env = {
            **os.environ,
            "BOT_INDEX_DIR": str(real_settings.index_dir),
            "BOT_KNOWLEDGE_DIR": str(real_settings.knowledge_dir),
            **{f"BOT_{name.upper()}": value for name, value in overrides.items()},
        }
        process, base = start_app(ROOT, env=env)
        started.append(process)
        return base

    yield start
    for process in started:
        process.terminate()
        process.wait(timeout=30)


@pytest.mark.integration
def test_no_room_in_the_queue_means_busy_try_again_over_http(app_with):
    base = app_with(queue_size="0")
    posted = requests.post(f"{base}/gradio_api/call/respond", json={"data": ["What are NK cells?", []]}, timeout=30)
    assert posted.status_code == 503
    assert posted.json() == {"detail": BUSY_MESSAGE}
    assert posted.headers["Retry-After"] == str(BUSY_RETRY_SECONDS)
    assert "Traceback" not in posted.text
    assert call(base, "ask", "What are NK cells?") == ("busy", [BUSY_MESSAGE])


@pytest.mark.integration
def test_a_burst_past_the_bound_gets_answers_or_busy_and_nothing_hangs(app_with):
    base = app_with(queue_size="2", concurrency_limit="1")
    visitors = 48
    start = threading.Barrier(visitors)

    def visitor(number: int) -> tuple[str, list]:
        start.wait()
        return call(base, "ask", f"What are NK cells? (visitor {number})", timeout=60)

    with ThreadPoolExecutor(visitors) as pool:
        outcomes = list(pool.map(visitor, range(visitors), timeout=120))
    events = [event for event, _ in outcomes]
    assert set(events) == {"complete", "busy"}, events
    assert all(data == [BUSY_MESSAGE] for event, data in outcomes if event == "busy")
    assert all(data[0]["disclaimer"] for event, data in outcomes if event == "complete")
    # once the burst is over, the next visitor is answered
    assert call(base, "ask", "What are NK cells?").event == "complete"


@pytest.mark.integration
def test_many_visitors_at_once_all_get_their_own_answer(app_with):
    """Answers at once must not share a tokenizer: one with padding off broke another's batch (issue 15, 1)."""
    base = app_with(queue_size="1100", concurrency_limit="16")
    words = "nk cells therapy side effects fever cancer treatment infusion donor immune safe how long does it"
    words = words.split()
    # A word of no document ("visitor17") makes the search look at its tokens' places in the question too.
    questions = [" ".join(words[(i + j) % len(words)] for j in range(1 + i % 40)) + f" visitor{i}" for i in range(1024)]

    def visitor(questions: list[str]) -> list[tuple[str, FinalEvent]]:
        with requests.Session() as session:
            return [(q, call(base, "ask", q, session=session, timeout=120)) for q in questions]

    with ThreadPoolExecutor(64) as pool:
        replies = [pair for batch in pool.map(visitor, [questions[i::64] for i in range(64)]) for pair in batch]
    failed = [(q, event, data) for q, (event, data) in replies if event != "complete"]
    assert not failed, f"{len(failed)} of {len(replies)} failed, first: {failed[:3]}"
    assert len(replies) == 1024
    assert all(data[0]["question"] == q and data[0]["disclaimer"] for q, (_, data) in replies)
