"""What a Gradio page itself sends: events by dependency number through the queue (/gradio_api/queue/join,
then the session's event stream), with the event data a click carries. Unlike /gradio_api/call/<name>,
this reaches every event of the page, private ones included, and keeps one session (and its state)."""

from __future__ import annotations

import json
import secrets

import requests


class Page:
    """One open page of a running Gradio app: its config and its session."""

    def __init__(self, base: str, session: requests.Session | None = None):
        self.base = base
        self.http = session or requests.Session()
        self.session_hash = secrets.token_hex(6)
        response = self.http.get(f"{base}/config", timeout=30)
        response.raise_for_status()
        self.config = response.json()

    def dependencies(self) -> list[dict]:
        return self.config["dependencies"]

    def api_names(self) -> set[str]:
        return {d.get("api_name") for d in self.dependencies()}

    def dependency(self, api_name: str) -> dict:
        return next(d for d in self.dependencies() if d.get("api_name") == api_name)

    def component_id(self, label: str) -> int:
        return next(c["id"] for c in self.config["components"] if c.get("props", {}).get("label") == label)

    def join(self, fn_index: int, data: list, event_data: dict | None = None, trigger_id: int | None = None):
        """POST the event to the queue; returns the HTTP response (the caller checks its status)."""
        body = {
            "data": data,
            "fn_index": fn_index,
            "session_hash": self.session_hash,
            "event_data": event_data,
            "trigger_id": trigger_id,
        }
        return self.http.post(f"{self.base}/gradio_api/queue/join", json=body, timeout=30)

    def run(self, api_name: str, data: list, event_data: dict | None = None, timeout: float = 60) -> dict:
        """Trigger the named event as the page does and wait for its completion message."""
        dependency = self.dependency(api_name)
        trigger = dependency["targets"][0][0] if dependency["targets"] else None
        joined = self.join(dependency["id"], data, event_data, trigger)
        joined.raise_for_status()
        event_id = joined.json()["event_id"]
        url = f"{self.base}/gradio_api/queue/data?session_hash={self.session_hash}"
        with self.http.get(url, stream=True, timeout=timeout) as stream:
            for line in stream.iter_lines(decode_unicode=True):
                if not line.startswith("data:"):
                    continue
                message = json.loads(line[5:])
                if message.get("event_id") == event_id and message.get("msg") == "process_completed":
                    return message
        raise AssertionError(f"no completion of {api_name} in the event stream")
