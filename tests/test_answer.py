"""The answer stage: every reply is quoted, cited and disclaimed, fallbacks included."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.answer import compose_reply
from bot.assistant import Assistant
from bot.config import Settings
from bot.index import build_index, load_index
from bot.knowledge import Site, load_knowledge
from bot.render import escape_markdown, quote, render_markdown, render_text
from bot.urgent import urgent_phrase

from conftest import FakeEmbedder, split_answer_index

DISCLAIMER = "Garden advice here is general; local conditions vary."


@pytest.fixture
def assistant(fake_index: Settings) -> Assistant:
    return Assistant(load_index(fake_index.index_dir, FakeEmbedder()), FakeEmbedder(), fake_index)


def test_an_answer_quotes_the_passage_with_its_citation_and_the_disclaimer(assistant: Assistant):
    reply = assistant.ask("When should I prune roses?")
    assert reply.answered
    assert reply.answer.passage.text.startswith("Prune roses in late winter")
    shown = render_markdown(reply)
    assert escape_markdown("Prune roses in late winter, before new growth starts.") in shown
    assert "Source: When should I prune roses? — Garden Care Guide, 2024-05-01" in shown  # one line
    assert DISCLAIMER in shown
    text = render_text(reply)
    assert "Prune roses in late winter, before new growth starts. Remove dead canes first." in text
    assert "garden.md:37" in text and DISCLAIMER in text


def test_no_good_match_gives_the_fixed_fallback_with_the_disclaimer(assistant: Assistant):
    reply = assistant.ask("quantum chromodynamics lattice")
    assert not reply.answered and reply.passages == ()
    assert reply.message == "I have no answer to that in the garden guide."
    assert DISCLAIMER in render_markdown(reply)
    assert reply.to_dict()["disclaimer"] == DISCLAIMER


@pytest.mark.parametrize("question", ["", "   ", "\n\t", "\u200b\u200b"])
def test_empty_questions_get_a_clear_message(assistant: Assistant, question: str):
    reply = assistant.ask(question)
    assert not reply.answered and "Please type a question" in reply.message
    assert reply.disclaimer == DISCLAIMER


def test_huge_questions_are_refused_with_the_limit(assistant: Assistant):
    reply = assistant.ask("roses " * 50_000)
    assert not reply.answered
    assert "300,000 characters" in reply.message and "1,000" in reply.message


def test_related_passages_are_close_runners_up_only(fake_index: Settings, assistant: Assistant):
    results = assistant.searcher.search("water roses", k=5)
    ranking = results.hits
    settings = fake_index.replace(min_confidence=0.0, related_margin=100.0, max_related=2)
    reply = compose_reply("water roses", results, assistant.site, settings.answer)
    assert reply.passages == tuple(ranking[:3])
    strict = compose_reply("water roses", results, assistant.site, settings.replace(related_margin=0.0).answer)
    assert strict.passages == tuple(h for h in ranking[:3] if h.score >= ranking[0].score)


def test_json_form_lists_passages_best_first_with_citation_fields(assistant: Assistant):
    data = assistant.ask("Can I grow basil indoors?").to_dict()
    assert data["answered"] is True
    first = data["passages"][0]
    assert set(first) >= {"id", "text", "title", "heading", "source", "score"}
    assert first["title"] == "Garden Care Guide" and first["url"] is None
    assert first["source"] == "Garden Care Guide"  # visitors see the document, never its file (issue 15, 9)
    assert "garden.md" not in str(data)
    assert "ranking" not in data and "confidence" not in data  # the visitors' form
    staff = assistant.ask("Can I grow basil indoors?").to_dict(ranking=1)
    assert staff["passages"][0]["source"] == staff["ranking"][0]["source"] == "garden.md:41"  # staff keep file:line


def test_visitors_see_the_documents_url_when_it_is_known(fake_index: Settings):
    garden = fake_index.knowledge_dir / "garden.md"
    garden.write_text(
        garden.read_text().replace("date: 2024-05-01", "date: 2024-05-01\nurl: https://garden.example/care")
    )
    build_index(load_knowledge(fake_index.knowledge_dir), fake_index.index_dir, FakeEmbedder())
    assistant = Assistant(load_index(fake_index.index_dir, FakeEmbedder()), FakeEmbedder(), fake_index)
    first = assistant.ask("Can I grow basil indoors?").to_dict()["passages"][0]
    assert first["source"] == "Garden Care Guide (https://garden.example/care)"
    assert first["url"] == "https://garden.example/care"


def test_json_form_of_a_fallback_shows_no_passage_to_visitors(assistant: Assistant):
    reply = assistant.ask("What is the capital of Peru?")
    assert not reply.answered and reply.ranking
    assert reply.to_dict()["passages"] == []  # a widget cannot show a rejected passage as the answer
    staff = reply.to_dict(ranking=2)
    assert staff["passages"] == [] and len(staff["ranking"]) == 2
    assert staff["confidence"] < assistant.settings.min_confidence


@pytest.mark.parametrize(
    "hostile",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "[click me](https://evil.example)",
        "**Source:** fake › citation",
        "https://evil.example/path",
        "# Heading\n> quote\n- list",
    ],
)
def test_escaped_text_keeps_no_markup(hostile: str):
    escaped = escape_markdown(hostile)
    assert "<" not in escaped and ">" not in escaped.replace("&gt;", "")
    for mark in "[]()*#:/":
        assert mark not in escaped.replace("\\" + mark, "")


def test_indented_lines_are_not_turned_into_code_blocks():
    escaped = escape_markdown("side effects?\n    rm -rf /\n\tcat secrets\r\r    ls")
    assert "\r" not in escaped and not any(line.startswith((" ", "\t")) for line in escaped.split("\n"))
    assert "&nbsp;" * 4 + "rm \\-rf \\/" in escaped and "&nbsp;" * 4 + "cat secrets" in escaped


def test_a_quoted_list_is_shown_as_a_list_with_every_item_word_for_word():
    from markdown_it import MarkdownIt

    passage = "Side effects may include:\n- mild fever (38 °C)\n- *tiredness* <b>\n    - rarely [longer](x)\n\n3. ague"
    shown = MarkdownIt("commonmark").render(quote(passage))
    assert shown.startswith("<blockquote>\n<p>Side effects may include:</p>\n<ul>\n<li>mild fever (38 °C)</li>")
    assert "<li>*tiredness* &lt;b&gt;\n<ul>\n<li>rarely [longer](x)</li>\n</ul>" in shown
    assert '<ol start="3">\n<li>ague</li>' in shown
    assert "<ul>" not in MarkdownIt("commonmark").render(quote("Not a list:\n    - indented like code"))


def test_an_urgent_message_gets_the_notice_first_then_the_configured_passage(assistant: Assistant):
    reply = assistant.ask("Help, my shed is ON FIRE and the roses too")
    assert reply.notice == "If something is on fire, leave the garden and call the fire brigade now."
    assert reply.answered and reply.passages[0].passage.text.startswith("Aphids can be washed off")
    shown = render_markdown(reply)
    assert shown.index("call the fire brigade") < shown.index(escape_markdown("Aphids"))
    assert DISCLAIMER in shown
    assert assistant.ask("When should I prune roses?").notice is None


@pytest.mark.parametrize(
    "message", ["my shed is on-fire!", "ON   FIRE", "Is that smoke?", "there’s smoke", "smoke-signals"]
)
def test_urgent_phrases_match_whatever_the_case_punctuation_and_spacing(assistant: Assistant, message: str):
    assert assistant.ask(message).notice.startswith("If something is on fire")


@pytest.mark.parametrize(
    "message", ["Is the bonfire safe?", "unsmoked wood", "one fire", "smokey flavour", "Rose is on? Fire ants ate it"]
)
def test_urgent_phrases_match_whole_words_within_one_sentence(assistant: Assistant, message: str):
    assert assistant.ask(message).notice is None


def test_an_urgent_phrase_ending_in_a_star_matches_the_start_of_longer_words():
    site = Site(urgent_phrases=("anaphyla*", "cant breath*", "end my life"))
    assert urgent_phrase("Anaphylactic shock after the infusion", site) == "anaphyla*"
    assert urgent_phrase("I can´t breathe", site) == urgent_phrase("I CAN‘T BREATHE!", site) == "cant breath*"
    assert urgent_phrase("will it end my lifestyle?", site) is None  # no star: whole words only


def test_a_message_too_long_to_search_still_gets_the_urgent_notice(assistant: Assistant):
    message = "It started this morning. " * 60 + "Now the shed is on fire."
    reply = assistant.ask(message)
    assert len(message) > assistant.settings.max_question_chars
    assert reply.notice.startswith("If something is on fire") and reply.passages[0].passage.text.startswith("Aphids")
    assert assistant.ask("roses " * 400).message.startswith("Your message is")  # no urgent phrase: the length note
    flood = "roses " * (2 * assistant.settings.max_question_chars) + "on fire"  # read as far as a person types
    assert assistant.ask(flood).notice is None and assistant.ask(flood).message.startswith("Your message is")


def test_follow_ups_are_other_faq_questions_and_clicking_one_quotes_it(assistant: Assistant):
    reply = assistant.ask("When should I prune roses?")
    assert [p.question for p in reply.follow_ups] == ["Can I grow basil indoors?"]
    chosen = assistant.show(reply.follow_ups[0].id)
    assert chosen.answered and chosen.question == "Can I grow basil indoors?"
    assert chosen.answer.passage.text.startswith("Yes. Basil grows well")
    assert [p.question for p in chosen.follow_ups] == ["When should I prune roses?"]
    gone = assistant.show("no-such-passage")
    assert not gone.answered and gone.message == "I have no answer to that in the garden guide."


def test_close_matches_under_different_headings_are_offered_as_choices(fake_index: Settings, assistant: Assistant):
    results = assistant.searcher.search("water", k=5)
    answer_only = fake_index.replace(min_confidence=0, ambiguity_margin=100.0, max_related=0)
    wide = compose_reply("water", results, assistant.site, answer_only.answer)
    assert len(wide.choices) >= 2 and len({p.heading for p in wide.choices}) == len(wide.choices)
    assert wide.answer.passage not in wide.choices
    narrow = compose_reply(
        "water", results, assistant.site, fake_index.replace(min_confidence=0, ambiguity_margin=0).answer
    )
    assert narrow.choices == ()


def test_asking_for_a_deeper_ranking_never_changes_the_visitors_reply(fake_index: Settings):
    """Staff (`ask -k`, the inspector, evaluate) see more of the ranking, and the reply a visitor would get."""
    wide = fake_index.replace(min_confidence=0, ambiguity_margin=100.0, related_margin=100.0, max_related=1)
    assistant = Assistant(load_index(wide.index_dir, FakeEmbedder()), FakeEmbedder(), wide)
    for question in ("water", "water roses", "prune basil"):
        visitor, staff = assistant.ask(question), assistant.ask(question, k=5)
        assert len(visitor.ranking) == assistant.visitor_depth == 3 and len(staff.ranking) == 5
        assert staff.ranking[:3] == visitor.ranking
        shown = [(reply.passages, reply.choices, reply.follow_ups) for reply in (visitor, staff)]
        assert shown[0] == shown[1]


def test_chat_messages_carry_choices_and_follow_ups_as_clickable_options(assistant: Assistant):
    from bot.ui import VisitorChat

    history, box = VisitorChat(assistant).respond("When should I prune roses?", [])
    assert box == "" and history[0] == {"role": "user", "content": escape_markdown("When should I prune roses?")}
    assert {
        "label": "Can I grow basil indoors?",
        "value": assistant.ask("Can I grow basil indoors?").answer.passage.id,
    } in history[1]["options"]


def test_an_answers_next_part_is_related_though_other_entries_rank_before_it(tmp_path: Path):
    """An FAQ entry's second part ranks after the other entries (SearchSettings.entries_first), beyond the three
    places a visitor's reply is chosen from; close enough to the answer, it is still shown with it."""
    settings = split_answer_index(tmp_path)
    assistant = Assistant(load_index(settings.index_dir, FakeEmbedder()), FakeEmbedder(), settings)
    reply = assistant.ask("how does the virus spread")
    assert [hit.passage.heading for hit in reply.ranking] == [
        "How does the virus spread?",
        "How do I stop the virus spreading?",
        "What are the symptoms?",
    ]
    assert [hit.passage.text[:25] for hit in reply.passages[:2]] == [
        "The virus spreads through",
        "The virus spreads on hand",
    ]


