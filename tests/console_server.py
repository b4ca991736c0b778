"""Start `python -m bot console` on a free port and sign in to it: for the tests and the screenshot script."""

from __future__ import annotations

import sys
from pathlib import Path

from http_client import RunningApp, launch, wait_until_up

ROOT = Path(__file__).resolve().parent.parent


def launch_console(env: dict[str, str]) -> RunningApp:
    """Start the console without waiting for it (env must hold BOT_STAFF_PASSWORD)."""
    return launch([sys.executable, "-m", "bot", "console"], ROOT, env, name="console")


def wait_for_login_page(app: RunningApp, wait: float = 180) -> None:
    """Return once the console serves its login page (everything else needs the login)."""
    wait_until_up(app, wait, path="", name="the console")


def sign_in_page(page, base: str, user: str, password: str) -> None:
    """Sign in through the console's login form in a Playwright page; waits for the tabs."""
    page.goto(base)
    page.get_by_label("username").fill(user)
    page.get_by_label("password").fill(password)
    page.get_by_role("button", name="Login").click()
    page.get_by_role("tab", name="Inspector").wait_for(timeout=60_000)
