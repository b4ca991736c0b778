"""Start `python -m bot console` on a free port and sign in to it: for the tests and the screenshot script."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

from bot.config import Settings

from conftest import copy_of_real
from http_client import RunningApp, launch, launch_app, wait_until_up

ROOT = Path(__file__).resolve().parent.parent
SIGNED_IN = ("the page", 200)
SIGNED_OUT = ("the login page", 401)


def apps_env(knowledge_dir: Path, index_dir: Path, data_dir: Path, password: str, **more: str) -> dict[str, str]:
    """The environment of a visitor chat and a console on one knowledge folder and index (BOT_* by field name)."""
    return {
        **os.environ,
        "BOT_KNOWLEDGE_DIR": str(knowledge_dir),
        "BOT_INDEX_DIR": str(index_dir),
        "BOT_DATA_DIR": str(data_dir),
        "BOT_STAFF_PASSWORD": password,
        **{f"BOT_{name.upper()}": value for name, value in more.items()},
    }


def launch_console(env: dict[str, str]) -> RunningApp:
    """Start the console without waiting for it (env must hold BOT_STAFF_PASSWORD)."""
    return launch([sys.executable, "-m", "bot", "console"], ROOT, env, name="console")


def wait_for_login_page(app: RunningApp, wait: float = 180) -> None:
    """Return once the console serves its login page (everything else needs the login)."""
    wait_until_up(app, wait, path="", name="the console")


def what_it_gets(base: str, session: requests.Session) -> tuple[str, int]:
    """What a session gets from the console's page route (the page or the login page) and an API route (its
    status): SIGNED_IN or SIGNED_OUT."""
    page = session.get(base, timeout=30)
    assert page.status_code == 200, page.status_code
    shown = "the login page" if '"auth_required":true' in page.text.replace(" ", "") else "the page"
    called = session.post(f"{base}/gradio_api/call/signed_in", json={"data": []}, timeout=30)
    return shown, called.status_code


def sign_in_page(page, base: str, user: str, password: str) -> None:
    """Sign in through the console's login form in a Playwright page; waits for the tabs."""
    page.goto(base)
    page.get_by_label("username").fill(user)
    page.get_by_label("password").fill(password)
    page.get_by_role("button", name="Login").click()
    page.get_by_role("tab", name="Inspector").wait_for(timeout=60_000)


@contextmanager
def visitor_and_console(env: dict[str, str]) -> Iterator[tuple[str, str]]:
    """The visitor chat and the console on one environment, up and answering; their base URLs. Stopped after."""
    visitor, console = launch_app(ROOT, env=env), launch_console(env)
    try:
        wait_until_up(visitor, wait=180)
        wait_for_login_page(console)
        yield visitor.base, console.base
    finally:
        visitor.stop()
        console.stop()


@contextmanager
def apps_with_suite(
    real_settings: Settings, folder: Path, password: str, cases: list[dict]
) -> Iterator[tuple[str, str, Settings]]:
    """The visitor chat and the console on a copy of knowledge/ and its index in `folder`, with a test suite of
    `cases`: their base URLs and the copy's settings."""
    settings = copy_of_real(real_settings, folder)
    (folder / "eval").mkdir()
    (folder / "eval" / "suite.jsonl").write_text("\n".join(json.dumps(c) for c in cases), encoding="utf-8")
    env = apps_env(settings.knowledge_dir, settings.index_dir, folder / "data", password, eval_dir=str(folder / "eval"))
    with visitor_and_console(env) as (visitor, console):
        yield visitor, console, settings
