"""Headless Chromium from Debian's package, driven by Playwright (never its own browser download),
and what a visitor does on the page, for tests/test_browser.py (SCREENSHOTS_DIR=docs refreshes docs/)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
PHONE = {"width": 375, "height": 740}
DESKTOP = {"width": 1280, "height": 900}
ANSWER_TIMEOUT = 60_000  # ms; the first question of a fresh app also waits for its first model call
BOT = "[data-testid='bot']"
USER = "[data-testid='user']"


def missing_browser() -> str | None:
    """Why the browser tests cannot run here, or None."""
    if not Path(CHROMIUM).exists():
        return f"no Chromium at {CHROMIUM}: apt-get install -y chromium (as .ci/run does)"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "playwright is not installed: pip install -e '.[dev]'"
    return None


@contextmanager
def browser() -> Iterator:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def screenshot_dir() -> Path:
    """Where screenshots go: test-artifacts/ unless SCREENSHOTS_DIR says otherwise (docs/ to refresh the README's)."""
    folder = Path(os.environ.get("SCREENSHOTS_DIR", ROOT / "test-artifacts"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def save_screenshot(page, name: str) -> Path:
    path = screenshot_dir() / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def wait_for_reply(page, replies_before: int, timeout: float = ANSWER_TIMEOUT):
    """The newest bot message, once there is one more than before."""
    from playwright.sync_api import expect

    messages = page.locator(BOT)
    expect(messages).to_have_count(replies_before + 1, timeout=timeout)
    return messages.last


def ask_in_page(page, question: str, timeout: float = ANSWER_TIMEOUT):
    """Type a question as a visitor does, press Enter, and return the reply's message element."""
    before = page.locator(BOT).count()
    box = page.get_by_label("Your question")
    box.fill(question)
    box.press("Enter")
    return wait_for_reply(page, before, timeout)


def click_example(page, example: str, timeout: float = ANSWER_TIMEOUT):
    before = page.locator(BOT).count()
    page.get_by_role("button", name=example, exact=True).click()
    return wait_for_reply(page, before, timeout)


def text(element) -> str:
    """Rendered text with runs of white space made single."""
    return " ".join(element.inner_text().split())


def scroll_chat_to(page, message, tries: int = 10) -> None:
    """Scroll the chat so that `message` is at its top: for screenshots that show a question and its answer.
    Gradio scrolls the chat to the bottom as late content (options, buttons) renders, so settle, then check."""
    for _ in range(tries):
        message.evaluate("e => e.scrollIntoView({block: 'start'})")
        page.wait_for_timeout(300)
        top = message.evaluate(
            "e => e.getBoundingClientRect().top - e.closest('[role=log]').getBoundingClientRect().top"
        )
        if abs(top) < 40:
            return
