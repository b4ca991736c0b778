"""Visitor and staff in real pages (headless Debian Chromium through Playwright): a visitor asks and
clicks thumbs-down; staff cannot get past the console's login with a wrong password, sign in, and find
that question in the Visitor questions tab."""

from __future__ import annotations

import pytest

from bot.config import Settings

from browser import DESKTOP, browser, browser_marks
from console_server import apps_env, sign_in_page, visitor_and_console

PASSWORD = "browser-test-password"
QUESTION = "Does my health insurance pay for NK cell therapy?"


pytestmark = browser_marks()


@pytest.fixture(scope="module")
def apps(real_settings: Settings, tmp_path_factory: pytest.TempPathFactory):
    data = tmp_path_factory.mktemp("visits")
    env = apps_env(real_settings.knowledge_dir, real_settings.index_dir, data, PASSWORD)
    with visitor_and_console(env) as urls:
        yield urls


def test_a_thumbs_down_in_the_chat_shows_up_in_the_signed_in_console(apps):
    from playwright.sync_api import expect

    visitor, console = apps
    with browser() as chromium:
        chat = chromium.new_page(viewport=DESKTOP)
        chat.goto(visitor)
        box = chat.get_by_label("Your question")
        box.fill(QUESTION)
        box.press("Enter")
        expect(chat.locator("[data-testid='bot']")).to_have_count(1, timeout=60_000)
        chat.get_by_role("button", name="Dislike").last.click()
        chat.wait_for_timeout(1000)  # the like event is sent in the background

        staff = chromium.new_page(viewport=DESKTOP)
        staff.goto(console)
        staff.get_by_label("username").fill("staff")
        staff.get_by_label("password").fill("not the password")
        staff.get_by_role("button", name="Login").click()
        expect(staff.get_by_text("Incorrect Credentials", exact=False)).to_be_visible(timeout=30_000)
        expect(staff.get_by_role("tab", name="Inspector")).to_have_count(0)

        sign_in_page(staff, console, "staff", PASSWORD)
        staff.get_by_role("tab", name="Visitor questions").click()
        row = staff.locator("tr", has_text=QUESTION)
        expect(row).to_have_count(1, timeout=30_000)
        cells = [" ".join(t.split()) for t in row.locator("td").all_text_contents()]
        assert cells[:5] == [QUESTION, "1", "1", "1", "0"]  # asked once, unanswered, disliked, not liked
