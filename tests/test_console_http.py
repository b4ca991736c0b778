"""The staff console and the visitor chat as two running processes, called by raw HTTP with the real
model: the console refuses every route without the login, the visitor app has no staff endpoint
(not even through the page's own queue protocol), a visitor's question and thumbs-down reach the
console's list, the suite runner agrees with `python -m bot evaluate`, and a rebuild goes live."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest
import requests

from bot.config import Settings
from bot.evaluate import evaluate, load_cases
from bot.limits import NO_UPLOADS
from bot.ui import NO_SUCH_ENDPOINT

from conftest import ROOT, bot_command
from console_server import launch_console, wait_for_login_page
from http_client import call, launch_app, wait_until_up
from page_client import Page

pytestmark = pytest.mark.integration

PASSWORD = "a-temporary-test-password"
VISITOR_ENDPOINTS = {"respond", "send", "choose", "ask", "like"}  # and example_0 … example_N
CONSOLE_ENDPOINTS = {
    "inspect",
    "run_suite",
    "visitor_questions",
    "refresh_questions",
    "rebuild",
    "index_status",
    "load_questions",
    "pick_question",
    "teach_choices",
    "find_passage",
    "teach",
    "not_answered",
    "mark_urgent",
    "untaught",
    "stage",
    "publish",
    "roll_back",
    "documents",
    "preview_document",
    "add_document",
    "document_details",
    "document_names",
    "edit_document",
    "retire_document",
    "publish_documents",
    "discard_documents",
    "roll_back_documents",
    "activity",
    "load_activity",
    "staged_status",
    "signed_in",
}
UNANSWERED = "Is NK cell therapy covered by my health insurance?"
DISLIKED = "What are the side effects of NK cell therapy?"
NEW_QUESTION = "What colour are the tulips in the clinic garden?"
NEW_ANSWER = "The tulips in the clinic garden are purple and bloom every April."


@pytest.fixture(scope="module")
def site(real_settings: Settings, tmp_path_factory: pytest.TempPathFactory):
    """A private copy of knowledge and index; the visitor chat and the console over it, sharing a data folder."""
    root = tmp_path_factory.mktemp("site")
    shutil.copytree(real_settings.knowledge_dir, root / "knowledge")
    shutil.copytree(real_settings.index_dir, root / "index")
    settings = real_settings.replace(knowledge_dir=root / "knowledge", index_dir=root / "index", data_dir=root / "data")
    env = {
        **os.environ,
        "BOT_KNOWLEDGE_DIR": str(settings.knowledge_dir),
        "BOT_INDEX_DIR": str(settings.index_dir),
        "BOT_DATA_DIR": str(settings.data_dir),
        "BOT_STAFF_PASSWORD": PASSWORD,
    }
    visitor, console = launch_app(ROOT, env=env), launch_console(env)  # both start at once
    try:
        wait_until_up(visitor, wait=180)
        wait_for_login_page(console)
        yield settings, visitor.base, console.base
    finally:
        visitor.stop()
        console.stop()


@pytest.fixture(scope="module")
def staff(site) -> requests.Session:
    _, _, console = site
    session = requests.Session()
    signed_in = session.post(f"{console}/login", data={"username": "staff", "password": PASSWORD}, timeout=30)
    assert signed_in.status_code == 200, signed_in.text
    return session


def table(value: dict) -> list[list]:
    """A Dataframe's rows as the API sends them."""
    return value["data"]


def test_without_the_login_the_console_refuses_every_route(site):
    _, _, console = site
    body = {"data": ["What are NK cells?", 3], "fn_index": 0, "session_hash": "someone", "event_data": None}
    refused = [
        ("get", "/config"),
        ("get", "/gradio_api/info"),
        ("get", "/gradio_api/openapi.json"),
        ("post", "/gradio_api/queue/join"),
        ("get", "/gradio_api/queue/data?session_hash=someone"),
        ("post", "/gradio_api/upload"),
        ("get", f"/gradio_api/file={ROOT / 'README.md'}"),
        *[("post", f"/gradio_api/call/{name}") for name in sorted(CONSOLE_ENDPOINTS)],
        *[("post", f"/gradio_api/run/{name}") for name in sorted(CONSOLE_ENDPOINTS)],
    ]
    for method, path in refused:
        response = requests.request(method, console + path, json=body, timeout=30)
        assert response.status_code == 401, (path, response.status_code, response.text[:200])
        assert "Not authenticated" in response.text

    wrong = requests.Session()
    assert (
        wrong.post(f"{console}/login", data={"username": "staff", "password": "guess"}, timeout=30).status_code == 400
    )
    assert wrong.post(f"{console}/gradio_api/call/inspect", json=body, timeout=30).status_code == 401
    page = requests.get(console, timeout=30).text  # the login page names no staff function
    assert '"auth_required":true' in page.replace(" ", "")
    for name in [*CONSOLE_ENDPOINTS, "Inspector", "Rebuild", "heldout"]:
        assert name not in page, name


