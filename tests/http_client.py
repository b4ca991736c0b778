"""Plain-HTTP calls to a running Gradio app (no gradio_client), for tests and benchmarks."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def call(base: str, api_name: str, *data, timeout: float = 60) -> tuple[str, list]:
    """POST the inputs, then read the event stream; returns (final event name, its data)."""
    posted = requests.post(f"{base}/gradio_api/call/{api_name}", json={"data": list(data)}, timeout=timeout)
    posted.raise_for_status()
    event_id = posted.json()["event_id"]
    stream = requests.get(f"{base}/gradio_api/call/{api_name}/{event_id}", timeout=timeout, stream=True)
    event = None
    for line in stream.iter_lines(decode_unicode=True):
        if line.startswith("event:"):
            event = line.split(":", 1)[1].strip()
        elif line.startswith("data:") and event in {"complete", "error"}:
            payload = line.split(":", 1)[1].strip()
            return event, json.loads(payload) if payload and payload != "null" else []
    raise AssertionError(f"no complete or error event from {api_name}")


def start_app(root: Path, *args: str, env: dict | None = None, wait: float = 120) -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, str(root / "app.py"), "--port", str(port), *args],
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"app exited with {process.returncode}: {process.stdout.read()}")
        try:
            if requests.get(f"{base}/gradio_api/info", timeout=2).ok:
                return process, base
        except requests.ConnectionError:
            time.sleep(0.5)
    process.kill()
    raise AssertionError(f"app did not start within {wait} s")
