"""Headless Chromium from Debian's package, driven by Playwright (never its own browser download)."""

from __future__ import annotations

import shutil
from contextlib import contextmanager

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


@contextmanager
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def ask_in_page(page, question: str, timeout: float = 30_000) -> None:
    """Type a question as a visitor does and wait for the answer bubble."""
    box = page.get_by_label("Your question")
    box.fill(question)
    box.press("Enter")
    page.locator(".message.bot, [data-testid='bot']").last.wait_for(timeout=timeout)
    page.get_by_text("Source:").last.wait_for(timeout=timeout)
