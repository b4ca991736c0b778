"""Limits on requests and clients, without a server: the body-size, upload and API-question middleware on a
tiny app, the per-client counters with a fake clock, whose address a proxy may name, and the chat's polite
"try again" and its cap on questions logged. (tests/test_limits_http.py checks the same on the running apps.)"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from types import SimpleNamespace

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from bot.config import Settings
from bot.limits import NO_UPLOADS, TOO_MANY_QUESTIONS, QuestionLimits, request_limits, too_many
from bot.throttle import DailyCount, RateLimit, TrustedProxies, client_address

LIMIT = 1000


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def limits(**changes) -> QuestionLimits:
    return QuestionLimits(Settings(**{"questions_per_minute": 3, "logged_questions_per_day": 2, **changes}).questions)


@pytest.fixture
def client() -> TestClient:
    """A tiny app that reports the size of the body it received, behind RequestLimits."""

    async def echo(request: Request) -> JSONResponse:
        return JSONResponse({"received": len(await request.body())})

    routes = [Route(path, echo, methods=["GET", "POST"]) for path in ("/gradio_api/upload", "/gradio_api/call/ask")]
    routes += [Route("/gradio_api/call/ask/{event}", echo), Route("/login", echo, methods=["POST"])]
    guarded = limits(questions_per_minute=1)
    app = Starlette(routes=routes, middleware=[request_limits(LIMIT, refuse_uploads=True, questions=guarded)])
    app.state.limits = guarded
    return TestClient(app, client=("203.0.113.9", 50000))


def chunks(size: int) -> Iterator[bytes]:
    """A body sent chunked: no Content-Length for the server to check first."""
    for _ in range(size // 100):
        yield b"x" * 100


def test_a_body_over_the_limit_is_refused_whether_its_length_is_declared_or_not(client: TestClient):
    """A 10 MB POST was taken whole and its question echoed back (issue 15, finding 2)."""
    assert client.post("/login", content=b"x" * LIMIT).json() == {"received": LIMIT}
    for body in (b"x" * (LIMIT + 1), chunks(10 * LIMIT)):
        refused = client.post("/login", content=body)
        assert refused.status_code == 413
        assert refused.json()["detail"] == f"This request is larger than the {LIMIT:,} bytes this server takes; " + (
            "send less at once."
        )
    assert client.post("/login", content=chunks(LIMIT)).json() == {"received": LIMIT}  # the body passed on whole


def test_every_upload_is_refused_even_an_empty_one(client: TestClient):
    """An empty file was stored and served back under a name the client chose (issue 15, finding 4)."""
    for files in ({"files": ("pwned.html", b"", "text/html")}, {"files": ("a.txt", b"x", "text/plain")}):
        refused = client.post("/gradio_api/upload", files=files)
        assert refused.status_code == 403 and refused.json() == {"detail": NO_UPLOADS}
    assert client.get("/gradio_api/upload/").status_code == 403


def test_api_questions_of_a_client_over_its_limit_get_429_with_retry_after(client: TestClient):
    guarded: QuestionLimits = client.app.state.limits
    assert client.post("/gradio_api/call/ask", json={"data": ["hi"]}).status_code == 200  # the middleware only looks
    guarded.take("203.0.113.9")  # the answering function counts the question
    refused = client.post("/gradio_api/call/ask", json={"data": ["hi"]})
    assert refused.status_code == 429 and refused.json() == {"detail": TOO_MANY_QUESTIONS}
    assert 55 <= int(refused.headers["Retry-After"]) <= 60
    assert client.get("/gradio_api/call/ask/123").status_code == 200  # the answer's stream is not a question
    assert client.post("/login", content=b"{}").status_code == 200


def test_a_body_too_large_is_413_even_from_a_client_over_its_question_limit(client: TestClient):
    """It was a 429 "try again in a minute", and the same body was refused again a minute later."""
    client.app.state.limits.take("203.0.113.9")
    assert client.post("/gradio_api/call/ask", content=b"x" * LIMIT).status_code == 429
    assert client.post("/gradio_api/call/ask", content=b"x" * (LIMIT + 1)).status_code == 413


def test_only_gradios_upload_route_is_refused_as_an_upload(client: TestClient):
    """An API call to an endpoint named "upload" was told "This chat takes no files." instead of not found."""
    assert client.post("/gradio_api/call/upload", json={"data": []}).status_code == 404
    assert client.post("/chat/gradio_api/upload/", content=b"").status_code == 403  # under a root path too


def test_each_api_429_is_counted_in_the_metrics_as_refused(client: TestClient):
    """The middleware's 429s reached no route, so /metrics never counted them: a flood, or a limit set too low,
    did not show."""
    from bot.metrics import Metrics

    guarded: QuestionLimits = client.app.state.limits
    metrics = Metrics()
    guarded.on_refused = metrics.refuse_path
    guarded.take("203.0.113.9")
    for path in ("/gradio_api/call/ask", "/gradio_api/run/ask"):
        assert client.post(path, json={"data": ["hi"]}).status_code == 429
    counted = metrics.render().decode()
    assert 'faq_questions_total{outcome="refused",route="gradio_api"} 2.0' in counted
    # POST /api/ask reads the message first, so that the limit never keeps back the urgent notice: its route says 429
    assert client.post("/api/ask", json={"question": "hi"}).status_code == 404  # no such route in this app


def test_too_many_is_the_429_any_route_can_send():
    response = too_many(0.2)
    assert response.status_code == 429 and response.headers["Retry-After"] == "1"


def test_a_rate_limit_counts_in_a_sliding_window_and_says_how_long_to_wait():
    clock = Clock()
    limit = RateLimit(3, 60, capacity=100, clock=clock)
    assert [limit.take(["a"]) for _ in range(3)] == [0, 0, 0]
    clock.now += 20
    assert limit.take(["a"]) == pytest.approx(40) and limit.take(["b"]) == 0  # refused ones are not counted
    clock.now += 40
    assert limit.take(["a"]) == 0 and limit.wait(["a"]) == 0
    assert limit.take(["a", "b"]) == 0 and limit.take(["a", "b"]) == 0  # one event for each key
    assert limit.wait(["b"]) == pytest.approx(20) and limit.wait(["a", "b"]) == pytest.approx(60)  # the longest
    limit.forget(["a"])
    assert limit.wait(["a"]) == 0
    assert RateLimit(0, 60, 10).take(["a"]) == 0  # 0: no limit


def test_requests_in_parallel_are_counted_one_by_one():
    limit = RateLimit(5, 60, capacity=100)
    start = threading.Barrier(50)
    results: list[float] = []

    def ask() -> None:
        start.wait()
        results.append(limit.take(["one address"]))

    threads = [threading.Thread(target=ask) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results.count(0) == 5


def test_memory_holds_at_most_capacity_clients():
    limit = RateLimit(3, 60, capacity=100)
    for number in range(10_000):
        limit.take([f"10.0.{number // 256}.{number % 256}"])
    assert len(limit) == 100
    daily = DailyCount(2, capacity=100)
    assert all(daily.take(f"address {n}") for n in range(1000)) and len(daily._counts) == 100


def test_a_daily_count_starts_again_each_day():
    day = ["2026-03-31"]
    count = DailyCount(2, capacity=10, today=lambda: day[0])
    assert [count.take("a") for _ in range(3)] == [True, True, False]
    assert count.take("b")
    day[0] = "2026-04-01"
    assert count.take("a") and DailyCount(0, 10).take("a")


def test_x_forwarded_for_is_believed_only_from_a_trusted_proxy():
    headers = {"x-forwarded-for": "198.51.100.7, 203.0.113.5, 10.0.0.2"}
    none, proxies = TrustedProxies.parse(""), TrustedProxies.parse("127.0.0.1, 10.0.0.0/8")
    assert client_address("127.0.0.1", headers, none) == "127.0.0.1"  # no proxy configured: the header is ignored
    assert client_address("192.0.2.1", headers, proxies) == "192.0.2.1"  # not from a trusted proxy
    # From the right: 10.0.0.2 is our proxy; 203.0.113.5 is the first address not ours, so the client, whatever
    # the client itself wrote to the left of it.
    assert client_address("127.0.0.1", headers, proxies) == "203.0.113.5"
    assert client_address("127.0.0.1", {}, proxies) == "127.0.0.1"
    assert client_address(None, headers, none) == "unknown"
    with pytest.raises(ValueError, match="BOT_TRUSTED_PROXIES must list addresses or networks .* got 'proxy.local'"):
        TrustedProxies.parse("10.0.0.1, proxy.local")
    assert Settings.from_env({"BOT_TRUSTED_PROXIES": "10.0.0.1"}).questions.trusted_proxies == "10.0.0.1"


@pytest.fixture
def chat(fake_index: Settings, tmp_path):
    from bot.assistant import Assistant
    from bot.index import load_index
    from bot.ui import VisitorChat
    from bot.visits import VISITS_FILE, VisitLog

    from conftest import FakeEmbedder

    settings = fake_index.replace(questions_per_minute=3, logged_questions_per_day=2)
    assistant = Assistant(load_index(settings.index_dir, FakeEmbedder()), FakeEmbedder(), settings)
    visits = VisitLog(tmp_path / "data" / VISITS_FILE)
    yield VisitorChat(assistant, visits), visits
    visits.close()


def visitor(address: str) -> SimpleNamespace:
    """What the chat reads of a gr.Request: the client's address and the headers."""
    return SimpleNamespace(client=SimpleNamespace(host=address), headers={}, session_hash=f"page of {address}")


