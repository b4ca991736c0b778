"""Calls to the chat's Gradio API of a shape it cannot answer: refused with what to send, never a 500 whose
traceback fills the log (bot/gradio_calls.py)."""

from __future__ import annotations

import json

import pytest
import requests

from bot.config import Settings
from bot.gradio_calls import Shapes


@pytest.fixture(scope="module")
def shapes(tmp_path_factory) -> Shapes:
    from bot.assistant import Assistant
    from bot.index import build_index, load_index
    from bot.knowledge import load_knowledge
    from bot.ui import build_visitor_app
    from bot.visits import VisitLog

    from conftest import FIXTURE_KNOWLEDGE, FakeEmbedder

    folder = tmp_path_factory.mktemp("calls")
    settings = Settings(knowledge_dir=FIXTURE_KNOWLEDGE, index_dir=folder / "index")
    build_index(load_knowledge(FIXTURE_KNOWLEDGE), settings.index_dir, FakeEmbedder())
    assistant = Assistant(load_index(settings.index_dir, FakeEmbedder()), FakeEmbedder(), settings)
    return Shapes.of(build_visitor_app(assistant, VisitLog(folder / "visits.sqlite")))  # with thumbs: "like"


def problem(shapes: Shapes, call: str, body: object) -> tuple[int, str] | None:
    return shapes.problem(call, json.dumps(body).encode())


def test_the_public_endpoints_are_known_by_their_inputs(shapes: Shapes):
    assert shapes.endpoints == {"respond": ("message", "history"), "ask": ("question",)}


def test_calls_of_the_right_shape_pass(shapes: Shapes):
    respond = next(i for i, count in shapes.events.items() if count == 2)
    assert problem(shapes, "queue/join", {"fn_index": respond, "data": ["hi", []], "session_hash": "x"}) is None
    assert problem(shapes, "run/ask", {"data": ["hi"]}) is None
    assert problem(shapes, "call/v2/respond/", {"message": "hi", "history": []}) is None
    said = [{"role": "user", "content": [{"type": "text", "text": "hi"}]}, {"role": "assistant", "content": []}]
    assert problem(shapes, "run/respond", {"data": ["again", said]}) is None  # the page's own history
    assert problem(shapes, "call/nosuch", {"data": []}) is None  # left to the clean 404 Gradio's error gets
    assert shapes.problem("run/ask", b"not json") is None  # Gradio's own 422


@pytest.mark.parametrize(
    ("call", "body", "status", "says"),
    [
        ("queue/join", {"fn_index": 12345, "data": [], "session_hash": "x"}, 404, "no event 12345"),
        ("queue/join", {"fn_index": "5", "data": []}, 404, "no event '5'"),
        ("queue/join", {"fn_index": [1], "data": []}, 404, "no event [1]"),
        ("queue/join", {"fn_index": {"a": 1}, "data": []}, 404, "no event {'a': 1}"),
        ("call/v2/nosuch", {}, 404, "no API endpoint 'nosuch'"),
        ("call/v2/ask", {"q": "x"}, 422, "/ask takes question, each by name; got q"),
        ("call/v2/ask", {}, 422, "got none"),
        ("run/ask", {"data": []}, 422, '/ask takes {"data": [question]}, 1 of them'),
        ("call/respond", {"data": ["x"]}, 422, '/respond takes {"data": [message, history]}, 2 of them'),
        # a history whose messages are not Gradio's: {"error": null} and a traceback in the log, each time
        ("run/respond", {"data": ["x", [{"role": "user", "content": "x"}]]}, 422, "Input 2 of /respond"),
        ("call/v2/respond", {"message": "x", "history": [{"role": "system"}]}, 422, "Input 2 of /respond"),
        ("run/respond", {"data": ["x", "not a list"]}, 422, "Input 2 of /respond"),
        # Gradio's third route, and the page's own events by name: 500s with a traceback each
        ("api/ask", {"data": []}, 422, '/ask takes {"data": [question]}, 1 of them'),
        ("api/send", {"data": []}, 422, "/send is the page's own and takes a data list of 2"),
        ("run/example_0", {"data": []}, 422, "/example_0 is the page's own and takes a data list of 2"),
        ("call/send", {"data": ["x"]}, 422, "/send is the page's own"),
        # a history holding a file: Gradio's path check raised (and a URL there it would fetch)
        (
            "call/respond",
            {"data": ["x", [{"role": "user", "content": [{"type": "file", "file": {"path": "/etc/passwd"}}]}]]},
            422,
            "Input 2 of /respond holds a file; this chat takes no files",
        ),
        ("api/respond", {"data": ["x", [{"role": "user", "content": {"path": "https://example.org/x"}}]]}, 422, "file"),
    ],
)
def test_a_call_the_chat_cannot_answer_is_refused_saying_what_to_send(shapes, call, body, status, says):
    refused = problem(shapes, call, body)
    assert refused is not None and refused[0] == status and says in refused[1]


def test_data_nested_too_deeply_is_refused_not_a_traceback(shapes: Shapes):
    for depth in (600, 5000):  # the file check, then JSON's own reading, ran out of stack
        body = '{"data": ["x", ' + "[" * depth + "]" * depth + "]}"
        refused = shapes.problem("call/respond", body.encode())
        assert refused is not None and refused[0] == 422, refused


def test_the_pages_clicks_need_what_was_clicked(shapes: Shapes):
    """A thumb and a "did you mean" click carry what was clicked; without it Gradio answered {"error": null} and
    logged a traceback, each time, with no question limit."""
    like, choose = shapes.named["like"], shapes.named["choose"]
    assert shapes.clicked == {like, choose}
    clicked = {"index": 1, "value": "An answer", "liked": True}
    assert problem(shapes, "queue/join", {"fn_index": like, "data": [], "event_data": clicked}) is None
    for call, body in [
        ("call/like", {"data": []}),
        ("queue/join", {"fn_index": like, "data": [], "session_hash": "x", "event_data": None}),
        ("call/choose", {"data": [[]], "event_data": {"index": 1}}),
    ]:
        refused = problem(shapes, call, body)
        assert refused is not None and refused[0] == 422 and "needs what was clicked" in refused[1]


@pytest.mark.integration
def test_on_the_running_app_a_malformed_call_is_refused_and_a_good_one_answered(app_url: str):
    """Each of these was a 500 with some 5 KB of traceback in the log, and no limit applied to them."""
    calls = [
        ("queue/join", {"data": [], "fn_index": 12345, "session_hash": "x"}),
        ("call/v2/nosuch", {}),
        ("call/v2/ask", {"q": "x"}),
        ("run/ask", {"data": []}),
        ("run/respond", {"data": ["x"]}),
        ("run/respond", {"data": ["x", [{"role": "system", "content": "x"}]]}),
        ("call/choose", {"data": [[]]}),
        ("call/like", {"data": []}),
        ("api/send", {"data": []}),
        ("call/respond", {"data": ["x", [{"role": "user", "content": {"path": "/etc/passwd"}}]]}),
    ]
    statuses = [requests.post(f"{app_url}/gradio_api/{to}", json=body, timeout=30).status_code for to, body in calls]
    assert statuses == [404, 404, 422, 422, 422, 422, 422, 422, 422, 422]
    answered = requests.post(f"{app_url}/gradio_api/run/ask", json={"data": ["side effects?"]}, timeout=60)
    assert answered.status_code == 200 and answered.json()["data"][0]["answered"]