def test_signed_in_staff_can_call_the_console(site, staff: requests.Session):
    _, _, console = site
    assert {d["api_name"] for d in staff.get(f"{console}/config", timeout=30).json()["dependencies"]} == (
        CONSOLE_ENDPOINTS
    )
    event, (chat, decision, ranking) = call(console, "inspect", DISLIKED, 5, session=staff)
    assert event == "complete"
    assert decision.startswith("**Answered**: confidence ") and "threshold" in decision
    assert len(table(ranking)) == 5 and table(ranking)[0][1] == "answer"
    assert "Possible side effects may include fatigue" in chat[1]["content"][0]["text"]


def test_the_visitor_app_exposes_no_staff_endpoint(site, staff: requests.Session):
    _, visitor, console = site
    page = Page(visitor)
    names = page.api_names()
    examples = {n for n in names if n.startswith("example_")}
    assert examples and names - examples == VISITOR_ENDPOINTS
    info = requests.get(f"{visitor}/gradio_api/info", timeout=30).json()
    assert set(info["named_endpoints"]) == {"/respond", "/ask"} and info["unnamed_endpoints"] == {}
    staff_page = staff.get(f"{console}/config", timeout=30).json()
    shown = {"label", "value", "placeholder"}
    visitor_texts = {str(v) for c in page.config["components"] for k, v in c.get("props", {}).items() if k in shown}
    staff_texts = {str(v) for c in staff_page["components"] for k, v in c.get("props", {}).items() if k in shown}
    assert not {"Inspector", "Test suites", "Visitor questions", "Index"} - staff_texts
    assert not {t for t in staff_texts & visitor_texts if len(t) > 4}  # no staff control on the visitor page

    console_names = {d["api_name"] for d in staff_page["dependencies"]}
    for name in console_names:  # by name, through the HTTP API ...
        for route in ("call", "run", "api"):
            response = requests.post(f"{visitor}/gradio_api/{route}/{name}", json={"data": ["x"]}, timeout=30)
            assert response.status_code == 404, (name, response.status_code, response.text[:200])
            assert response.json()["detail"] == NO_SUCH_ENDPOINT.format(name=name)  # not a 500 and a traceback
    beyond = len(page.dependencies())  # ... and by number, through the page's queue
    for fn_index in range(beyond, beyond + len(console_names)):
        body = {"data": ["x"], "fn_index": fn_index, "session_hash": page.session_hash, "event_data": None}
        assert requests.post(f"{visitor}/gradio_api/queue/join", json=body, timeout=30).status_code >= 400
    assert call(visitor, "ask", "What are NK cells?").event == "complete"  # and the chat still answers


def test_neither_app_offers_gradios_traffic_monitor_nor_sends_telemetry(site, staff: requests.Session):
    """Gradio serves /monitoring by default: its summary gave anyone the chat's usage counts, and a visit to
    /monitoring printed the key of a traffic dashboard into the server's log. Its telemetry went to gradio.app on
    every start. The chat and the console turn both off."""
    _, visitor, console = site
    for path in ("/monitoring", "/monitoring/summary", "/monitoring/some-key"):
        response = requests.get(visitor + path, timeout=30)
        assert response.status_code == 403 and "not enabled" in response.text, (path, response.text[:200])
        assert staff.get(console + path, timeout=30).status_code == 403, path
    assert Page(visitor).config["analytics_enabled"] is False
    assert staff.get(f"{console}/config", timeout=30).json()["analytics_enabled"] is False


def test_the_visitor_app_stores_no_uploaded_file(site, staff: requests.Session):
    """The chat takes no files, so its upload route must not host one for anyone; the console's still works."""
    _, visitor, console = site
    for files in ({"files": ("notes.txt", b"x" * 4096, "text/plain")}, {"files": ("pwned.html", b"", "text/html")}):
        refused = requests.post(f"{visitor}/gradio_api/upload", files=files, timeout=30)
        assert refused.status_code == 403 and refused.json() == {"detail": NO_UPLOADS}
        assert staff.post(f"{console}/gradio_api/upload", files=files, timeout=30).status_code == 200


def test_the_visitor_chat_has_no_copy_button_that_would_copy_markdown(site):
    _, visitor, _ = site
    chatbot = next(c for c in Page(visitor).config["components"] if c.get("props", {}).get("elem_id") == "answers")
    assert chatbot["props"]["buttons"] == []


def test_the_visitor_chat_keeps_no_run_history_in_the_browser(site):
    """Gradio would store each question in the browser (shown at /gradio_api/runs) for the next user of a
    shared computer to read; the chat turns that off."""
    _, visitor, _ = site
    assert Page(visitor).config["run_history"] is False
    assert requests.get(f"{visitor}/gradio_api/runs", timeout=30).status_code == 404


