"""The lean JSON API and the operator's endpoints, on the chat's own server (Gradio's FastAPI app).

- `POST /api/ask` takes `{"question": "..."}` and returns the visitor's reply as JSON: one request, one
  response, none of Gradio's queue and event stream. At most `batch_max` questions are answered at once (so that
  they can share the model's passes) and `queue_size` more wait; past that, 503 with Retry-After.
- `GET /healthz`: the process is alive. `GET /readyz`: the index is loaded (build, passages, model), and `stale`:
  whether the knowledge folder changed since that build (it serves all the same; the log says what changed), null
  when a file could not be read just then (removed or being written).
- `GET /metrics`: Prometheus' text format (bot/metrics.py).

Visitors reach only what the chat already offers them: no staff function, no ranking or scores beyond the
reply's own, nothing written but the visit log.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import anyio
import anyio.to_thread
from fastapi import Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field, StrictStr, field_validator
from starlette.exceptions import HTTPException  # what FastAPI raises for a body it cannot parse

from bot.config import ServeSettings
from bot.limits import too_many
from bot.metrics import API, CONTENT_TYPE, Metrics
from bot.redact import clean_text
from bot.ui import BUSY_MESSAGE, BUSY_RETRY_SECONDS, VisitorChat, reply_as_data


class AskRequest(BaseModel):
    question: StrictStr = Field(description="The visitor's question, as typed.", examples=["Is it safe?"])

    @field_validator("question")
    @classmethod
    def _unicode(cls, question: str) -> str:
        """JSON may escape half of a surrogate pair ("\\ud800", a widget cutting an emoji in two), which is no text:
        it becomes U+FFFD, as in the chat, and the rest of the question is still answered."""
        return clean_text(question)


class PassageReply(BaseModel):
    id: str
    text: str = Field(description="The passage, word for word as the documents have it.")
    title: str = Field(description="The document's title.")
    heading: str = Field(description="The section headings above the passage, joined by › .")
    source: str
    credit: str = Field(description="The publisher or author, and the date.")
    score: float


class Choice(BaseModel):
    id: str
    heading: str


class FollowUp(BaseModel):
    id: str
    question: str


class Topic(BaseModel):
    id: str
    heading: str


class ContactDetails(BaseModel):
    phone: str
    email: str
    page: str = Field(description="The address of the clinic's contact page.")


class AskReply(BaseModel):
    """The reply a visitor gets: show `notice` (with `emergency_contact`) first when set, then `passages` when
    `answered` (else `message`, with `contact`), and always the `disclaimer` (docs/embed.md)."""

    model_config = ConfigDict(extra="allow")

    question: str
    answered: bool
    passages: list[PassageReply] = Field(description="The answer first, then related passages; none when unanswered.")
    message: str | None = Field(description="The fallback reply, or what was wrong with the question.")
    notice: str | None = Field(description="The urgent notice, to show before anything else.")
    choices: list[Choice] = Field(description='"Did you mean" headings.')
    follow_ups: list[FollowUp] = Field(description="FAQ questions worth asking next.")
    topics: list[Topic] = Field(description="With the fallback: the documents' main topics, to try instead.")
    contact: ContactDetails | None = Field(description="With the fallback: how to reach the clinic, when it says.")
    emergency_contact: str | None = Field(description="With the urgent notice: whom to call, when the site says.")
    disclaimer: str


class Problem(BaseModel):
    detail: Any = Field(description="What was wrong, or when to come back.")
    fix: str | None = Field(None, description="With 422: what to send instead.")


class AnswerQueue:
    """At most `workers` questions answered at once, each in a thread of its own, and `waiting` more in line."""

    def __init__(self, workers: int, waiting: int):
        self.workers = max(1, workers)
        self.waiting = max(0, waiting)
        self.admitted = 0  # answered now or waiting; only the event loop's thread changes it
        self._limiter: anyio.CapacityLimiter | None = None

    @property
    def depth(self) -> int:
        """Questions waiting for a turn."""
        return max(0, self.admitted - self.workers)

    def full(self) -> bool:
        return self.admitted >= self.workers + self.waiting

    async def run(self, function: Callable[..., Any], *args: Any) -> Any:
        if self._limiter is None:  # made inside the event loop, which anyio wants
            self._limiter = anyio.CapacityLimiter(self.workers)
        self.admitted += 1
        try:
            return await anyio.to_thread.run_sync(function, *args, limiter=self._limiter)
        finally:
            self.admitted -= 1


ASK_FORMAT = (
    'Send a JSON object with the question as a string, such as {"question": "Is it safe?"}, '
    "with the header Content-Type: application/json."
)


ECHOED_CHARS = 500  # of a rejected input, as of a question the chat shows


def _shortened(error: Any) -> Any:
    """FastAPI's error with its echo of the input cut to ECHOED_CHARS: a 1 MB body came back whole."""
    if not isinstance(error, dict) or "input" not in error:
        return error
    shown = error["input"] if isinstance(error["input"], str) else json.dumps(error["input"])
    if len(shown) <= ECHOED_CHARS:
        return error
    return {**error, "input": shown[:ECHOED_CHARS] + f"… ({len(shown):,} characters)"}


