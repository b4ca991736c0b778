"""Several app processes on one published index folder, as behind a load balancer: a new build is published
while both are asked questions, and both switch to it with no failed request."""

from __future__ import annotations

import os
import threading
import time

import pytest
import requests

from bot.config import Settings
from bot.index import live_build

import test_updates_live as live
from conftest import ROOT
from http_client import RunningApp, launch_app, wait_until_up

pytestmark = pytest.mark.integration
copy = live.copy  # the fixture: a private copy of the real knowledge and index


def test_two_processes_switch_to_a_new_build_with_no_failed_request(copy: Settings):
    env = {**os.environ, "BOT_INDEX_DIR": str(copy.index_dir), "BOT_KNOWLEDGE_DIR": str(copy.knowledge_dir)}
    apps: list[RunningApp] = [launch_app(ROOT, env=env) for _ in range(2)]
    answers: dict[str, list[tuple[object, str]]] = {app.base: [] for app in apps}
    stop = threading.Event()

    def keep_asking(base: str) -> None:
        with requests.Session() as session:
            while not stop.is_set():
                try:
                    response = session.post(f"{base}/api/ask", json={"question": live.NEW_QUESTION}, timeout=30)
                    passages = response.json()["passages"]
                    answers[base].append((response.status_code, passages[0]["text"] if passages else ""))
                except Exception as err:  # noqa: BLE001 - any failure is what this test counts
                    answers[base].append(("failed", repr(err)))

    def switched() -> bool:
        return all(any(text == live.NEW_ANSWER for _, text in seen) for seen in answers.values())

    askers = [threading.Thread(target=keep_asking, args=(app.base,)) for app in apps for _ in range(2)]
    try:
        for app in apps:
            wait_until_up(app, wait=300)
        old = live_build(copy.index_dir)
        assert {requests.get(f"{app.base}/readyz").json()["build"] for app in apps} == {old}
        for asker in askers:
            asker.start()
        live.add_faq_entry(copy)
        build = live.bot(copy, "build", "--quiet")
        _, err = build.communicate(timeout=300)
        assert build.returncode == 0, err
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not switched():
            time.sleep(0.2)
        time.sleep(1)  # a few more answers from the new build
        stop.set()
        for asker in askers:
            asker.join(timeout=60)
        new = live_build(copy.index_dir)
        assert new != old
        assert [requests.get(f"{app.base}/readyz").json()["build"] for app in apps] == [new, new]
    finally:
        stop.set()
        for app in apps:
            app.stop()
    for base, seen in answers.items():
        assert seen and all(status == 200 for status, _ in seen), [s for s in seen if s[0] != 200][:3]
        first = next(i for i, (_, text) in enumerate(seen) if text == live.NEW_ANSWER)
        assert first > 0, f"{base} answered from the new build before it was published"
        assert all(text == live.NEW_ANSWER for _, text in seen[first:]), f"{base} went back to the old build"
