"""Teaching, in real pages (headless Debian Chromium through Playwright): a visitor's question goes unanswered and
gets a thumbs-down; staff sign in, click it in Visitor questions, teach it to the passage that answers it, stage,
read what the staged build changes, and publish; the visitor asks again and gets that passage; the Activity tab
names who did it. Screenshots: test-artifacts/ (SCREENSHOTS_DIR=docs refreshes the README's)."""

from __future__ import annotations

import re

import pytest

from bot.config import Settings

from browser import DESKTOP, ask_in_page, browser, browser_marks, save_screenshot, text
from console_server import apps_with_suite, sign_in_page

PASSWORD = "teaching-test-password"
QUESTION = "will my energy levels improve after nk therapy?"
HEADING = "Response timeline"
WAIT = 180_000  # ms: staging builds with the real model on a shared machine

pytestmark = browser_marks()


@pytest.fixture(scope="module")
def apps(real_settings: Settings, tmp_path_factory: pytest.TempPathFactory):
    """The visitor chat and the console on a copy of knowledge/ and its index, with a one-question test suite."""
    folder = tmp_path_factory.mktemp("teaching")
    cases = [{"question": QUESTION, "expect": [HEADING]}]
    with apps_with_suite(real_settings, folder, PASSWORD, cases) as (visitor, console, settings):
        yield visitor, console, settings


def first_passage_under(settings: Settings, heading: str) -> str:
    from bot.knowledge import load_knowledge

    passages = load_knowledge(settings.knowledge_dir).passages
    return next(p.text for p in passages if p.headings[-1:] == (heading,))


def test_staff_teach_a_visitor_question_publish_it_and_the_visitor_gets_that_passage(apps):
    from playwright.sync_api import expect

    visitor, console, settings = apps
    passage = first_passage_under(settings, HEADING)
    with browser() as chromium:
        chat = chromium.new_page(viewport=DESKTOP)
        chat.goto(visitor)
        assert passage[:60] not in text(ask_in_page(chat, QUESTION))  # untaught, it is not the answer
        chat.get_by_role("button", name="Dislike").last.click()
        chat.wait_for_timeout(1000)  # the like event is sent in the background

        staff = chromium.new_page(viewport=DESKTOP)
        sign_in_page(staff, console, "staff", PASSWORD)
        staff.get_by_role("tab", name="Visitor questions").click()
        tab = staff.get_by_role("tabpanel")
        tab.get_by_text(QUESTION, exact=True).locator("visible=true").first.click()
        expect(tab.get_by_label("Visitor question", exact=True)).to_have_value(QUESTION, timeout=30_000)
        passage_box = tab.get_by_label("Passage that answers it", exact=True)
        for _ in range(30):  # the passages ranked for it are offered once they come, none chosen for staff
            passage_box.click()
            if staff.get_by_role("option").count():
                break
            passage_box.press("Escape")
            staff.wait_for_timeout(1000)
        assert staff.get_by_role("option").count() > 1
        expect(passage_box).to_have_value("")
        passage_box.press("Escape")
        search = tab.get_by_label("Find a passage by heading (optional)")
        search.fill(HEADING)
        search.press("Enter")
        expect(passage_box).to_have_value(re.compile(HEADING), timeout=30_000)
        tab.get_by_role("button", name="Teach to this passage").click()
        expect(staff.locator("#teach-status")).to_contain_text("Taught", timeout=30_000)
        tab.get_by_role("button", name="Stage and compare").click()
        staged = staff.locator("#teach-staged")
        expect(staged).to_contain_text("is ready but not live", timeout=WAIT)
        expect(tab).to_contain_text(QUESTION)  # the suite question whose answer the staged build changes
        save_screenshot(staff, "console-teach-staged")
        tab.get_by_role("button", name="Publish").click()
        expect(staged).to_contain_text("is live", timeout=60_000)
        # another question: the heading search left in its box chose a passage for it too
        tab.get_by_label("Visitor question", exact=True).fill("is there somewhere to park")
        expect(search).to_have_value("", timeout=30_000)
        expect(passage_box).to_have_value("")

        assert passage[:60] in text(ask_in_page(chat, QUESTION))

        staff.get_by_role("tab", name="Activity").click()
        staff.get_by_role("button", name="Refresh").locator("visible=true").click()
        for action in ("teach", "build (staged)", "publish"):
            expect(staff.get_by_text(action, exact=True).locator("visible=true").first).to_be_visible(timeout=30_000)
        save_screenshot(staff, "console-activity")
