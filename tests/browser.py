"""Headless Chromium from Debian's package, driven by Playwright (never its own browser download), what a visitor
does on the page and what they can see of it, for the browser tests (SCREENSHOTS_DIR=docs refreshes docs/).
Its fixtures are in browser_fixtures.py."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

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
PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 900}
VIEWPORTS = {"desktop": DESKTOP, "phone": PHONE}  # every check of the page runs on both
ANSWER_TIMEOUT = 60_000  # ms; the first question of a fresh app also waits for its first model call
SETTLED_MS = 1_200  # the reply has landed and its late parts (options, thumbs) have rendered
BOT = "[data-testid='bot']"
USER = "[data-testid='user']"
FIRST_BLOCK = ".message-content .md > :first-child"  # what a reply starts with: the notice, the quote or a message

# Where an element stands and what of the window the visitor sees there: the window, less a sticky banner above
# and a sticky question box below, within every box that clips it (the chat's own box on a desktop).
_VIEW = """e => {
  const r = e.getBoundingClientRect();
  let top = 0, bottom = window.innerHeight;
  const banner = document.getElementById("disclaimer-banner"), ask = document.getElementById("ask-row");
  if (getComputedStyle(banner).position === "sticky") top = Math.max(top, banner.getBoundingClientRect().bottom);
  if (getComputedStyle(ask).position === "sticky") bottom = Math.min(bottom, ask.getBoundingClientRect().top);
  for (let a = e.parentElement; a; a = a.parentElement) {
    if (["auto", "scroll", "hidden"].includes(getComputedStyle(a).overflowY)) {
      const box = a.getBoundingClientRect();
      top = Math.max(top, box.top);
      bottom = Math.min(bottom, box.bottom);
    }
  }
  return {top: r.top, bottom: r.bottom, areaTop: top, areaBottom: bottom};
}"""
LINE = 20  # px: a line of text


SIDE_EFFECTS = "What are the side effects of NK cell therapy?"
URGENT = "I have chest pain after my infusion"


def browser_marks() -> list:
    """The marks of a test that drives Chromium: integration and browser, skipped where it cannot run (not on CI)."""
    import pytest

    reason = missing_browser()
    return [
        pytest.mark.integration,
        pytest.mark.browser,
        pytest.mark.skipif(reason is not None and not os.environ.get("CI"), reason=str(reason)),
    ]


def missing_browser() -> str | None:
    """Why the browser tests cannot run here, or None."""
    if not Path(CHROMIUM).exists():
        return f"no Chromium at {CHROMIUM}: apt-get install -y chromium (as .ci/run does)"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "playwright is not installed: pip install -e '.[dev]'"
    return None


# A page test's marks (`pytestmark = PAGE_TEST`): skipped where Chromium is missing, except in CI, where it must be.
PAGE_TEST = [
    pytest.mark.browser,
    pytest.mark.integration,
    pytest.mark.skipif(missing_browser() is not None and not os.environ.get("CI"), reason=str(missing_browser())),
]


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


def save_screenshot(page, name: str, full_page: bool = False) -> Path:
    """What the visitor sees in the window (or the whole page)."""
    path = screenshot_dir() / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def wait_for_reply(page, replies_before: int, timeout: float = ANSWER_TIMEOUT):
    """The newest bot message, once there is one more than before and it has settled."""
    from playwright.sync_api import expect

    messages = page.locator(BOT)
    expect(messages).to_have_count(replies_before + 1, timeout=timeout)
    page.wait_for_timeout(SETTLED_MS)
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


def click_option(page, label: str, timeout: float = ANSWER_TIMEOUT):
    """Click a suggestion under the latest reply ("did you mean", a follow-up or a topic)."""
    before = page.locator(BOT).count()
    page.locator("#answers button.option", has_text=label).first.click()
    return wait_for_reply(page, before, timeout)


def text(element) -> str:
    """Rendered text with runs of white space made single."""
    return " ".join(element.inner_text().split())


def view(element) -> dict:
    return element.evaluate(_VIEW)


def starts_in_view(element) -> bool:
    """The element's first line is where the visitor sees it, not scrolled away nor under a sticky bar."""
    seen = view(element)
    return seen["top"] >= seen["areaTop"] - 1 and seen["top"] + LINE <= seen["areaBottom"]


def wholly_in_view(element) -> bool:
    seen = view(element)
    return seen["top"] >= seen["areaTop"] - 1 and seen["bottom"] <= seen["areaBottom"] + 1


def scroll_up(page) -> None:
    """Scroll back to the start of the conversation as a visitor does, with the wheel over the middle of the window:
    the chat's box on a desktop, the page on a phone. (The visitor's own scrolling is what the page must not fight.)"""
    size = page.viewport_size
    page.mouse.move(size["width"] / 2, size["height"] / 2)
    for _ in range(10):
        page.mouse.wheel(0, -2000)
    page.wait_for_timeout(500)
