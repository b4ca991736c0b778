"""The real page in a real browser: headless Debian Chromium driven by Playwright against app.py on the
real index. A visitor sees the disclaimer banner, clicks an example, types a question and reads the
verbatim passage with its citation, on a desktop and on a 375-pixel phone, and with the keyboard only;
what a visitor types is shown as text, never run or linked; a full queue says "busy, try again"; the
chat works embedded in another site; and the page passes basic accessibility checks (axe-core).

Screenshots go to test-artifacts/ (SCREENSHOTS_DIR=docs refreshes the README's)."""

from __future__ import annotations

import functools
import http.server
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from bot.assistant import Assistant
from bot.config import Settings

from browser import (
    BOT,
    DESKTOP,
    PHONE,
    USER,
    ask_in_page,
    browser,
    click_example,
    missing_browser,
    save_screenshot,
    scroll_chat_to,
    text,
)
from conftest import ROOT, serve_app

pytestmark = [
    pytest.mark.browser,
    pytest.mark.integration,
    pytest.mark.skipif(missing_browser() is not None and not os.environ.get("CI"), reason=str(missing_browser())),
]

SIDE_EFFECTS = "What are the side effects of NK cell therapy?"
TYPED = "What is CAR-NK therapy?"
EMBED_PAGE = ROOT / "docs" / "embed-example.html"
EMBEDDED_APP = "http://127.0.0.1:7860/"  # the address in the example page, replaced by the test app's


@pytest.fixture(scope="module")
def chromium():
    with browser() as launched:
        yield launched


@pytest.fixture
def page_at(chromium):
    """A fresh page (own context) at a viewport and colour scheme; closed after the test."""
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


def passage_text(assistant: Assistant, question: str) -> str:
    reply = assistant.ask(question)
    assert reply.answered, question
    return " ".join(reply.answer.passage.text.split())


def citation(assistant: Assistant, question: str) -> str:
    return "Source: " + " ".join(assistant.ask(question).answer.passage.citation.split())


def assert_answer_shown(message, assistant: Assistant, question: str) -> None:
    """The reply quotes the passage word for word in a block quote, with its citation."""
    quotes = [text(q) for q in message.locator("blockquote").all()]
    assert passage_text(assistant, question) in quotes
    assert citation(assistant, question) in text(message)


def test_desktop_banner_typed_question_then_example(page_at, app_url: str, real_assistant: Assistant):
    page = page_at(app_url)
    banner = page.locator("#disclaimer-banner")
    assert banner.is_visible()
    banner_text = " ".join((real_assistant.site.banner or real_assistant.site.disclaimer).split())
    assert text(banner) == f"Please note: {banner_text}"

    reply = ask_in_page(page, TYPED)
    assert_answer_shown(reply, real_assistant, TYPED)
    assert " ".join(real_assistant.site.disclaimer.split()) in text(reply)
    assert page.get_by_label("Your question").input_value() == ""  # the box is cleared for the next question

    reply = click_example(page, SIDE_EFFECTS)
    assert_answer_shown(reply, real_assistant, SIDE_EFFECTS)
    assert text(page.locator(USER).last) == SIDE_EFFECTS
    scroll_chat_to(page, page.locator(USER).last)  # the question, then its answer
    save_screenshot(page, "chat-desktop")


def test_phone_viewport_fits_and_answers(page_at, app_url: str, real_assistant: Assistant):
    page = page_at(app_url, viewport=PHONE)
    assert page.locator("#disclaimer-banner").is_visible()
    reply = ask_in_page(page, SIDE_EFFECTS)
    assert_answer_shown(reply, real_assistant, SIDE_EFFECTS)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]  # no sideways scrolling
    box = page.get_by_label("Your question").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    scroll_chat_to(page, page.locator(USER).last)  # the question, then its answer
    save_screenshot(page, "chat-phone")


def test_keyboard_only_tab_to_the_box_and_enter_to_send(page_at, app_url: str, real_assistant: Assistant):
    page = page_at(app_url)
    box = page.get_by_label("Your question")
    expect(box).to_be_focused()  # autofocus: a visitor can type at once; start from nothing focused instead
    page.evaluate("document.activeElement.blur()")
    assert box.evaluate("e => getComputedStyle(e).outlineStyle") == "none"
    for _ in range(40):
        page.keyboard.press("Tab")
        if box.evaluate("e => e === document.activeElement"):
            break
    else:
        pytest.fail("40 presses of Tab never reached the question box")
    outline = box.evaluate("e => [getComputedStyle(e).outlineStyle, parseFloat(getComputedStyle(e).outlineWidth)]")
    assert outline[0] == "solid" and outline[1] >= 2  # focus is visible
    before = page.locator(BOT).count()
    page.keyboard.type(TYPED)
    page.keyboard.press("Enter")
    page.locator(BOT).nth(before).wait_for()
    assert_answer_shown(page.locator(BOT).last, real_assistant, TYPED)
    save_screenshot(page, "chat-keyboard")


