"""The real page in a real browser: headless Debian Chromium driven by Playwright against app.py on the
real index, at 1280×900 and 375×812. The page opens at its title with nothing focused; a visitor sees the
disclaimer banner, clicks an example, types a question and reads the verbatim passage with its citation, also
with the keyboard only; what a visitor types is shown as text, never run or linked; a full queue says "busy, try
again"; the chat embedded in another site answers without scrolling that site or taking its focus; and the page
passes the accessibility checks (axe-core, light and dark), with messages named by the text they show.
tests/test_browser_replies.py checks what a reply looks like and where it lands.

Screenshots go to test-artifacts/ (SCREENSHOTS_DIR=docs refreshes the README's)."""

from __future__ import annotations

import functools
import http.server
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from playwright.sync_api import expect

from bot.assistant import Assistant
from bot.config import Settings
from bot.render import short_disclaimer

from browser import (
    BOT,
    DESKTOP,
    PAGE_TEST,
    PHONE,
    SETTLED_MS,
    SIDE_EFFECTS,
    URGENT,
    USER,
    VIEWPORTS,
    ask_in_page,
    click_example,
    save_screenshot,
    starts_in_view,
    text,
)
from conftest import ROOT, serve_app

pytest_plugins = ["browser_fixtures"]
pytestmark = PAGE_TEST

TYPED = "What is CAR-NK therapy?"
EMBED_PAGE = ROOT / "docs" / "embed-example.html"


def one_line_citation(assistant: Assistant, question: str) -> str:
    passage = assistant.ask(question).answer.passage
    return f"Source: {passage.headings[-1]} — {passage.source.title}"


def assert_answer_shown(message, assistant: Assistant, question: str) -> None:
    """The reply quotes the passage word for word in a block quote, with its citation on one line."""
    reply = assistant.ask(question)
    assert reply.answered, question
    quotes = [text(q) for q in message.locator("blockquote").all()]
    assert quotes[0] == " ".join(reply.answer.passage.text.split())
    assert text(message.locator(".citation").first) == one_line_citation(assistant, question)


@pytest.mark.parametrize("viewport", VIEWPORTS.values(), ids=VIEWPORTS)
def test_the_page_opens_at_its_title_with_nothing_focused(page_at, app_url: str, viewport: dict):
    page = page_at(app_url, viewport)
    page.wait_for_timeout(SETTLED_MS)  # anything that would grab the focus or scroll on load has done so
    assert page.evaluate("window.scrollY") == 0
    assert page.evaluate("document.activeElement === document.body")
    title = page.get_by_role("heading", level=1).bounding_box()
    assert title["y"] >= 0 and title["y"] + title["height"] <= viewport["height"]
    expect(page.locator("#disclaimer-banner")).to_be_in_viewport()


def test_desktop_banner_typed_question_then_example(page_at, app_url: str, real_assistant: Assistant):
    page = page_at(app_url)
    banner = page.locator("#disclaimer-banner")
    assert text(banner) == f"Please note: {' '.join(real_assistant.site.banner.split())}"

    reply = ask_in_page(page, TYPED)
    assert_answer_shown(reply, real_assistant, TYPED)
    assert page.get_by_label("Your question").input_value() == ""  # the box is cleared for the next question

    reply = click_example(page, SIDE_EFFECTS)
    assert_answer_shown(reply, real_assistant, SIDE_EFFECTS)
    assert text(page.locator(USER).last) == SIDE_EFFECTS
    expect(banner).to_be_in_viewport()
    save_screenshot(page, "chat-desktop")


def test_phone_viewport_fits_and_answers(page_at, app_url: str, real_assistant: Assistant):
    page = page_at(app_url, viewport=PHONE)
    reply = ask_in_page(page, SIDE_EFFECTS)
    assert_answer_shown(reply, real_assistant, SIDE_EFFECTS)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]  # no sideways scrolling
    box = page.get_by_label("Your question").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    assert starts_in_view(page.locator(USER).last) and starts_in_view(reply)
    expect(page.locator("#disclaimer-banner")).to_be_in_viewport()  # it stays, at the top of the phone's screen
    save_screenshot(page, "chat-phone")


def test_keyboard_only_tab_to_the_box_and_enter_to_send(page_at, app_url: str, real_assistant: Assistant):
    page = page_at(app_url)
    box = page.get_by_label("Your question")
    expect(box).not_to_be_focused()  # no focus grab: a visitor starts from the top of the page
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
    '<div role="alert" class="urgent-notice">Fake emergency</div>',
]