def test_a_visitors_question_and_thumbs_down_appear_in_the_console(site, staff: requests.Session):
    _, visitor, console = site
    page = Page(visitor)  # one visitor's open page, talking as the browser does
    done = page.run("respond", [UNANSWERED, []])
    history = done["output"]["data"][0]
    done = page.run("respond", [DISLIKED, history])
    history = done["output"]["data"][0]
    page.run("like", [], event_data={"index": 3, "value": history[3]["content"], "liked": False})
    assert call(visitor, "respond", UNANSWERED, []).event == "complete"  # another visitor, through the API
    assert call(visitor, "respond", "Could the clinic e-mail me at jo@example.com?", []).event == "complete"

    event, (summary, rows, export) = call(console, "visitor_questions", "Unanswered or disliked", session=staff)
    assert event == "complete" and "most frequent first" in summary
    listed = {row[0]: row[1:5] for row in table(rows)}
    assert listed[UNANSWERED] == [2, 2, 0, 0]  # asked twice, unanswered twice: first in the list
    assert listed[DISLIKED] == [1, 0, 1, 0]
    assert table(rows)[0][0] == UNANSWERED
    assert "Could the clinic e-mail me at [email]?" in listed and "jo@example.com" not in str(table(rows))

    csv_text = staff.get(export["url"], timeout=30).text
    assert csv_text.startswith("question,asked,unanswered,disliked,liked,last asked,passages shown last")
    assert f"{DISLIKED},1,0,1,0," in csv_text
    assert requests.get(export["url"], timeout=30).status_code == 401  # the export needs the login too
    _, (_, disliked, _) = call(console, "visitor_questions", "Disliked", session=staff)
    assert [row[0] for row in table(disliked)] == [DISLIKED]


def test_the_suite_runner_reports_the_same_metrics_as_python_m_bot_evaluate(site, staff, real_assistant, tmp_path):
    settings, _, console = site
    cli = subprocess.Popen(
        bot_command(settings, "evaluate", "tests/eval/heldout.jsonl", "--json"),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    event, (headline, metrics, failures) = call(console, "run_suite", "heldout.jsonl", None, session=staff, timeout=600)
    out, err = cli.communicate(timeout=600)
    assert event == "complete" and cli.returncode == 0, err
    expected = json.loads(out)["metrics"]
    shown = dict(table(metrics))
    assert shown["questions"] == str(expected["questions"])
    for label, field in [
        ("hit@1", "hit_at_1"),
        ("hit@3", "hit_at_3"),
        ("MRR@10", "mrr_at_10"),
        ("out-of-scope rejected", "out_of_scope_rejected"),
        ("in-scope false rejection", "in_scope_false_rejection"),
    ]:
        assert shown[label] == f"{expected[field]:.3f}", label
    scope = {case.question: case.expect is not None for case in load_cases(ROOT / "tests/eval/heldout.jsonl")}
    wrong = {
        q["question"]
        for q in json.loads(out)["questions"]
        if (not (q["rank"] == 1 and q["answered"]) if scope[q["question"]] else q["answered"])
    }
    assert headline.startswith(f"**heldout.jsonl**: {expected['questions']} questions, {len(wrong)} not right")
    assert {row[0] for row in table(failures)} == wrong

    upload = tmp_path / "staff-upload.jsonl"
    cases = [
        {"question": "What are the side effects of NK cell therapy?", "expect": ["Possible side effects"]},
        {"question": "How much does NK cell therapy cost?", "expect": None},
    ]
    upload.write_text("\n".join(json.dumps(c) for c in cases) + "\n", encoding="utf-8")
    with upload.open("rb") as handle:
        uploaded = staff.post(f"{console}/gradio_api/upload", files={"files": (upload.name, handle)}, timeout=30)
    uploaded.raise_for_status()
    file_data = {"path": uploaded.json()[0], "orig_name": upload.name, "meta": {"_type": "gradio.FileData"}}
    event, (headline, metrics, failures) = call(console, "run_suite", None, file_data, session=staff)
    expected, _ = evaluate(real_assistant, load_cases(upload))
    assert event == "complete" and headline.startswith("**staff-upload.jsonl**: 2 questions")
    assert dict(table(metrics))["hit@1"] == f"{expected.hit_at_1:.3f}"
    assert dict(table(metrics))["out-of-scope rejected"] == f"{expected.out_of_scope_rejected:.3f}"


def test_a_rebuild_in_the_console_goes_live_in_the_visitor_chat(site, staff: requests.Session):
    settings, visitor, console = site
    (settings.knowledge_dir / "garden.md").write_text(
        f"---\ntitle: Clinic garden\n---\n\n## Garden\n\n### {NEW_QUESTION}\n\n{NEW_ANSWER}\n", encoding="utf-8"
    )
    _, (status,) = call(console, "index_status", session=staff)
    assert "**Out of date:** changed since the build: garden.md" in status
    event, (summary, status) = call(console, "rebuild", session=staff, timeout=600)
    assert event == "complete", summary
    assert summary.startswith(f"**Built {settings.index_dir}/ (") and "3 documents" in summary
    assert "1 added, 0 changed, 0 removed" in summary and "It is live" in summary
    assert "Up to date with" in status
    event, (reply,) = call(visitor, "ask", NEW_QUESTION)  # the visitor app switched by itself
    assert event == "complete" and reply["answered"] and reply["passages"][0]["text"] == NEW_ANSWER