HOSTILE = [
    "<script>window.__pwned = 1</script> side effects?",
    '<img src=x onerror="window.__pwned = 1"> NK cells',
    "[click me](https://evil.example/) for NK cells",
    "https://evil.example/nk",
    "**Source:** Natural Killer (NK) Cell Therapy › Safety",
    "> Side effects: none at all.",
]


@pytest.mark.parametrize("typed", HOSTILE, ids=["script", "img", "md-link", "url", "fake-citation", "fake-quote"])
def test_what_a_visitor_types_is_shown_as_text_never_run_or_linked(page_at, app_url: str, typed: str):
    page = page_at(app_url)
    ask_in_page(page, typed)
    mine = page.locator(USER).last
    assert text(mine) == typed
    for tag in ("a", "img", "script", "iframe", "blockquote", "strong", "sub"):
        assert mine.locator(tag).count() == 0, f"<{tag}> made from what the visitor typed"
    assert page.locator("a[href*='evil.example']").count() == 0
    assert page.evaluate("window.__pwned") is None


def test_a_huge_message_is_refused_with_a_message_saying_so(page_at, app_url: str):
    page = page_at(app_url)
    reply = ask_in_page(page, "NK cells " * 11_112)  # 100,008 characters
    assert "Your message is 100,008 characters long; please ask in at most 1,000 characters." in text(reply)
    assert text(page.locator(USER).last).endswith("…")


def test_a_full_queue_shows_busy_try_again(page_at, real_settings: Settings):
    for busy_url in serve_app(real_settings, queue_size="0"):
        page = page_at(busy_url)
        box = page.get_by_label("Your question")
        box.fill(SIDE_EFFECTS)
        box.press("Enter")
        toast = page.get_by_test_id("toast-body")
        toast.wait_for()
        assert "busy" in text(toast) and "try again" in text(toast)
        assert box.input_value() == SIDE_EFFECTS  # kept, to send again
        assert page.get_by_text("Error", exact=True).filter(visible=True).count() <= 1  # the toast's title only
        assert "Traceback" not in page.content()
        save_screenshot(page, "chat-busy")


@pytest.fixture
def embedding_site(app_url: str, tmp_path: Path) -> Iterator[str]:
    """docs/embed-example.html, pointed at the test app, served from another origin (its own port)."""
    page = EMBED_PAGE.read_text(encoding="utf-8")
    assert EMBEDDED_APP in page
    (tmp_path / "index.html").write_text(page.replace(EMBEDDED_APP, app_url + "/"), encoding="utf-8")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/index.html"
    server.shutdown()
    server.server_close()


def test_the_chat_embedded_in_another_site_answers(chromium, embedding_site: str, real_assistant: Assistant):
    context = chromium.new_context(viewport=DESKTOP)
    try:
        page = context.new_page()
        page.goto(embedding_site)
        assert page.title().startswith("Example: a clinic's page")
        frame = page.frame_locator("iframe.faq-assistant")
        frame.locator("#disclaimer-banner").wait_for()
        before = frame.locator(BOT).count()
        box = frame.get_by_label("Your question")
        box.fill(SIDE_EFFECTS)
        box.press("Enter")
        frame.locator(BOT).nth(before).wait_for()
        assert_answer_shown(frame.locator(BOT).last, real_assistant, SIDE_EFFECTS)
        save_screenshot(page, "chat-embedded")
    finally:
        context.close()


@pytest.mark.parametrize("color_scheme", ["light", "dark"])
def test_accessibility_basics(page_at, app_url: str, color_scheme: str):
    """Page language, labelled controls and WCAG AA colour contrast (axe-core), with an answer on screen."""
    from axe_playwright_python.sync_playwright import Axe

    page = page_at(app_url, color_scheme=color_scheme)
    assert page.evaluate("document.documentElement.lang") == "en"
    expect(page.get_by_label("Your question")).to_have_count(1)  # the question box has a label
    ask_in_page(page, SIDE_EFFECTS)
    rules = ["html-has-lang", "html-lang-valid", "document-title", "label", "button-name", "color-contrast"]
    results = Axe().run(page, options={"runOnly": {"type": "rule", "values": rules}})
    assert results.violations_count == 0, results.generate_report()
    checked = {rule["id"]: len(rule["nodes"]) for rule in results.response["passes"]}
    assert checked.get("color-contrast", 0) > 0 and checked.get("label", 0) > 0
    save_screenshot(page, f"chat-{color_scheme}")
