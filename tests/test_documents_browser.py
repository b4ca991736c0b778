"""Content updates without a shell, in real pages (headless Debian Chromium through Playwright): staff sign in to
the console, upload a Word file in the Documents tab, read the preview of its passages, stage it and publish it;
then a visitor's question in the chat is answered from it. Screenshots: test-artifacts/ (SCREENSHOTS_DIR=docs
refreshes the README's)."""

from __future__ import annotations

import pytest

from bot.config import Settings

from browser import DESKTOP, ask_in_page, browser, browser_marks, save_screenshot, starts_in_view, text
from console_server import apps_with_suite, sign_in_page
from documents import CONTENT, word_document

PASSWORD = "documents-test-password"
QUESTION = "What tools do I need for pruning?"
WAIT = 180_000  # ms: staging builds with the real model on a shared machine

pytestmark = browser_marks()


@pytest.fixture(scope="module")
def apps(real_settings: Settings, tmp_path_factory: pytest.TempPathFactory):
    """The visitor chat and the console on a copy of knowledge/ and its index, with a two-question test suite."""
    folder = tmp_path_factory.mktemp("documents")
    cases = [
        {"question": QUESTION, "expect": ["secateurs"]},
        {"question": "What is NK cell therapy?", "expect": ["NK cell"]},
    ]
    with apps_with_suite(real_settings, folder, PASSWORD, cases) as (visitor, console, settings):
        yield visitor, console, folder


def test_a_word_file_uploaded_previewed_and_published_in_the_console_answers_visitors(apps):
    from playwright.sync_api import expect

    visitor, console, folder = apps
    upload = word_document(folder / "Pruning Guide.docx")
    items = [item for kind, item in CONTENT if kind == "ul"]
    with browser() as chromium:
        staff = chromium.new_page(viewport=DESKTOP)
        sign_in_page(staff, console, "staff", PASSWORD)
        staff.get_by_role("tab", name="Documents").click()
        tab = staff.get_by_role("tabpanel")
        expect(tab).to_contain_text("nk-cell-therapy-stemcell-consultancy.md", timeout=30_000)
        staff.locator("#document-upload input[type=file]").set_input_files(str(upload))
        preview = tab.get_by_text("Nothing has changed yet", exact=False)
        expect(preview).to_contain_text("pruning-guide.md", timeout=60_000)
        expect(preview).to_contain_text("6 passages")
        expect(tab.get_by_text("dropped an image", exact=False)).to_be_visible()
        expect(tab).to_contain_text(items[0])
        assert not (folder / "knowledge" / "pruning-guide.md").exists()  # the preview changed nothing
        save_screenshot(staff, "console-documents-preview")

        tab.get_by_role("button", name="Add and stage").click()
        expect(tab.get_by_text("is ready but not live", exact=False)).to_be_visible(timeout=WAIT)
        expect(tab).to_contain_text(QUESTION)  # the suite question whose answer would change
        tab.get_by_role("button", name="Publish").click()
        expect(tab.get_by_text("is live", exact=False)).to_be_visible(timeout=60_000)
        save_screenshot(staff, "console-documents-published")

        chat = chromium.new_page(viewport=DESKTOP)
        chat.goto(visitor)
        reply = ask_in_page(chat, QUESTION)
        shown = text(reply)
        assert "Pruning tools include:" in shown and all(item in shown for item in items)
        assert reply.locator("blockquote").first.locator("li").count() == len(items)  # the answer, shown as a list
        assert "Source: Tools — Pruning Guide" in shown
        assert starts_in_view(reply)  # the reply lands at its start, the list's introduction
        save_screenshot(chat, "chat-imported-list")
