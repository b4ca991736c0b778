"""The visitor chat: a Gradio page over an Assistant. Staff functions never live here."""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gradio as gr
from fastapi import Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import JSONResponse, Response
from gradio.route_utils import FnIndexInferError
from starlette.exceptions import HTTPException
from starlette.routing import BaseRoute

from bot.answer import Reply
from bot.assistant import Assistant
from bot.config import ServeSettings
from bot.embedding import limit_threads
from bot.errors import BotError
from bot.gradio_calls import gradio_calls
from bot.limits import TOO_MANY_QUESTIONS, QuestionLimits, request_limits
from bot.memory import forget_finished_sessions
from bot.metrics import CHAT, GRADIO_API, Metrics
from bot.redact import clean_text
from bot.render import escape_markdown, render_markdown
from bot.search import normalize_query
from bot.throttle import trust_no_proxy_headers
from bot.visits import DISLIKE, LIKE, TurnRows, VisitLog

SHOWN_QUESTION_CHARS = 500  # a huge message is echoed cut short; the reply says why
BUSY_MESSAGE = "The assistant is busy answering other visitors. Please try again in a few seconds."
BUSY_RETRY_SECONDS = 5
ANSWERING = "answering"  # one concurrency group for every event that answers a question

CHOICE_PREFIX = "Did you mean: "
ASSETS = Path(__file__).parent
CSS = (ASSETS / "page.css").read_text(encoding="utf-8")  # the console shows replies too, so it takes this as well
UNRATED_CLASS = "not-rated"  # a reply no thumbs can rate: see assistant_message
# What the page does that Gradio does not: each reply lands at its start, messages are named by their text, the focus
# goes back to the question box after a suggestion. In the page, not an event: the visitor API gains no endpoint.
PAGE_JS = (ASSETS / "page.js").read_text(encoding="utf-8").replace("__CHOICE_PREFIX__", json.dumps(CHOICE_PREFIX))