@pytest.mark.parametrize("message", ["", "   ", "\n\t", "\u200b", "\u00ad\x00"])
def test_an_empty_send_shows_the_hint_without_a_bubble_for_the_question(assistant: Assistant, message: str):
    from bot.ui import VisitorChat

    history, box = VisitorChat(assistant).respond(message, [])
    assert box == "" and [turn["role"] for turn in history] == ["assistant"]
    assert "Please type a question" in history[0]["content"]


def test_asking_deeper_than_the_rerank_never_changes_the_visitors_reply(tmp_path: Path):
    """A thread of 30 answers (one entry) beside 8 other documents, reranked 4 deep: an entry's parts past the rerank
    are in fused order and on another scale, so they are never candidates for the visitor's related passages, and
    staff asking for 10 see the reply a visitor gets (9 of these 300 questions did not, the review's corpus)."""
    import random

    chosen = random.Random(1)
    words = "descale boil vinegar citric lemon soda rinse water filter plastic smell new heat steam lid spout coil"
    words = words.split()
    folder = tmp_path / "knowledge"
    folder.mkdir()
    for number in range(30):
        body = " ".join(chosen.choice(words) for _ in range(45)) + f" kettle answer {number}."
        (folder / f"t-{number:02}.md").write_text(f"---\ntitle: Kettle smells\n---\n\n## Kettle smells\n\n{body}\n")
    for number in range(8):
        body = " ".join(chosen.choice(words) for _ in range(45)) + f" other {number}."
        (folder / f"o-{number}.md").write_text(f"---\ntitle: Other {number}\n---\n\n## Other {number}\n\n{body}\n")
    settings = Settings(knowledge_dir=folder, index_dir=tmp_path / "index", model_name="fake", min_confidence=-9)
    build_index(load_knowledge(folder), settings.index_dir, FakeEmbedder())
    deep4 = settings.replace(rerank_depth=4)
    assistant = Assistant(load_index(settings.index_dir, FakeEmbedder()), FakeEmbedder(), deep4)
    for _ in range(300):
        question = " ".join(chosen.choice(words) for _ in range(chosen.randint(2, 6)))
        visitor, staff = assistant.ask(question), assistant.ask(question, k=10)
        assert visitor.passages == staff.passages, question
