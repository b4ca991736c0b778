"""What a reply looks like in the real page and where it lands, in headless Debian Chromium at 1280×900 and
375×812: the urgent notice is an alert in view with nothing under it but the reactions to report; each reply
lands at its start, also after the visitor scrolled up; it ends with the disclaimer's first sentence and the
full text one click away; related passages are folded and no "did you mean" repeats what is shown; the citation
is one line; and the fallback offers contact details, topics and "did you mean", with the focus back in the
question box after a suggestion. Screenshots go to test-artifacts/ (SCREENSHOTS_DIR=docs: the README's)."""

from __future__ import annotations

import shutil

import pytest
from playwright.sync_api import expect

from bot.assistant import Assistant
from bot.config import Settings
from bot.embedding import SentenceEmbedder
from bot.index import build_index
from bot.knowledge import load_knowledge
from bot.render import FULL_DISCLAIMER, short_disclaimer
from bot.ui import CHOICE_PREFIX

from browser import (
    ANSWER_TIMEOUT,
    BOT,
    DESKTOP,
    FIRST_BLOCK,
    PAGE_TEST,
    PHONE,
    SIDE_EFFECTS,
    URGENT,
    USER,
    VIEWPORTS,
    ask_in_page,
    click_option,
    save_screenshot,
    scroll_up,
    starts_in_view,
    text,
    wait_for_reply,
    wholly_in_view,
)
from conftest import serve_app

pytest_plugins = ["browser_fixtures"]
pytestmark = PAGE_TEST
on_both = pytest.mark.parametrize("viewport", VIEWPORTS.values(), ids=VIEWPORTS)

OUT_OF_SCOPE = "How much does it cost?"
MISSPELT = "what are the sde effects of nk"
# Test values only, in reserved ranges: the real site.toml leaves every contact detail empty.
CONTACT = {
    "emergency_contact": "Test emergency line 000",
    "contact_phone": "+00 000 000 000",
    "contact_email": "clinic@example.org",
    "contact_page": "https://example.org/contact",
}
DOCUMENT_URL = "https://example.org/nk-cell-therapy"


@pytest.fixture(scope="module")
def contact_url(real_settings: Settings, tmp_path_factory: pytest.TempPathFactory):
    """The app on the real documents with contact details, an emergency contact and a document's address set."""
    folder = tmp_path_factory.mktemp("contact")
    knowledge, index = folder / "knowledge", folder / "index"
    shutil.copytree(real_settings.knowledge_dir, knowledge)
    shutil.copytree(real_settings.index_dir, index)  # with its embedding cache: nothing is embedded again
    site = (knowledge / "site.toml").read_text(encoding="utf-8")
    for key, value in CONTACT.items():
        site = site.replace(f'{key} = ""', f'{key} = "{value}"')
    (knowledge / "site.toml").write_text(site, encoding="utf-8")
    document = knowledge / "nk-cell-therapy-stemcell-consultancy.md"
    document.write_text(document.read_text().replace("---\n", f"---\nurl: {DOCUMENT_URL}\n", 1), encoding="utf-8")
    settings = real_settings.replace(knowledge_dir=knowledge, index_dir=index)
    built = load_knowledge(knowledge, settings.passage_max_words, settings.passage_min_words)
    assert built.site.emergency_contact == CONTACT["emergency_contact"]
    build_index(built, index, SentenceEmbedder.from_settings(settings.model))
    yield from serve_app(settings)


def options(page) -> list[str]:
    return [text(option) for option in page.locator("#answers button.option").all()]


@on_both
def test_an_urgent_message_gets_an_alert_in_view_with_nothing_under_it_but_the_reactions_to_report(
    page_at, app_url: str, real_assistant: Assistant, viewport: dict
):
    page = page_at(app_url, viewport)
    for question in (SIDE_EFFECTS, "NK cells"):  # a conversation to scroll back through
        ask_in_page(page, question)
    scroll_up(page)
    reply = ask_in_page(page, URGENT)
    alert = reply.get_by_role("alert")
    expect(alert).to_have_count(1)
    assert text(alert) == " ".join(real_assistant.site.urgent_notice.split())
    assert wholly_in_view(alert)
    look = alert.evaluate(
        "e => [getComputedStyle(e).backgroundColor, getComputedStyle(e).borderLeftColor,"
        " getComputedStyle(e, '::before').backgroundImage]"
    )
    assert look[:2] == ["rgb(253, 232, 232)", "rgb(185, 28, 28)"] and "svg" in look[2]  # alert colours, an icon
    blocks = reply.locator(".message-content .md > *").evaluate_all("es => es.map(e => e.tagName + '.' + e.className)")
    assert blocks == ["DIV.urgent-notice", "BLOCKQUOTE.", "P.citation", "DIV.reply-disclaimer"]
    assert real_assistant.site.urgent_passage in text(reply.locator("blockquote"))
    assert options(page) == []  # no "did you mean", follow-ups or topics
    expect(page.locator("#answers .message-row:has(.urgent-notice) + .message-buttons-left")).to_be_hidden()
    if viewport == PHONE:
        save_screenshot(page, "chat-urgent-phone")


