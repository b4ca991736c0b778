"""The browser tests' fixtures, a plugin they load with `pytest_plugins = ["browser_fixtures"]`: one Chromium per
test module, and fresh pages at a viewport and colour scheme."""

from __future__ import annotations

import pytest

from browser import DESKTOP, browser


@pytest.fixture(scope="module")
def chromium():
    with browser() as launched:
        yield launched


@pytest.fixture
def page_at(chromium):
    """A fresh page (own context) at a viewport and colour scheme, once the chat is there; closed after the test."""
    contexts = []

    def open_page(url: str, viewport: dict = DESKTOP, color_scheme: str = "light"):
        context = chromium.new_context(viewport=viewport, color_scheme=color_scheme)
        contexts.append(context)
        page = context.new_page()
        page.goto(url)
        page.locator("#disclaimer-banner").wait_for()
        return page

    yield open_page
    for context in contexts:
        context.close()
