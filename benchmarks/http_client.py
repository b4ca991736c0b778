"""Plain-HTTP calls of the running chat's API (no gradio_client), and starting the app to call: used by
benchmarks/bench.py, the tests (pytest puts benchmarks/ on the path) and scripts/console_screenshots.py."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import requests

BUSY_STATUS = 503  # what the app answers when its queue is full


class FinalEvent(NamedTuple):
    """How one call ended: "complete", "error" (the function failed) or "busy" (the queue was full)."""

    event: str
    data: list


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def call(base: str, api_name: str, *data, timeout: float = 60, session: requests.Session | None = None) -> FinalEvent:
    """POST the inputs, then read the event stream to its final event.

    A full queue refuses the POST with 503; its JSON "detail" (the busy message) is the data.
    """
    http = session or requests
    posted = http.post(f"{base}/gradio_api/call/{api_name}", json={"data": list(data)}, timeout=timeout)
    if posted.status_code == BUSY_STATUS:
        return FinalEvent("busy", [posted.json().get("detail", "")])
    posted.raise_for_status()
    event_id = posted.json()["event_id"]
    with http.get(f"{base}/gradio_api/call/{api_name}/{event_id}", timeout=timeout, stream=True) as stream:
        event = None
        for line in stream.iter_lines(decode_unicode=True):
            if line.startswith("event:"):
                event = line.split(":", 1)[1].strip()
            elif line.startswith("data:") and event in {"complete", "error"}:
                payload = line.split(":", 1)[1].strip()
                return FinalEvent(event, json.loads(payload) if payload and payload != "null" else [])
    raise ConnectionError(f"the event stream of {api_name} ended without a complete or error event")


def ask(base: str, question: str, timeout: float = 60, session: requests.Session | None = None) -> requests.Response:
    """POST /api/ask: one request, one JSON reply (or 413, 422, 429, 503 with a "detail")."""
    return (session or requests).post(f"{base}/api/ask", json={"question": question}, timeout=timeout)


@dataclass
class RunningApp:
    """`python app.py` in a child process, its output in a log file."""

    process: subprocess.Popen
    base: str
    log: Path

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.unlink(missing_ok=True)


def launch(command: list[str], root: Path, env: dict[str, str] | None = None, name: str = "app") -> RunningApp:
    """Start a server command with `--port <a free port>` appended, its output in a temporary log."""
    port = free_port()
    handle, log = tempfile.mkstemp(prefix=f"bot-{name}-", suffix=".log")
    with os.fdopen(handle, "w") as out:
        process = subprocess.Popen(
            [*command, "--port", str(port)], cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    return RunningApp(process, f"http://127.0.0.1:{port}", Path(log))


def launch_app(root: Path, *args: str, env: dict[str, str] | None = None) -> RunningApp:
    """Start app.py on a free port without waiting for it."""
    return launch([sys.executable, str(Path(root) / "app.py"), *args], root, env)


def wait_until_up(app: RunningApp, wait: float = 120, path: str = "/gradio_api/info", name: str = "app.py") -> None:
    """Return once GET base+path answers; fail early with the server's output if it exits."""
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if app.process.poll() is not None:
            raise RuntimeError(f"{name} exited with {app.process.returncode}:\n{app.output()}")
        try:
            if requests.get(f"{app.base}{path}", timeout=2).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    app.stop()
    raise TimeoutError(f"{name} did not answer within {wait:.0f} s")


def start_app(root: Path, *args: str, env: dict[str, str] | None = None, wait: float = 120) -> RunningApp:
    """Start app.py and return once its API answers."""
    app = launch_app(root, *args, env=env)
    wait_until_up(app, wait)
    return app