def test_a_visitor_over_the_limit_is_asked_politely_to_wait_and_others_are_answered(chat):
    chat, visits = chat
    for _ in range(3):
        history, _ = chat.respond("When should I prune roses?", [], visitor("192.0.2.1"))
        assert "Prune roses" in history[1]["content"]
    history, _ = chat.respond("When should I prune roses?", [], visitor("192.0.2.1"))
    assert "try again in a minute" in history[1]["content"] and "Prune roses" not in history[1]["content"]
    assert chat.ask("When should I prune roses?", visitor("192.0.2.1"))["message"] == TOO_MANY_QUESTIONS
    assert chat.ask("When should I prune roses?", visitor("192.0.2.2"))["answered"]  # another address
    # A clicked option counts as a question too: it was answered past the limit. One naming no passage (the
    # documents changed since it was offered) leaves no empty bubble for the question.
    import gradio as gr

    clicked = chat.choose([], gr.SelectData(None, {"index": 0, "value": "gone"}), visitor("192.0.2.1"))
    assert [turn["role"] for turn in clicked] == ["assistant"] and "try again in a minute" in clicked[0]["content"]
    clicked = chat.choose([], gr.SelectData(None, {"index": 0, "value": "gone"}), visitor("192.0.2.3"))
    assert [turn["role"] for turn in clicked] == ["assistant"] and "try again" not in clicked[0]["content"]
    # The limit never keeps back the urgent notice: a phrase, which needs no pass through the model, still finds it.
    history, _ = chat.respond("Help, the shed is on fire!", [], visitor("192.0.2.1"))
    assert "call the fire brigade now" in history[1]["content"]
    # At most logged_questions_per_day of one address's questions are logged; the refused ones never.
    assert [v.question for v in visits.visits()] == ["When should I prune roses?"] * 3
