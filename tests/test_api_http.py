"""POST /api/ask, /healthz, /readyz and /metrics on the running app, by plain HTTP, with the real model."""

from __future__ import annotations

import asyncio
import json
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from bot.answer import Reply
from bot.api import ASK_FORMAT, AnswerQueue, AskReply, AskRequest
from bot.config import Settings
from bot.index import live_build
from bot.ui import BUSY_MESSAGE, BUSY_RETRY_SECONDS

from conftest import serve_app

VISITOR_KEYS = {
    *("question", "answered", "passages", "message", "notice", "choices", "follow_ups"),
    *("topics", "contact", "emergency_contact", "disclaimer"),
}


def test_the_queue_admits_workers_plus_waiting_then_is_full():
    line = AnswerQueue(workers=2, waiting=1)
    started, release = threading.Event(), threading.Event()

    def slow() -> str:
        started.set()
        release.wait(10)
        return "done"

    async def scenario() -> tuple[list[bool], int, list[str]]:
        tasks = [asyncio.create_task(line.run(slow)) for _ in range(3)]
        await asyncio.sleep(0.2)
        seen = [line.full(), line.depth]
        release.set()
        return seen, line.admitted, list(await asyncio.gather(*tasks))

    (full, depth), _, results = asyncio.run(scenario())
    assert full is True and depth == 1 and results == ["done"] * 3 and line.admitted == 0


def test_a_lone_surrogate_is_read_as_a_replacement_character_as_in_the_chat():
    """It was a 422 here while the chat answered the same text: a widget cutting an emoji in two lost the question."""
    assert AskRequest.model_validate(json.loads('{"question": "a \\ud800 b"}')).question == "a \ufffd b"
    assert AskRequest.model_validate(json.loads('{"question": "NK \\ud83e\\uddec"}')).question == "NK 🧬"


def test_a_rejected_body_is_echoed_at_most_500_characters():
    """{"question": ["…900 KB…"]} came back whole in the 422's detail."""
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from bot.api import ASCIIRoute

    async def ask(body: AskRequest) -> dict:
        return {"question": body.question}

    client = TestClient(FastAPI(routes=[ASCIIRoute("/api/ask", ask, methods=["POST"])]))
    refused = client.post("/api/ask", json={"question": ["a" * 900_000]})
    assert refused.status_code == 422 and len(refused.content) < 2_000
    [error] = refused.json()["detail"]
    assert error["input"].startswith('["aaa') and error["input"].endswith("… (900,004 characters)")
    assert client.post("/api/ask", json={"question": 3}).json()["detail"][0]["input"] == 3  # short: as it was


def test_the_reply_schema_names_the_visitor_keys_and_no_staff_key():
    assert set(AskReply.model_fields) == VISITOR_KEYS == set(Reply("q", False, "disclaimer").to_dict())


@pytest.mark.integration
def test_ask_returns_the_visitor_reply_and_nothing_for_staff(app_url: str):
    response = requests.post(f"{app_url}/api/ask", json={"question": "What are the side effects of NK cell therapy?"})
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    reply = response.json()
    assert set(reply) == VISITOR_KEYS
    assert reply["answered"] is True and reply["disclaimer"] and reply["notice"] is None
    assert "side effects" in (reply["passages"][0]["text"] + reply["passages"][0]["heading"]).lower()
    assert {"id", "text", "title", "heading", "source", "credit", "score"} <= set(reply["passages"][0])


@pytest.mark.integration
def test_ask_gives_the_fallback_and_the_urgent_notice_like_the_chat(app_url: str):
    fallback = requests.post(f"{app_url}/api/ask", json={"question": "Which football team won the cup?"}).json()
    assert fallback["answered"] is False and fallback["message"] and fallback["passages"] == []
    urgent = requests.post(f"{app_url}/api/ask", json={"question": "I have chest pain and can't breathe"}).json()
    assert urgent["notice"]
    empty = requests.post(f"{app_url}/api/ask", json={"question": "   "}).json()
    assert empty["answered"] is False and "type a question" in empty["message"]


