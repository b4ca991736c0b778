"""Start `python -m bot console` on a free port and sign in to it: for the tests and the screenshot script."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

from bot.client import RunningApp, free_port

ROOT = Path(__file__).resolve().parent.parent


def launch_console(env: dict[str, str]) -> RunningApp:
    """Start the console without waiting for it (env must hold BOT_STAFF_PASSWORD)."""
    port = free_port()
    handle, log = tempfile.mkstemp(prefix="bot-console-", suffix=".log")
    with os.fdopen(handle, "w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "console", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return RunningApp(process, f"http://127.0.0.1:{port}", Path(log))


def wait_for_login_page(app: RunningApp, wait: float = 180) -> None:
    """Return once the console serves its login page (everything else needs the login)."""
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if app.process.poll() is not None:
            raise RuntimeError(f"the console exited with {app.process.returncode}:\n{app.output()}")
        try:
            if requests.get(app.base, timeout=2).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    app.stop()
    raise TimeoutError(f"the console did not answer within {wait:.0f} s")


def sign_in_page(page, base: str, user: str, password: str) -> None:
    """Sign in through the console's login form in a Playwright page; waits for the tabs."""
    page.goto(base)
    page.get_by_label("username").fill(user)
    page.get_by_label("password").fill(password)
    page.get_by_role("button", name="Login").click()
    page.get_by_role("tab", name="Inspector").wait_for(timeout=60_000)