@on_both
def test_an_emergency_typed_while_the_answer_before_is_on_its_way_is_sent_whole_and_gets_the_notice(
    page_at, app_url: str, viewport: dict
):
    """The reply emptied the question box when it came, wiping what the visitor had typed meanwhile, and Gradio
    ignored an Enter pressed while the question before was pending: the emergency was lost or sent cut short."""
    page = page_at(app_url, viewport)
    box = page.get_by_label("Your question")

    held = []  # the question on its way, held as on a busy server; None: let questions through

    def hold(route) -> None:
        if held == []:
            held.append(route)
        else:
            route.continue_()

    page.route("**/gradio_api/queue/join*", hold)

    def while_held(question: str, then) -> None:
        """Send `question`, held on its way while `then` runs, then let it through."""
        held.clear()
        box.fill(question)
        box.press("Enter")
        for _ in range(200):
            if held:
                break
            page.wait_for_timeout(25)
        then()
        route = held.pop()
        held.append(None)
        route.continue_()

    def type_and_send() -> None:
        box.press_sequentially(URGENT, delay=5)
        box.press("Enter")  # while the question before is pending

    while_held(SIDE_EFFECTS, type_and_send)
    expect(page.locator(BOT)).to_have_count(2, timeout=ANSWER_TIMEOUT)  # sent once the first reply came
    assert [text(question) for question in page.locator(USER).all()] == [SIDE_EFFECTS, URGENT]
    expect(page.locator(BOT).last.get_by_role("alert")).to_have_count(1)

    while_held("NK cells", lambda: box.press_sequentially("I can't", delay=5))
    wait_for_reply(page, 2)
    box.press_sequentially(" breathe", delay=5)
    assert box.input_value() == "I can't breathe"  # kept, though the reply emptied the box
    box.fill("")

    def type_and_click_ask() -> None:
        box.press_sequentially("my throat is swelling", delay=5)
        page.locator("#ask").click()  # another event than Enter's: Gradio would send it beside the one pending

    while_held("What is CAR-NK therapy?", type_and_click_ask)
    expect(page.locator(BOT)).to_have_count(5, timeout=ANSWER_TIMEOUT)
    page.wait_for_timeout(1500)
    assert [text(q) for q in page.locator(USER).all()[-2:]] == ["What is CAR-NK therapy?", "my throat is swelling"]
    assert page.locator(BOT).count() == 5  # sent once


@on_both
def test_the_emergency_contact_is_shown_with_the_notice_when_set(page_at, contact_url: str, viewport: dict):
    page = page_at(contact_url, viewport)
    alert = ask_in_page(page, URGENT).get_by_role("alert")
    assert text(alert).endswith(CONTACT["emergency_contact"])
    assert wholly_in_view(alert)


@on_both
def test_each_reply_lands_at_its_start_also_after_the_visitor_scrolled_up(page_at, app_url: str, viewport: dict):
    page = page_at(app_url, viewport)
    for question in (SIDE_EFFECTS, "NK cells", "What is CAR-NK therapy?"):
        reply = ask_in_page(page, question)
        assert starts_in_view(page.locator(USER).last) and starts_in_view(reply.locator(FIRST_BLOCK))
    scroll_up(page)
    assert not starts_in_view(page.locator(USER).last)  # the visitor really is far from the end
    reply = ask_in_page(page, "How does the treatment process work?")
    assert starts_in_view(page.locator(USER).last) and starts_in_view(reply.locator(FIRST_BLOCK))


@on_both
def test_each_reply_ends_with_the_short_disclaimer_and_the_full_text_one_click_away(
    page_at, app_url: str, real_assistant: Assistant, viewport: dict
):
    page = page_at(app_url, viewport)
    full = " ".join(real_assistant.site.disclaimer.split())
    for question in (SIDE_EFFECTS, OUT_OF_SCOPE, "   "):  # an answer, the fallback, an empty message
        reply = ask_in_page(page, question)
        disclaimer = reply.locator(".message-content .md > :last-child")
        assert text(disclaimer) == f"{short_disclaimer(full)} {FULL_DISCLAIMER}"
        expect(disclaimer.get_by_text(full)).to_be_hidden()
        disclaimer.get_by_text(FULL_DISCLAIMER).click()
        expect(disclaimer.get_by_text(full)).to_be_visible()
        expect(page.locator("#disclaimer-banner")).to_be_in_viewport()  # the banner stays


