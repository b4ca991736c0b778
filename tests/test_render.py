"""The chat's rendering of a reply: the urgent notice as an alert, one-line citations, related passages folded,
the disclaimer short with the full text one click away; every text from the documents or site.toml inert."""

from __future__ import annotations

import re

from bot.answer import Reply
from bot.knowledge import Passage, Source
from bot.knowledge.site import Contact
from bot.render import FULL_DISCLAIMER, citation, render_markdown, render_text
from bot.search import Hit

DISCLAIMER = "Advice here is general. Ask your own doctor; outcomes vary."
GUIDE = Source("guide.md", "Garden <Guide>", publisher="Green Club", date="2024-05-01", url="https://example.org/g")


def hit(text: str, *headings: str, source: Source = GUIDE) -> Hit:
    return Hit(Passage(f"id-{text[:8]}", text, headings, source, 1), score=1.0, dense=1.0)


def test_an_urgent_reply_starts_with_an_alert_then_the_passage_and_nothing_else():
    report = hit("Report a fever at once.", "Safety")
    reply = Reply("help", True, DISCLAIMER, (report,), notice="Call the <b>team</b> now.", emergency_contact="Line 0")
    shown = render_markdown(reply)
    assert shown.startswith('<div class="urgent-notice" role="alert"><p>Call the &lt;b&gt;team&lt;/b&gt; now.</p>')
    assert '<p class="emergency-contact">Line 0</p></div>' in shown
    assert shown.index("role=") < shown.index("> Report a fever") < shown.index('class="citation"')
    assert "<details class=" not in shown  # nothing folded either: there is nothing else
    assert render_text(reply).startswith("URGENT: Call the <b>team</b> now.\n\nEmergency contact: Line 0")


def test_a_notice_of_several_paragraphs_stays_one_html_block():
    shown = render_markdown(Reply("help", False, DISCLAIMER, notice="Call now.\n\n    Or go to hospital."))
    alert = shown.split("\n\n")[0]  # a blank line inside would end the HTML block and let Markdown in
    assert alert == '<div class="urgent-notice" role="alert"><p>Call now.</p><p>Or go to hospital.</p></div>'


def test_the_citation_is_one_line_of_section_title_link_and_date():
    assert citation(hit("Water.", "Care", "Watering").passage) == (
        '<p class="citation">Source: Watering — '
        '<a href="https://example.org/g">Garden &lt;Guide&gt;</a>, 2024-05-01</p>'
    )
    plain = Source("b.md", "Booklet", url="javascript:alert(1)")  # only a web address becomes a link
    assert citation(hit("Text.", source=plain).passage) == '<p class="citation">Source: Booklet</p>'


def test_related_passages_are_folded_behind_their_count():
    reply = Reply("q", True, DISCLAIMER, (hit("First.", "A"), hit("Second.", "B"), hit("Third.", "C")))
    shown = render_markdown(reply)
    assert shown.index("> First\\.") < shown.index(
        '<details class="related"><summary>2 more passages from the documents'
    )
    assert re.search(r"</summary>\n\n> Second\\.\n\n.*\n\n> Third\\.\n\n.*\n\n</details>", shown)


def test_every_reply_ends_with_the_first_sentence_and_the_full_disclaimer_behind_a_click():
    for reply in (Reply("q", True, DISCLAIMER, (hit("Water.", "A"),)), Reply("", False, DISCLAIMER, message="Type.")):
        last = render_markdown(reply).split("\n\n")[-1]
        assert last == (
            '<div class="reply-disclaimer"><p>Advice here is general.</p>'
            f"<details><summary>{FULL_DISCLAIMER}</summary><p>{DISCLAIMER}</p></details></div>"
        )
    one_sentence = render_markdown(Reply("q", False, "General advice only.", message="No."))
    assert one_sentence.endswith('<div class="reply-disclaimer"><p>General advice only.</p></div>')


def test_contact_details_become_links_to_call_write_and_open():
    reply = Reply("q", False, DISCLAIMER, message="No answer.", contact=Contact("+00 (0) 123", "a@example.org"))
    shown = render_markdown(reply)
    assert '<p class="contact">Phone: <a href="tel:+000123">+00 (0) 123</a> · ' in shown
    assert 'E-mail: <a href="mailto:a@example.org">a@example.org</a></p>' in shown
    assert "Contact page" not in shown
