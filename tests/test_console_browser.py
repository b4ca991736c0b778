"""Visitor and staff in real pages (headless Debian Chromium through Playwright): a visitor asks and
clicks thumbs-down; staff cannot get past the console's login with a wrong password, sign in, and find
that question in the Visitor questions tab; and staff whose session was left idle get the login page on their next
click, not an error."""

from __future__ import annotations

import pytest

from bot.config import Settings

from browser import DESKTOP, browser, browser_marks
from console_server import apps_env, launch_console, sign_in_page, visitor_and_console, wait_for_login_page

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


IDLE_MINUTES = 0.25  # a session left idle this long ends (BOT_CONSOLE_IDLE_MINUTES)


@pytest.fixture(scope="module")
def console_that_ends_idle_sessions(real_settings: Settings, tmp_path_factory: pytest.TempPathFactory):
    data = tmp_path_factory.mktemp("idle")
    env = apps_env(
        real_settings.knowledge_dir, real_settings.index_dir, data, PASSWORD, console_idle_minutes=str(IDLE_MINUTES)
    )
    console = launch_console(env)
    try:
        wait_for_login_page(console)
        yield console.base
    finally:
        console.stop()


def test_a_click_after_the_session_was_left_idle_shows_the_login_page_not_an_error(console_that_ends_idle_sessions):
    from playwright.sync_api import expect

    with browser() as chromium:
        staff = chromium.new_page(viewport=DESKTOP)
        pages_loaded = []
        staff.on("framenavigated", lambda frame: pages_loaded.append(frame.url) if frame == staff.main_frame else None)
        sign_in_page(staff, console_that_ends_idle_sessions, "staff", PASSWORD)
        staff.get_by_label("Question").fill(QUESTION)
        staff.get_by_role("button", name="Inspect").click()
        expect(staff.get_by_text("What the visitor sees")).to_be_visible(timeout=60_000)
        loaded_before = len(pages_loaded)

        staff.wait_for_timeout(IDLE_MINUTES * 60_000 + 3_000)  # no request meanwhile: the page's heartbeat is one
        asked = []
        staff.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
        staff.get_by_role("button", name="Inspect").click()
        expect(staff.get_by_label("username")).to_be_visible(timeout=30_000)
        expect(staff.get_by_role("tab", name="Inspector")).to_have_count(0)
        staff.wait_for_timeout(3_000)
        assert len(pages_loaded) == loaded_before + 1  # reloaded once, to the login page, and no more
        assert len(asked) == 1 and "session has ended" in asked[0]  # asked first: a reload loses unsaved text
        assert not staff.get_by_text("Error", exact=True).is_visible()

        sign_in_page(staff, console_that_ends_idle_sessions, "staff", PASSWORD)  # and signing in again works
        expect(staff.get_by_role("tab", name="Inspector")).to_be_visible()
