"""Take the README's screenshots of the staff console, one per tab, in headless Chromium.

Usage: python scripts/console_screenshots.py   (needs a built index: python -m bot build)

It starts the visitor chat and the console on a copy of index/ (so the Rebuild pressed here never
touches the real one), with a throwaway password and an empty visit log in a temporary folder; a few
visitors ask questions through the chat's own page protocol (one answer gets a thumbs-down), then it
signs in through the login page and saves docs/console-<tab>.png.
"""

from __future__ import annotations

import os
import secrets
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "benchmarks")]

from browser import DESKTOP, browser  # noqa: E402
from console_server import launch_console, sign_in_page, wait_for_login_page  # noqa: E402
from http_client import launch_app, wait_until_up  # noqa: E402
from page_client import Page  # noqa: E402

VISITORS = [  # (question, thumbs-down on the answer)
    ("How much does NK cell therapy cost?", False),
    ("how much does nk cell therapy cost", False),
    ("Is NK cell therapy covered by my insurance?", False),
    ("How much does NK cell therapy cost?", False),
    ("Could you e-mail the price list to jane.doe@example.com?", False),
    ("What are the side effects of NK cell therapy?", True),
    ("Is NK cell therapy covered by my insurance?", False),
    ("Where is the clinic and is there parking?", False),
]
INSPECTED = "Is NK cell therapy a cure for cancer?"
SUITE = "heldout.jsonl"
WAIT = 180_000  # ms


def visit(base: str) -> None:
    for question, dislike in VISITORS:
        page = Page(base)
        history = page.run("respond", [question, []])["output"]["data"][0]
        if dislike:
            page.run("like", [], event_data={"index": 1, "value": history[1]["content"], "liked": False})


def shoot(page, name: str) -> None:
    path = ROOT / "docs" / f"console-{name}.png"
    page.wait_for_timeout(500)
    page.screenshot(path=str(path), full_page=True)
    print(f"wrote {path.relative_to(ROOT)}")


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="bot-console-shots-"))
    shutil.copytree(ROOT / "index", work / "index")
    password = secrets.token_urlsafe(12)
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "BOT_INDEX_DIR": str(work / "index"),
        "BOT_DATA_DIR": str(work / "data"),
        "BOT_STAFF_PASSWORD": password,
    }
    chat, console = launch_app(ROOT, env=env), launch_console(env)
    try:
        wait_until_up(chat, wait=180)
        wait_for_login_page(console)
        visit(chat.base)
        with browser() as chromium:
            page = chromium.new_page(viewport=DESKTOP)
            sign_in_page(page, console.base, "staff", password)

            page.get_by_label("Question").fill(INSPECTED)
            page.get_by_role("button", name="Inspect").click()
            page.get_by_text("× late for the best").wait_for(timeout=WAIT)
            page.get_by_text("Source:").first.wait_for(timeout=WAIT)
            shoot(page, "inspector")

            page.get_by_role("tab", name="Test suites").click()
            page.get_by_label("Test suite").click()
            page.get_by_role("option", name=SUITE).click()
            page.get_by_role("button", name="Run", exact=True).click()
            page.get_by_text(f"{SUITE}: ").wait_for(timeout=WAIT)
            shoot(page, "test-suites")

            page.get_by_role("tab", name="Visitor questions").click()
            page.get_by_role("button", name="Refresh").click()
            page.get_by_text("different questions").wait_for(timeout=WAIT)
            shoot(page, "visitor-questions")

            page.get_by_role("tab", name="Index").click()
            page.get_by_role("button", name="Rebuild the index").click()
            page.get_by_text("It is live").wait_for(timeout=WAIT)
            shoot(page, "index")
    finally:
        chat.stop()
        console.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
