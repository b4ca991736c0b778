"""Console sessions that end: SessionEnds, an ASGI middleware that ends a Gradio login session
BOT_CONSOLE_SESSION_HOURS after its sign-in, BOT_CONSOLE_IDLE_MINUTES after its last request, or on its next request
once its staff account is removed or its password changed (by `python -m bot staff`, in another process:
bot/accounts.py reads the file again when it changes).

It relies on how Gradio 6 (gradio/routes.py) keeps its logins, because Gradio offers no hook to end one:
- `app.tokens`, a dict of token -> username on the App (scope["app"]), is the whole of a login: POST /login adds
  one, and every route finds its user with `app.tokens.get(token)`. Deleting a token is what Gradio's /logout does,
  so an ended session gets exactly what a signed-out user gets: the login page for a page, 401 for API and queue
  routes.
- the token travels in two cookies, `access-token-{app.cookie_id}` and `access-token-unsecure-{app.cookie_id}`,
  both set by the login's response.
A session whose sign-in this middleware did not see is ended too, so a Gradio that changes any of this locks staff
out (and the console tests fail) rather than letting sessions last forever.

An open page that nobody uses makes no requests: Gradio's heartbeat, which tells the server the page is still open,
is one request held open from the page's load, so it starts no new one. A request is what staff do: a click, a page
loaded.

Gradio's /logout runs in a worker thread: it lists `app.tokens`, then reads and deletes each of the user's, while this
middleware may end one of them in between. So `app.tokens` becomes a dict in which a token gone meanwhile reads as no
one's and deletes as nothing (Logins), not a KeyError and a failed sign-out.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, replace
from http.cookies import CookieError, SimpleCookie
from typing import Any

from starlette.middleware import Middleware
from starlette.requests import HTTPConnection

from bot.accounts import StaffAccounts
from bot.config import ConsoleSettings
from bot.console.login import LOGIN_PATHS
from bot.errors import BotError
from bot.limits import Message, Receive, Scope, Send

log = logging.getLogger(__name__)

COOKIES = ("access-token-{}", "access-token-unsecure-{}")  # Gradio's names for the token, by app.cookie_id


class Logins(dict):
    """Gradio's app.tokens (token -> username), where a token gone meanwhile reads as no one's and deletes as
    nothing."""

    def __missing__(self, token: str) -> None:
        return None

    def __delitem__(self, token: str) -> None:
        self.pop(token, None)


@dataclass(frozen=True)
class Session:
    """One sign-in: who, when (on the middleware's clock), the account's credential then (None: no account), and when
    its last request came."""

    user: str
    started: float
    credential: str | None
    last_request: float


class SessionEnds:
    """Ends the sessions of a Gradio app with a login (see the module's docstring) by deleting their tokens."""

    def __init__(
        self,
        app: Callable[[Scope, Receive, Send], Awaitable[None]],
        accounts: StaffAccounts,
        hours: float,
        idle_minutes: float = 0,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.app = app
        self.accounts = accounts
        self.lasts = hours * 3600 if hours > 0 else math.inf
        self.idle_for = idle_minutes * 60 if idle_minutes > 0 else math.inf
        self.clock = clock
        self.sessions: dict[str, Session] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        gradio = scope.get("app")  # Starlette puts the app itself (Gradio's App) in the scope
        if gradio is not None and type(gradio.tokens) is dict:  # at startup (lifespan), before any sign-in
            gradio.tokens = Logins(gradio.tokens)
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        if scope.get("method") == "POST" and scope.get("path") in LOGIN_PATHS:
            await self.app(scope, receive, self.recording(gradio, send))
            return
        self.end_if_over(gradio, presented_tokens(scope, gradio.cookie_id))
        await self.app(scope, receive, send)

    def recording(self, gradio: Any, send: Send) -> Send:
        """A send that records the session of a successful sign-in, as its response starts."""
        credentials = self.accounts.credentials()  # as the sign-in is checked: a change after it ends the session

        async def watch(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 200:
                for token in issued_tokens(message.get("headers", []), gradio.cookie_id):
                    user = gradio.tokens.get(token)
                    if user is not None:
                        now = self.clock()
                        self.sessions[token] = Session(user, now, credentials.get(user), now)
                self.forget_ended(gradio)
            await send(message)

        return watch

    def end_if_over(self, gradio: Any, tokens: Iterable[str]) -> None:
        """Delete from Gradio's logins each of these tokens whose session has ended; the others' last request is
        now."""
        for token in tokens:
            if token not in gradio.tokens:
                continue  # signed out already, or never signed in: Gradio refuses it itself
            session = self.sessions.get(token)
            why = self.ended(session, self.accounts.credentials())
            if why:
                user = gradio.tokens.pop(token, None)
                self.sessions.pop(token, None)
                log.info("staff console: %r's session ended: %s", user, why)
            elif session is not None:
                self.sessions[token] = replace(session, last_request=self.clock())

    def ended(self, session: Session | None, credentials: dict[str, str]) -> str | None:
        """Why the session has ended, or None while it lasts."""
        if session is None:
            return "its sign-in was not seen (has Gradio changed how it signs in? see bot/console/sessions.py)"
        now = self.clock()
        if now - session.started >= self.lasts:
            return "its hours are over"
        if now - session.last_request >= self.idle_for:
            return "it was left idle"
        if session.credential is None or credentials.get(session.user) != session.credential:
            return "its account was removed or its password changed"
        return None

    def forget_ended(self, gradio: Any) -> None:
        """Drop the sessions signed out or ended since, from Gradio's logins too: both only grow otherwise."""
        credentials = self.accounts.credentials()
        for token, session in list(self.sessions.items()):
            if token not in gradio.tokens or self.ended(session, credentials):
                gradio.tokens.pop(token, None)
                del self.sessions[token]


def presented_tokens(scope: Scope, cookie_id: str) -> list[str]:
    """The login tokens in the request's cookies (either of Gradio's two)."""
    cookies = HTTPConnection(scope).cookies
    return [cookies[name.format(cookie_id)] for name in COOKIES if cookies.get(name.format(cookie_id))]


def issued_tokens(headers: Iterable[tuple[bytes, bytes]], cookie_id: str) -> set[str]:
    """The login tokens a response sets as cookies."""
    names = {name.format(cookie_id) for name in COOKIES}
    tokens = set()
    for key, value in headers:
        if key.lower() != b"set-cookie":
            continue
        cookie: SimpleCookie = SimpleCookie()
        try:
            cookie.load(value.decode("latin-1"))
        except CookieError:
            continue
        tokens |= {morsel.value for name, morsel in cookie.items() if name in names}
    return tokens


def session_ends(settings: ConsoleSettings, accounts: StaffAccounts) -> Middleware:
    """SessionEnds for the console; refuses (BotError) a negative BOT_CONSOLE_SESSION_HOURS or
    BOT_CONSOLE_IDLE_MINUTES."""
    hours, idle = settings.console_session_hours, settings.console_idle_minutes
    if not hours >= 0:
        raise BotError(
            f"BOT_CONSOLE_SESSION_HOURS must be 0 (a session lasts until the console restarts) or more; got {hours}."
        )
    if not idle >= 0:
        raise BotError(f"BOT_CONSOLE_IDLE_MINUTES must be 0 (a session is never ended for idling) or more; got {idle}.")
    return Middleware(SessionEnds, accounts=accounts, hours=hours, idle_minutes=idle)