class VisitorChat:
    """The chat functions, plain enough for tests to call without a server."""

    def __init__(
        self,
        assistant: Assistant,
        visits: VisitLog | None = None,
        limits: QuestionLimits | None = None,
        metrics: Metrics | None = None,
    ):
        self.assistant = assistant
        self.visits = visits  # None: the visit log is off
        self.limits = limits or QuestionLimits(assistant.settings.questions)  # questions per client address
        self.metrics = metrics or Metrics()
        # which log row each answer on each open page is, for its thumbs up/down
        self.rows = TurnRows(assistant.settings.remembered_turns)

    def respond(
        self, message: str, history: list[dict] | None, request: gr.Request | None = None
    ) -> tuple[list[dict], str]:
        """Add the visitor's question and the reply to the chat; clear the input box."""
        message = as_text(message)
        reply = self._answer(message, request, CHAT)
        # an empty send gets the hint alone: a bubble of nothing (or of spaces, read out as "&nbsp;") says nothing
        rated = self._rated(message, reply)
        turn = chat_turn(message, reply, rated) if normalize_query(message) else [assistant_message(reply, rated)]
        history = [*(history or []), *turn]
        self._record(message, reply, request, len(history) - 1)
        return history, ""

    def choose(
        self, history: list[dict] | None, selection: gr.SelectData, request: gr.Request | None = None
    ) -> list[dict]:
        """A clicked "did you mean" or follow-up option: quote the passage it names. It counts as a question, as
        typed ones do; one naming no passage (the documents changed since) gets the fallback, with no empty bubble
        for a question."""
        started = time.perf_counter()
        if self.limits.take(self.limits.address(request)):
            self.metrics.refuse(CHAT)
            reply = self._try_again("")
        else:
            reply = self.assistant.show(str(selection.value))
            self.metrics.count(CHAT, reply, time.perf_counter() - started)
        rated = self._rated(reply.question, reply)
        turn = chat_turn(reply.question, reply, rated) if reply.question else [assistant_message(reply, rated)]
        history = [*(history or []), *turn]
        self._record(reply.question, reply, request, len(history) - 1)
        return history

    def ask(self, question: str, request: gr.Request | None = None) -> dict[str, Any]:
        """The reply as data: for embedding the assistant in another page (Gradio's API)."""
        return self.reply_data(question, GRADIO_API, request)

    def reply_data(self, question: object, route: str, request: Any = None, taken: bool = False) -> dict[str, Any]:
        """The reply as data, counted under `route` (also POST /api/ask's, bot/api.py, with its Starlette request;
        `taken`: the client's limit counted it already). A huge question is echoed cut short."""
        question = as_text(question)
        reply = self._counted(question, route) if taken else self._answer(question, request, route)
        self._record(question, reply, request)
        return reply_as_data(reply)

    def _counted(self, question: str, route: str) -> Reply:
        """The assistant's reply, counted in /metrics by route and outcome, with its time."""
        started = time.perf_counter()
        try:
            reply = self.assistant.ask(question)
        except Exception:
            self.metrics.error(route)
            raise
        refused = bool(self.assistant.input_problem(question))
        self.metrics.count(route, reply, time.perf_counter() - started, refused)
        return reply

    def like(self, feedback: gr.LikeData, request: gr.Request | None = None) -> None:
        """A thumbs up or down on an answer (or taking it back): stored with that turn in the visit log."""
        row = self.rows.row(_session(request), feedback.index)
        if self.visits is not None and row is not None:
            self.visits.feedback(row, {True: LIKE, False: DISLIKE}.get(feedback.liked))

    def _answer(self, question: str, request: Any, route: str) -> Reply:
        """The assistant's reply; or, to a client over its questions per minute, the polite "try again" (no answer,
        the disclaimer as always), unless the message is plainly urgent: the limit never keeps the notice back."""
        if self.limits.take(self.limits.address(request)):
            self.metrics.refuse(route)
            return self.over_limit(question)
        return self._counted(question, route)

    def over_limit(self, question: str) -> Reply:
        """The reply to a client over its questions per minute: the urgent notice if a rule that needs no pass
        through the model finds the message urgent, else the polite "try again"."""
        return self.assistant.urgent_reply(question) or self._try_again(question)

    def _try_again(self, question: str) -> Reply:
        """The polite "try again in a minute": no answer, the disclaimer as always."""
        return Reply(question, False, self.assistant.site.disclaimer, message=TOO_MANY_QUESTIONS)

    def _record(self, question: str, reply: Reply, request: gr.Request | None = None, index: int = -1) -> None:
        """Store the turn in the visit log (not an empty, over-long or refused message, nor more of one client's
        a day than the limit) and which answer it is on the page."""
        if self.visits is None or not self._rated(question, reply):
            return
        if not self.limits.may_log(self.limits.address(request)):
            return
        row = self.visits.record(question, reply.answered, [hit.passage.id for hit in reply.passages])
        if row is not None and _session(request) and index >= 0:  # an API call (index -1) has no thumbs
            self.rows.remember(_session(request), index, row)

    def _rated(self, question: str, reply: Reply) -> bool:
        """Whether the turn is one a visitor's thumbs can rate: not an empty, over-long or refused message, which
        is never stored."""
        return not self.assistant.input_problem(question) and reply.message != TOO_MANY_QUESTIONS


def _session(request: gr.Request | None) -> str | None:
    """Gradio's random id of one open page: held in memory to find a turn's row, never stored."""
    return getattr(request, "session_hash", None)


def as_text(value: object) -> str:
    """What an API client sent as the question, as text: nothing (None) is empty, a number is its digits; a lone
    surrogate is a replacement character, as in the answer, so the chat's echo of the question is too."""
    return clean_text("" if value is None else value if isinstance(value, str) else str(value))


def reply_as_data(reply: Reply) -> dict[str, Any]:
    """A reply as the APIs send it; a huge question echoed cut short."""
    return {**reply.to_dict(), "question": shown_question(reply.question)}


def shown_question(question: str) -> str:
    """What the visitor is shown of their question: a huge one cut short."""
    return question if len(question) <= SHOWN_QUESTION_CHARS else question[:SHOWN_QUESTION_CHARS] + "…"


def chat_turn(question: str, reply: Reply, rated: bool = True) -> list[dict]:
    """The visitor's message and the reply, as the chat shows them; a huge message is echoed cut short."""
    return [{"role": "user", "content": escape_markdown(shown_question(question))}, assistant_message(reply, rated)]