def not_a_question(detail: Any) -> Response:
    """422: what was wrong (FastAPI's list, or a sentence), and `fix`, what to send instead. Written in ASCII:
    FastAPI's list echoes the input, which may hold a lone surrogate that UTF-8 cannot carry."""
    if isinstance(detail, list):
        detail = [_shortened(error) for error in detail]
    body = {"detail": detail, "fix": ASK_FORMAT}
    return Response(json.dumps(body), status_code=422, media_type="application/json")


class ASCIIRoute(APIRoute):
    """A route whose 422 says what to send (not_a_question), also for a body that is not UTF-8, which FastAPI
    answers with a bare 400 "There was an error parsing the body". (Bodies over the size limit never get here:
    bot/limits.py answers 413.)"""

    def get_route_handler(self) -> Callable[[Request], Any]:
        handler = super().get_route_handler()

        async def validated(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError as error:
                return not_a_question(jsonable_encoder(error.errors()))
            except HTTPException as error:
                if error.status_code != 400:
                    raise
                return not_a_question("The body is not JSON in UTF-8.")

        return validated


def busy() -> JSONResponse:
    return JSONResponse({"detail": BUSY_MESSAGE}, status_code=503, headers={"Retry-After": str(BUSY_RETRY_SECONDS)})


def api_routes(chat: VisitorChat, metrics: Metrics, settings: ServeSettings) -> list[APIRoute]:
    """The routes to mount on the chat's server (bot.ui.launch(routes=...))."""
    line = AnswerQueue(settings.batch_max, settings.queue_size)
    metrics.api_queue.set_function(lambda: line.depth)
    assistant = chat.assistant

    async def ask(body: AskRequest, request: Request) -> JSONResponse:
        """Ask a question; the reply quotes the documents, or says they do not answer it."""
        # counted now, not when answered: questions sent at once all passed a look at the count and were then
        # answered "try again" with a 200, which a widget shows as a reply
        wait = chat.limits.take(chat.limits.address(request))
        if wait:  # over its questions per minute (bot/limits.py leaves this route to say so): urgent, or 429
            metrics.refuse(API)
            urgent = chat.assistant.urgent_reply(body.question)
            return JSONResponse(reply_as_data(urgent)) if urgent else too_many(wait)
        if line.full():
            metrics.refuse(API)
            return busy()
        return JSONResponse(await line.run(chat.reply_data, body.question, API, request, True))

    async def healthz() -> dict[str, str]:
        """The process is alive."""
        return {"status": "alive"}

    async def readyz() -> dict[str, Any]:
        """The index is loaded and answering: its build, passages and model, and whether the knowledge folder changed
        since that build (it serves all the same; the log names the files, not this public route)."""
        index = assistant.index
        try:  # reading the knowledge files off the event loop: a load balancer polls this while visitors ask
            stale: bool | None = bool(await anyio.to_thread.run_sync(assistant.stale_files))
        except OSError:  # a file removed or being written as it was read: not known this time, ready all the same
            stale = None
        return {
            "status": "ready",
            "build": index.path.name,
            "passages": len(index.passages),
            "model": index.manifest["model"],
            "stale": stale,
        }

    async def prometheus(request: Request) -> Response:
        """Counters in Prometheus' text format."""
        return Response(metrics.render(), media_type=CONTENT_TYPE)

    errors: dict[int | str, dict[str, Any]] = {
        413: {"model": Problem, "description": "The request body is too large."},
        422: {"model": Problem, "description": "Not JSON, or no string `question`; `fix` says what to send."},
        429: {"model": Problem, "description": "Too many questions from this client; see Retry-After."},
        503: {"model": Problem, "description": "Busy: every place in the queue is taken; see Retry-After."},
    }
    return [
        ASCIIRoute(
            "/api/ask",
            ask,
            methods=["POST"],
            response_class=JSONResponse,
            responses={200: {"model": AskReply, "description": "The reply."}, **errors},
            summary="Ask a question",
            tags=["visitors"],
        ),
        APIRoute("/healthz", healthz, methods=["GET"], summary="Alive", tags=["operations"]),
        APIRoute("/readyz", readyz, methods=["GET"], summary="Ready to answer", tags=["operations"]),
        APIRoute(
            "/metrics",
            prometheus,
            methods=["GET"],
            response_class=Response,
            summary="Prometheus metrics",
            tags=["operations"],
        ),
    ]