@pytest.mark.integration
@pytest.mark.parametrize(
    "body",
    [
        *(
            '{"question": 3}',
            '{"question": null}',
            '{"question": ["a"]}',
            "{}",
            '"What are NK cells?"',
            "not json",
            "{",
        ),
        b'{"question": "caf\xe9"}',  # Latin-1, not UTF-8: FastAPI's bare 400 "There was an error parsing the body"
    ],
)
def test_bad_json_or_a_wrong_type_is_422_saying_what_to_send(app_url: str, body: str | bytes):
    response = requests.post(f"{app_url}/api/ask", data=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 422 and "detail" in response.json()
    assert response.json()["fix"] == ASK_FORMAT and '{"question": "Is it safe?"}' in ASK_FORMAT
    assert "Traceback" not in response.text


@pytest.mark.integration
def test_a_lone_surrogate_is_answered_through_the_json_api_too(app_url: str):
    body = '{"question": "What are the side effects of NK cell therapy? \\ud83e"}'  # an emoji cut in two
    response = requests.post(f"{app_url}/api/ask", data=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 200 and response.json()["answered"] is True
    assert response.json()["question"].endswith("therapy? \ufffd")


@pytest.mark.integration
def test_a_body_over_the_limit_is_413_declared_or_chunked(app_url: str):
    huge = b'{"question": "' + b"a" * 1_100_000 + b'"}'
    headers = {"Content-Type": "application/json"}
    declared = requests.post(f"{app_url}/api/ask", data=huge, headers=headers)
    pieces = (huge[i : i + 65536] for i in range(0, len(huge), 65536))
    chunked = requests.post(f"{app_url}/api/ask", data=pieces, headers=headers)  # no length: read up to the limit
    for response in (declared, chunked):
        assert response.status_code == 413 and "1,000,000 bytes" in response.json()["detail"]
    parts = (part for part in (b'{"question": ', b'"What are NK cells?"}'))
    small = requests.post(f"{app_url}/api/ask", data=parts, headers=headers)
    assert small.status_code == 200 and small.json()["answered"] is True


@pytest.mark.integration
def test_health_ready_and_the_openapi_schema(app_url: str, real_settings: Settings):
    assert requests.get(f"{app_url}/healthz").json() == {"status": "alive"}
    ready = requests.get(f"{app_url}/readyz").json()
    assert ready == {
        "status": "ready",
        "build": live_build(real_settings.index_dir),
        "passages": ready["passages"],
        "model": real_settings.model_name,
        "stale": False,
    }
    assert ready["passages"] > 50
    schema = requests.get(f"{app_url}/openapi.json").json()
    ask = schema["paths"]["/api/ask"]["post"]
    assert {"200", "413", "422", "429", "503"} <= set(ask["responses"])
    reply = schema["components"]["schemas"]["AskReply"]
    assert set(reply["properties"]) == VISITOR_KEYS
    assert {"/healthz", "/readyz", "/metrics"} <= set(schema["paths"])


@pytest.mark.integration
def test_metrics_count_questions_by_route_and_outcome(app_url: str):
    def count(text: str, route: str, outcome: str) -> float:
        line = f'faq_questions_total{{outcome="{outcome}",route="{route}"}} '
        return next(float(row.split()[-1]) for row in text.splitlines() if row.startswith(line))

    before = requests.get(f"{app_url}/metrics").text
    requests.post(f"{app_url}/api/ask", json={"question": "What are NK cells? (metrics)"})
    requests.post(f"{app_url}/api/ask", json={"question": ""})
    after = requests.get(f"{app_url}/metrics")
    assert after.headers["content-type"].startswith("text/plain")
    assert count(after.text, "api", "answered") == count(before, "api", "answered") + 1
    assert count(after.text, "api", "refused") == count(before, "api", "refused") + 1
    for name in (
        "faq_answer_seconds_bucket",
        "faq_model_batch_questions_bucket",
        "faq_api_queue_depth",
        "faq_model_queue_depth",
        "faq_model_busy_seconds_total",
        "faq_model_cpu_seconds_total",
        "faq_index_passages",
        "faq_index_info{build=",
    ):
        assert name in after.text, name


@pytest.fixture
def strict_limit(real_settings: Settings):
    """An app that takes two questions a minute from one client."""
    yield from serve_app(real_settings, questions_per_minute="2")


@pytest.mark.integration
def test_a_client_over_its_questions_per_minute_gets_429_with_retry_after(strict_limit: str):
    statuses = [requests.post(f"{strict_limit}/api/ask", json={"question": f"NK cells? {i}"}) for i in range(3)]
    assert [r.status_code for r in statuses] == [200, 200, 429]
    assert int(statuses[2].headers["Retry-After"]) > 0 and "try again" in statuses[2].json()["detail"]
    # Over the limit, an emergency still gets the notice: no limit keeps it back (it got the 429 too).
    emergency = {"question": "I have crushing chest pain and cannot breathe"}
    urgent = requests.post(f"{strict_limit}/api/ask", json=emergency)
    assert urgent.status_code == 200 and "emergency services" in urgent.json()["notice"]


@pytest.fixture
def tiny_queue(real_settings: Settings):
    """An app that answers one question at a time and lets none wait."""
    yield from serve_app(real_settings, batch_max="1", queue_size="0")


@pytest.mark.integration
def test_a_full_queue_is_503_with_retry_after_and_every_other_question_is_answered(tiny_queue: str):
    visitors = 24
    start = threading.Barrier(visitors)

    def visitor(number: int) -> requests.Response:
        start.wait()
        return requests.post(f"{tiny_queue}/api/ask", json={"question": f"Is NK cell therapy safe? ({number})"})

    with ThreadPoolExecutor(visitors) as pool:
        responses = list(pool.map(visitor, range(visitors), timeout=120))
    statuses = [r.status_code for r in responses]
    assert set(statuses) == {200, 503}, statuses
    for response in responses:
        if response.status_code == 503:
            assert response.json() == {"detail": BUSY_MESSAGE}
            assert response.headers["Retry-After"] == str(BUSY_RETRY_SECONDS)
        else:
            assert response.json()["disclaimer"]
    metrics = requests.get(f"{tiny_queue}/metrics").text
    assert f'faq_questions_total{{outcome="refused",route="api"}} {statuses.count(503)}.0' in metrics