def assistant_message(reply: Reply, rated: bool = True) -> dict:
    """The reply as a chat message; its choices, follow-ups and topics become clickable options (passage ids). One
    that is not `rated` carries a mark that hides its thumbs (page.css): nothing would record them."""
    options = [{"label": CHOICE_PREFIX + (p.question or p.headings[-1]), "value": p.id} for p in reply.choices]
    options += [{"label": p.question, "value": p.id} for p in reply.follow_ups]
    options += [{"label": topic.heading, "value": topic.passage.id} for topic in reply.topics]
    content = render_markdown(reply)
    if not rated:
        content = f'<div class="{UNRATED_CLASS}"></div>\n\n{content}'
    message = {"role": "assistant", "content": content}
    return {**message, "options": options} if options else message


def build_visitor_app(
    assistant: Assistant,
    visits: VisitLog | None = None,
    limits: QuestionLimits | None = None,
    metrics: Metrics | None = None,
) -> gr.Blocks:
    site = assistant.site
    chat = VisitorChat(assistant, visits, limits, metrics)
    with gr.Blocks(title=site.title, fill_height=True, analytics_enabled=False) as app:  # no telemetry to gradio.app
        gr.Markdown(f"# {escape_markdown(site.title)}\n\n{escape_markdown(site.description)}")
        gr.Markdown(f"**Please note:** {escape_markdown(site.banner or site.disclaimer)}", elem_id="disclaimer-banner")
        thumbs = ("Like", "Dislike") if visits is not None else None  # nothing to store them in when the log is off
        # show_label=False: Gradio floats the label over the first message, hiding its start on a phone.
        # autoscroll=False: Gradio would scroll to each reply's end; PAGE_JS lands it at its start instead.
        chatbot = gr.Chatbot(
            label="Answers",
            show_label=False,
            height=480,  # a box on a desktop; on a phone the conversation takes the page's height (page.css)
            autoscroll=False,
            feedback_options=thumbs,
            # No copy button: it copies the escaped Markdown of a message ("fatigue\, fever\,"), not the quote;
            # selecting the text copies the passage as written.
            buttons=[],
            elem_id="answers",
        )
        with gr.Row(elem_id="ask-row"):
            # No autofocus: on a phone it would open the page scrolled past its title, and embedded in another site
            # it would take the focus from that page and scroll it.
            box = gr.Textbox(
                label="Your question",
                elem_id="question",
                placeholder="Type your question and press Enter",
                scale=5,
                max_lines=4,
            )
            send = gr.Button("Ask", variant="primary", scale=1, min_width=64, elem_id="ask")
        if site.examples:
            gr.Markdown("**Try one of these:**")
            with gr.Row():
                for number, example in enumerate(site.examples):
                    button = gr.Button(example, size="sm", variant="secondary", elem_classes=["example"])
                    button.click(
                        chat.respond,
                        [button, chatbot],
                        [chatbot, box],
                        api_name=f"example_{number}",
                        api_visibility="private",
                        concurrency_id=ANSWERING,
                    )
        box.submit(chat.respond, [box, chatbot], [chatbot, box], api_name="respond", concurrency_id=ANSWERING)
        send.click(
            chat.respond,
            [box, chatbot],
            [chatbot, box],
            api_name="send",
            api_visibility="private",
            concurrency_id=ANSWERING,
        )
        chatbot.option_select(
            chat.choose, [chatbot], [chatbot], api_name="choose", api_visibility="private", concurrency_id=ANSWERING
        )
        if visits is not None:
            chatbot.like(chat.like, None, None, api_name="like", api_visibility="private")
        gr.api(chat.ask, api_name="ask", concurrency_id=ANSWERING)
    return app


async def busy_reply(request: Request, error: HTTPException) -> Response:
    """A full queue is refused with 503: say so plainly, with when to retry; other errors as FastAPI does."""
    if error.status_code == 503 and str(error.detail).startswith("Queue is full"):
        headers = {"Retry-After": str(BUSY_RETRY_SECONDS)}
        return JSONResponse({"detail": BUSY_MESSAGE}, status_code=503, headers=headers)
    return await http_exception_handler(request, error)


NO_SUCH_ENDPOINT = (
    "This chat has no API endpoint {name!r}; ask with POST /api/ask, or Gradio's /ask and /respond "
    "(listed at /gradio_api/info)."
)


