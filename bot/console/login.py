"""Signing in to the console: the staff accounts (bot/accounts.py) checked by Gradio's login, and LoginThrottle,
an ASGI middleware that refuses sign-ins (429 with Retry-After) for a user, or from an address, after a few
failures, whether they come one by one or all at once."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse

from bot.accounts import MIN_PASSWORD_CHARS, StaffAccounts, password_problem
from bot.config import ConsoleSettings
from bot.errors import BotError
from bot.limits import Message, Receive, Scope, Send, replay
from bot.throttle import RateLimit, TrustedProxies, client_address, retry_after

log = logging.getLogger(__name__)

FAILED_LOGIN_DELAY = 1.0  # seconds before a wrong password is refused: slows guessing one at a time
LOGIN_PATHS = ("/login", "/login/")
TOO_MANY_FAILURES = "Too many failed sign-ins for this user or from this address; try again in {wait} seconds."
NO_ACCOUNT = (
    "The staff console needs an account: add one with `python -m bot staff add NAME` (or set BOT_STAFF_PASSWORD, "
    "at least {n} characters besides spaces, for the one user BOT_STAFF_USER, default 'staff') and start it again."
)


def require_accounts(settings: ConsoleSettings) -> StaffAccounts:
    """The console's accounts; refuses (BotError) when there is none, or BOT_STAFF_PASSWORD is blank or short."""
    accounts = StaffAccounts.from_settings(settings)
    if settings.staff_password and password_problem(settings.staff_password):
        raise BotError(f"BOT_STAFF_PASSWORD is unusable: {password_problem(settings.staff_password)}.")
    if not accounts.names():
        raise BotError(NO_ACCOUNT.format(n=MIN_PASSWORD_CHARS))
    return accounts


def check_login(accounts: StaffAccounts) -> Callable[[str, str], Awaitable[bool]]:
    """Gradio's auth function: the name and password of an account (scrypt runs in a thread, off the event loop);
    a wrong guess waits FAILED_LOGIN_DELAY seconds."""

    async def check(username: str, password: str) -> bool:
        right = await asyncio.to_thread(accounts.check, username, password)
        if not right:
            log.warning("staff console: a failed sign-in for %r", username[:64])
            await asyncio.sleep(FAILED_LOGIN_DELAY)
        return right

    return check


class LoginThrottle:
    """Counts each sign-in as a failure of its user and of its client address until it succeeds; with
    login_attempts of a user's, or login_attempts_per_address of an address's, in login_lockout_seconds, the next is
    refused unseen. Counted on arrival, so a burst sent in parallel gets that many tries, not one each."""

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]], settings: ConsoleSettings):
        self.app = app
        window, tracked = settings.login_lockout_seconds, settings.tracked_addresses
        self.users = RateLimit(settings.login_attempts, window, tracked)
        self.addresses = RateLimit(settings.login_attempts_per_address, window, tracked)
        self.proxies = TrustedProxies.parse(settings.trusted_proxies)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") != "POST" or scope.get("path") not in LOGIN_PATHS:
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        body = await request.body()  # within the console's body limit (RequestLimits runs first)
        try:
            username = str((await request.form()).get("username", "")).strip()
        except Exception:  # a form that cannot be read: Gradio answers it; counted against the address alone
            username = ""
        address = client_address(request.client.host if request.client else None, request.headers, self.proxies)
        user = [username.casefold()] if username else []
        wait = self.addresses.wait([address]) or self.users.wait(user)
        if wait:
            log.warning("staff console: sign-in refused for %r from %s: too many failures", username[:64], address)
            seconds = retry_after(wait)
            refused = JSONResponse({"detail": TOO_MANY_FAILURES.format(wait=seconds)}, 429, {"Retry-After": seconds})
            await refused(scope, receive, send)
            return
        self.addresses.take([address])  # no await since the look: a parallel burst is counted as it arrives
        self.users.take(user)
        status = []

        async def watch(message: Message) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])
            await send(message)

        await self.app(scope, replay(body, receive), watch)
        if status == [200]:
            self.addresses.forget([address])
            self.users.forget(user)


def login_throttle(settings: ConsoleSettings) -> Middleware:
    return Middleware(LoginThrottle, settings=settings)
