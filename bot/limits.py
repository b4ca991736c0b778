"""What one request may be, on every route of an app: RequestLimits, an ASGI middleware, refuses bodies over a
size (413), uploads where the app takes no files (403), and questions sent to an API route by a client over its
questions-per-minute (429 with Retry-After), unless the message is plainly urgent (passed on, for the chat to
answer with the notice alone). QuestionLimits counts each client's questions where they are
answered; any route can call it, and send `too_many(wait)`, the 429, when it says to wait.

Install on a Gradio app with `launch(app_kwargs={"middleware": [request_limits(...)]})`: Starlette builds it
around every route, Gradio's and any added later (such as /api/ask).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse

from bot.config import QuestionSettings
from bot.throttle import DailyCount, RateLimit, TrustedProxies, client_address, retry_after

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

TOO_MANY_QUESTIONS = "You have asked a lot of questions in a short time. Please try again in a minute."
NO_UPLOADS = "This chat takes no files."
TOO_LARGE = "This request is larger than the {limit:,} bytes this server takes; send less at once."
# POSTs to these ask a question through an API: refused with 429 while the client is over its limit. (The
# page's own events are counted where they are answered, and told politely in the chat.)
API_QUESTION_ROUTES = ("/gradio_api/call/", "/gradio_api/run/", "/api/")
# except these, which say so themselves: POST /api/ask first reads the message, since no limit keeps back the
# urgent notice (bot/api.py)
ROUTES_THAT_LIMIT = ("/api/ask",)
MINUTE = 60.0


class QuestionLimits:
    """Each client's questions in the last minute, and its questions logged today, by address."""

    def __init__(self, settings: QuestionSettings):
        self.proxies = TrustedProxies.parse(settings.trusted_proxies)
        self.per_minute = RateLimit(settings.questions_per_minute, MINUTE, settings.tracked_addresses)
        self.logged = DailyCount(settings.logged_questions_per_day, settings.tracked_addresses)
        self.on_refused: Callable[[str], None] = lambda path: None  # told each API path answered 429 (metrics)

    def address(self, request: Any) -> str:
        """The client address of a Gradio or Starlette request (or None, outside a server)."""
        client = getattr(request, "client", None)
        headers = getattr(request, "headers", None) or {}
        return client_address(getattr(client, "host", None), headers, self.proxies)

    def take(self, address: str) -> float:
        """Count a question; 0, or the seconds to wait when the client is over its limit (not counted then)."""
        return self.per_minute.take([address])

    def wait(self, address: str) -> float:
        """The seconds the client must wait before its next question (0: none), without counting one."""
        return self.per_minute.wait([address])

    def may_log(self, address: str) -> bool:
        """Whether the visit log may keep one more of this client's questions today (counted if so)."""
        return self.logged.take(address)


class RequestLimits:
    """The ASGI middleware: body size, uploads, and API questions of a client over its limit."""

    def __init__(
        self,
        app: Callable[[Scope, Receive, Send], Awaitable[None]],
        max_bytes: int,
        refuse_uploads: bool = False,
        questions: QuestionLimits | None = None,
        urgent: Callable[[str], bool] | None = None,
    ):
        self.app = app
        self.max_bytes = max_bytes
        self.refuse_uploads = refuse_uploads
        self.questions = questions
        self.urgent = urgent  # whether a message is plainly urgent: passed on over the limit, for its notice

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path, method = scope.get("path", ""), scope.get("method", "GET")
        if self.refuse_uploads and is_upload(path):
            await JSONResponse({"detail": NO_UPLOADS}, 403)(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        declared = None if length is None else int(length) if length.isdigit() else self.max_bytes + 1
        if declared is not None and declared > self.max_bytes:  # refused before a byte of it is read, and before
            await self._too_large(scope, receive, send)  # a 429, which would have the client send it again
            return
        asks = any(route in path for route in API_QUESTION_ROUTES) and path not in ROUTES_THAT_LIMIT
        if self.questions and method == "POST" and asks:
            wait = self.questions.wait(self.questions.address(Request(scope)))
            if wait:
                body = await self._read(receive) if self.urgent else None
                if body is not None and self.urgent(question_in(body)):  # the limit never keeps the notice back: the
                    await self.app(scope, replay(body, receive), send)  # chat over its limit answers with it alone
                    return
                self.questions.on_refused(path)
                await too_many(wait)(scope, receive, send)
                return
        if declared is not None:
            await self.app(scope, receive, send)
        elif b"transfer-encoding" in headers:  # a body of unknown length: read up to the limit, then pass it on
            body = await self._read(receive)
            if body is None:
                await self._too_large(scope, receive, send)
                return
            await self.app(scope, replay(body, receive), send)
        else:
            await self.app(scope, receive, send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        await JSONResponse({"detail": TOO_LARGE.format(limit=self.max_bytes)}, 413)(scope, receive, send)

    async def _read(self, receive: Receive) -> bytes | None:
        return await read_body(receive, self.max_bytes)


async def read_body(receive: Receive, max_bytes: float = float("inf")) -> bytes | None:
    """A request's whole body, None when it is over max_bytes; empty when the client left (the app sees that on
    its own)."""
    chunks, size, more = [], 0, True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            return b""
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > max_bytes:
            return None
        chunks.append(chunk)
        more = message.get("more_body", False)
    return b"".join(chunks)


def is_upload(path: str) -> bool:
    """Gradio's upload route (under any root path), not an API endpoint that happens to be named "upload"."""
    path = path.rstrip("/")
    return path == "/upload" or path.endswith("/gradio_api/upload")


def request_limits(
    max_bytes: int,
    refuse_uploads: bool = False,
    questions: QuestionLimits | None = None,
    urgent: Callable[[str], bool] | None = None,
) -> Middleware:
    """RequestLimits as Starlette's middleware entry, for FastAPI(middleware=[...]) or Gradio's app_kwargs."""
    return Middleware(
        RequestLimits, max_bytes=max_bytes, refuse_uploads=refuse_uploads, questions=questions, urgent=urgent
    )


def question_in(body: bytes) -> str:
    """The message a Gradio API call sends: the first of its `data` ({"data": [message, ...]}), or its `message` or
    `question` (the v2 calls'); "" when there is none."""
    try:
        sent = json.loads(body)
    except (ValueError, RecursionError):
        return ""
    if not isinstance(sent, dict):
        return ""
    data = sent.get("data")
    first = data[0] if isinstance(data, list) and data else sent.get("message", sent.get("question"))
    return first if isinstance(first, str) else ""


def too_many(wait: float) -> JSONResponse:
    """429 with Retry-After and the polite message: what a route answers a client over its question limit."""
    return JSONResponse({"detail": TOO_MANY_QUESTIONS}, 429, headers={"Retry-After": retry_after(wait)})


def replay(body: bytes, receive: Receive) -> Receive:
    """A receive that gives the body read already, then whatever the client sends next (its disconnect)."""
    pending = [{"type": "http.request", "body": body, "more_body": False}]

    async def replayed() -> Message:
        return pending.pop() if pending else await receive()

    return replayed
