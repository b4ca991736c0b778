"""Take the README's screenshots of the visitor chat in headless Chromium.

Usage: python scripts/screenshots.py   (needs a built index: python -m bot build)
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from browser import DESKTOP, PHONE, ask_in_page, browser  # noqa: E402
from http_client import start_app  # noqa: E402

QUESTION = "What are the side effects of NK cell therapy?"


def main() -> None:
    process, base = start_app(ROOT)
    try:
        with browser() as chromium:
            for name, viewport in (("chat-desktop", DESKTOP), ("chat-phone", PHONE)):
                page = chromium.new_page(viewport=viewport)
                page.goto(base)
                ask_in_page(page, QUESTION)
                path = ROOT / "docs" / f"{name}.png"
                page.screenshot(path=str(path), full_page=True)
                print(f"wrote {path.relative_to(ROOT)}")
    finally:
        process.terminate()
        process.wait(timeout=30)


if __name__ == "__main__":
    main()