@pytest.mark.parametrize(
    "typed", HOSTILE, ids=["script", "img", "md-link", "url", "fake-citation", "fake-quote", "fake-alert"]
)
def test_what_a_visitor_types_is_shown_as_text_never_run_or_linked(page_at, app_url: str, typed: str):
    page = page_at(app_url)
    ask_in_page(page, typed)
    mine = page.locator(USER).last
    assert text(mine) == typed
    for tag in ("a", "img", "script", "iframe", "blockquote", "strong", "sub", "div[role=alert]", ".citation"):
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
def embedding_site(tmp_path: Path) -> Iterator[str]:
    """docs/embed-example.html as it is, served from another origin (its own port) than the chat."""
    (tmp_path / "index.html").write_bytes(EMBED_PAGE.read_bytes())
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/index.html"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("viewport", VIEWPORTS.values(), ids=VIEWPORTS)
def test_the_chat_embedded_in_another_site_neither_scrolls_it_nor_takes_its_focus(
    chromium, embedding_site: str, app_url: str, real_assistant: Assistant, viewport: dict
):
    context = chromium.new_context(viewport=viewport)
    try:
        page = context.new_page()
        page.goto(f"{embedding_site}?chat={quote(app_url + '/', safe='')}")  # the example takes the address
        assert page.title().startswith("Example: a clinic's page")
        frame = page.frame_locator("iframe.faq-assistant")
        frame.locator("#disclaimer-banner").wait_for()
        page.wait_for_timeout(SETTLED_MS)
        assert page.evaluate("window.scrollY") == 0
        assert page.evaluate("document.activeElement === document.body")  # not the frame
        before = frame.locator(BOT).count()
        box = frame.get_by_label("Your question")
        box.fill(SIDE_EFFECTS)  # the visitor's own click on the box may bring it into view…
        host_scroll = page.evaluate("window.scrollY")
        box.press("Enter")
        frame.locator(BOT).nth(before).wait_for()
        page.wait_for_timeout(SETTLED_MS)
        assert page.evaluate("window.scrollY") == host_scroll  # …but the reply lands inside the frame only
        assert_answer_shown(frame.locator(BOT).last, real_assistant, SIDE_EFFECTS)
        if viewport == DESKTOP:
            page.evaluate("window.scrollTo(0, 0)")
            save_screenshot(page, "chat-embedded")
    finally:
        context.close()


@pytest.mark.parametrize(
    ("color_scheme", "viewport"),
    [("light", DESKTOP), ("dark", DESKTOP), ("light", PHONE)],
    ids=["light", "dark", "phone"],
)
def test_accessibility_basics(page_at, app_url: str, real_assistant: Assistant, color_scheme: str, viewport: dict):
    """Page language, labelled controls, WCAG AA colour contrast (axe-core) with an answer, the fallback and the
    urgent notice on screen, and messages named by the text they show, not their Markdown; on a phone too, where
    the banner and the question box stick over the conversation."""
    from axe_playwright_python.sync_playwright import Axe

    page = page_at(app_url, viewport, color_scheme)
    assert page.evaluate("document.documentElement.lang") == "en"
    expect(page.get_by_label("Your question")).to_have_count(1)  # the question box has a label
    ask_in_page(page, SIDE_EFFECTS)
    answer = page.locator(BOT).first
    ask_in_page(page, "what are the sde effects of nk")  # the fallback, with a "did you mean"
    ask_in_page(page, URGENT)
    passage = " ".join(real_assistant.ask(SIDE_EFFECTS).answer.passage.text.split())
    name = answer.get_attribute("aria-label")
    assert name.startswith(f"Reply: {passage} Source: ") and short_disclaimer(real_assistant.site.disclaimer) in name
    assert not re.search(r"[\\<>*]", name)  # no Markdown escapes or tags
    assert page.locator(USER).first.get_attribute("aria-label") == f"You asked: {SIDE_EFFECTS}"
    rules = ["html-has-lang", "html-lang-valid", "document-title", "label", "button-name", "color-contrast"]
    results = Axe().run(page, options={"runOnly": {"type": "rule", "values": rules}})
    assert results.violations_count == 0, results.generate_report()
    checked = {rule["id"]: len(rule["nodes"]) for rule in results.response["passes"]}
    assert checked.get("color-contrast", 0) > 0 and checked.get("label", 0) > 0
    save_screenshot(page, f"chat-{color_scheme}{'-phone' if viewport == PHONE else ''}", full_page=True)