@on_both
def test_related_passages_are_folded_and_no_suggestion_repeats_what_is_shown(
    page_at, app_url: str, real_assistant: Assistant, viewport: dict
):
    page = page_at(app_url, viewport)
    for question in ("NK cells", *real_assistant.site.examples):
        reply = ask_in_page(page, question)
        expected = real_assistant.ask(question)
        if expected.related:
            folded = reply.locator("details.related")
            count = len(expected.related)
            assert text(folded.locator("summary")) == f"{count} more passage{'s' * (count > 1)} from the documents"
            expect(folded.locator("blockquote").first).to_be_hidden()
        shown = {h.passage.question or h.passage.headings[-1] for h in expected.passages}
        offered = options(page)
        choices = [o.removeprefix(CHOICE_PREFIX) for o in offered if o.startswith(CHOICE_PREFIX)]
        assert not shown & set(choices) and not shown & set(offered), question
        assert len(offered) - len(choices) <= 3  # at most three follow-ups
    follow_up = options(page)[0]
    reply = click_option(page, follow_up)
    assert text(page.locator(USER).last) == follow_up
    expect(page.get_by_label("Your question")).to_be_focused()  # the focus is back in the box, not lost
    assert starts_in_view(reply.locator(FIRST_BLOCK))


@on_both
def test_the_citation_is_one_line_with_a_link_and_the_date_when_known(page_at, contact_url: str, viewport: dict):
    page = page_at(contact_url, viewport)
    citation = ask_in_page(page, SIDE_EFFECTS).locator(".citation").first
    assert text(citation) == f"Source: {SIDE_EFFECTS} — Natural Killer (NK) Cell Therapy"
    link = citation.get_by_role("link", name="Natural Killer (NK) Cell Therapy")
    assert link.get_attribute("href") == DOCUMENT_URL and link.get_attribute("target") == "_blank"
    lines = citation.evaluate("e => e.getBoundingClientRect().height / parseFloat(getComputedStyle(e).lineHeight)")
    assert lines < (1.5 if viewport["width"] > 640 else 2.5)  # was a path over four lines on a phone
    citation = ask_in_page(page, "Do NK cells work alone?").locator(".citation").first
    assert text(citation).endswith("— Debunking 3 Common Myths About NK Cell Therapy, 2025-12-19")  # no address


@on_both
def test_the_fallback_offers_contact_details_topics_and_did_you_mean(
    page_at, contact_url: str, real_assistant: Assistant, viewport: dict
):
    page = page_at(contact_url, viewport)
    reply = ask_in_page(page, OUT_OF_SCOPE)
    hrefs = reply.locator(".contact a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert hrefs == ["tel:+00000000000", f"mailto:{CONTACT['contact_email']}", CONTACT["contact_page"]]
    assert options(page) == list(real_assistant.site.topics)
    reply = click_option(page, "Safety and side effects")
    assert text(reply.locator("blockquote").first).startswith("NK cell therapy should be performed only under")
    expect(page.get_by_label("Your question")).to_be_focused()
    follow_up_look = page.locator("#answers button.option").first.evaluate("e => getComputedStyle(e).borderColor")

    ask_in_page(page, MISSPELT)
    assert options(page) == [f"{CHOICE_PREFIX}{SIDE_EFFECTS}"]
    choice = page.locator("#answers button.option").first
    assert choice.evaluate("e => getComputedStyle(e).borderColor") != follow_up_look  # a question back, not a next one
    if viewport == DESKTOP:
        save_screenshot(page, "chat-fallback-desktop")
    reply = click_option(page, SIDE_EFFECTS)
    assert text(reply.locator("blockquote").first).startswith("Possible side effects may include fatigue")
    expect(page.get_by_label("Your question")).to_be_focused()


@on_both
def test_thumbs_come_with_answers_and_not_with_a_message_never_stored(page_at, app_url: str, viewport: dict):
    """The hint for an empty message (like "too long" and "too many questions") is stored nowhere: thumbs under it
    looked pressed when clicked and recorded nothing."""
    page = page_at(app_url, viewport)
    ask_in_page(page, SIDE_EFFECTS)
    expect(page.locator("#answers .message-buttons-left").last).to_be_visible()
    ask_in_page(page, "   ")
    unrated = page.locator("#answers .message-row:has(.not-rated) + .message-buttons-left")
    expect(unrated).to_have_count(1)
    expect(unrated).to_be_hidden()
