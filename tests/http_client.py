"""Plain-HTTP calls to a running Gradio app (no gradio_client), for the tests: see bot/client.py."""

from __future__ import annotations

import subprocess
from pathlib import Path

from bot.client import BUSY_STATUS, Outcome, RunningApp, call, free_port, launch_app, wait_until_up
from bot.client import start_app as start_running_app

__all__ = ["BUSY_STATUS", "Outcome", "RunningApp", "call", "free_port", "launch_app", "start_app", "wait_until_up"]


def start_app(root: Path, *args: str, env: dict | None = None, wait: float = 120) -> tuple[subprocess.Popen, str]:
    """Start app.py; returns the process and its base URL (stop it with terminate(), then wait())."""
    app = start_running_app(root, *args, env=env, wait=wait)
    return app.process, app.base