async def no_such_endpoint(request: Request, error: Exception) -> Response:
    """A Gradio API call to a name the chat lacks: 404 saying what it has. Gradio answers it with a 500 and a
    traceback in the server's log, which anyone could fill by asking for names that do not exist."""
    name = request.path_params.get("api_name") or str(error).rpartition(": ")[2]
    return JSONResponse({"detail": NO_SUCH_ENDPOINT.format(name=name)}, status_code=404)


def queue(app: gr.Blocks, settings: ServeSettings) -> gr.Blocks:
    """At most concurrency_limit questions answered at once and queue_size waiting; the rest are told to retry."""
    no_queue_analytics(settings.concurrency_limit + settings.queue_size)
    return app.queue(max_size=settings.queue_size, default_concurrency_limit=settings.concurrency_limit)


def no_queue_analytics(live_events: int) -> None:
    """For the queues made from now on: no summary of past events, and records of live_events events at most.

    Gradio's queue keeps a record of its last 10,000 events and, after each event, summarises them all with pandas
    for its /monitoring page, which the chat and the console turn off: 5.5 ms of CPU a cached answer on /respond,
    growing with the records (docs/performance.md, perf8). An operator's own values of these variables are kept."""
    os.environ.setdefault("GRADIO_ANALYTICS_CACHE_FREQUENCY", str(2**62))
    os.environ.setdefault("GRADIO_ANALYTICS_MAX_EVENTS", str(live_events))


def cannot_listen(host: str, port: int, err: Exception, env: str) -> BotError:
    """A port in use or out of range, or an address this machine lacks: say which, and the setting to change."""
    reason = str(err).split(". ")[0].rstrip(".")  # Gradio's advice after the first sentence names its own settings
    return BotError(
        f"cannot listen on {host}:{port} ({reason}); "
        f"choose another port with --port or {env}_PORT (or address with --host or {env}_HOST)"
    )


def serving_options(
    settings: ServeSettings,
    limits: QuestionLimits | None = None,
    routes: list[BaseRoute] | None = None,
    app: gr.Blocks | None = None,
    urgent: Callable[[str], bool] | None = None,
) -> dict[str, Any]:
    """Gradio launch()'s options for the chat: bodies within max_request_bytes and no uploads on any route, API
    questions of a client over its limit refused (429), calls to the app's Gradio API of a shape it cannot answer
    refused (bot/gradio_calls.py), what Gradio holds per session bounded (bot/memory.py), and routes (the JSON
    API and health, bot/api.py) on the same server, ahead of Gradio's. A message over the limit that `urgent` finds
    plainly urgent is passed on, for the chat to answer with the notice."""
    middleware = [request_limits(settings.max_request_bytes, refuse_uploads=True, questions=limits, urgent=urgent)]
    middleware += [gradio_calls(app)] if app is not None else []
    return {
        "css": CSS,
        "js": PAGE_JS,
        "footer_links": ["api"],
        "app_kwargs": {
            "exception_handlers": {HTTPException: busy_reply, FnIndexInferError: no_such_endpoint},
            "middleware": middleware,
            "lifespan": forget_finished_sessions(trim_every=settings.malloc_trim_seconds),
            "routes": routes or [],
        },
        "enable_monitoring": False,  # Gradio's /monitoring: usage counts to anyone, its dashboard's key to the log
        "run_history": False,  # Gradio would keep every question in the browser for the next user of a shared computer
        "max_file_size": 0,  # the chat takes no files: its upload route must not host anyone's
        "state_session_capacity": settings.sessions_kept,  # each API call is a session of its own, kept by Gradio
    }


def launch(
    app: gr.Blocks,
    settings: ServeSettings,
    limits: QuestionLimits | None = None,
    routes: list[BaseRoute] | None = None,
    urgent: Callable[[str], bool] | None = None,
    **kwargs: Any,
) -> None:
    """Serve the chat with serving_options (blocking); `urgent` says which messages over a client's limit still
    reach the chat, for the notice."""
    # The model's process sets its own threads; torch is capped here only when the model runs in this process on it.
    limit_threads(settings, torch_too=not settings.model_process and "torch" in sys.modules)
    trust_no_proxy_headers()
    options = serving_options(settings, limits, routes, app, urgent)
    queue(app, settings).launch(server_name=settings.host, server_port=settings.port, **options, **kwargs)
