"""A reply the documents cannot answer still helps: contact details when site.toml gives them, the documents'
main topics, and "did you mean" for a question turned away only by slips of the keys. And a "did you mean"
never offers what is already on screen."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.answer import compose_reply
from bot.assistant import Assistant
from bot.config import Settings
from bot.evaluate import holds
from bot.fallback import main_topics, near_misses
from bot.index import load_index
from bot.knowledge import KnowledgeError, Site, load_knowledge
from bot.lexical import LexicalIndex
from bot.search import Results

from conftest import FakeEmbedder


@pytest.fixture
def assistant(fake_index: Settings) -> Assistant:
    return Assistant(load_index(fake_index.index_dir, FakeEmbedder()), FakeEmbedder(), fake_index)


def with_site(knowledge_dir: Path, *lines: str) -> None:
    site = knowledge_dir / "site.toml"
    site.write_text(site.read_text(encoding="utf-8") + "\n".join(lines) + "\n", encoding="utf-8")


def test_the_fallback_carries_the_contact_details_only_when_set(knowledge_dir: Path, fake_settings: Settings):
    with_site(knowledge_dir, 'contact_phone = "+00 000"', 'contact_email = "garden@example.org"')
    site = load_knowledge(knowledge_dir).site
    reply = compose_reply("quantum chromodynamics", Results("quantum chromodynamics", []), site, fake_settings.answer)
    assert not reply.answered and reply.message == site.fallback
    assert reply.to_dict()["contact"] == {"phone": "+00 000", "email": "garden@example.org", "page": ""}
    assert Site().contact is None  # nothing is invented when the site gives none


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        ('contact_email = "garden at example"', "contact_email must be an address such as"),
        ('contact_page = "example.org/contact"', "contact_page must be an address starting https://"),
        ('topics = ["Compost"]', "topic 'Compost' is no heading of the documents; copy a heading"),
    ],
)
def test_contact_details_and_topics_that_would_lead_nowhere_stop_the_load(
    knowledge_dir: Path, setting: str, expected: str
):
    with_site(knowledge_dir, setting)
    with pytest.raises(KnowledgeError, match=expected):
        load_knowledge(knowledge_dir)


def test_topics_are_the_sections_site_toml_names_or_else_the_largest(knowledge_dir: Path):
    knowledge = load_knowledge(knowledge_dir)
    largest = main_topics(knowledge.passages, knowledge.site, limit=2)
    assert [t.heading for t in largest] == ["Watering", "Frequently asked questions"]  # in the documents' order
    assert largest[0].passage.text.startswith("Water tomatoes deeply")
    named = main_topics(knowledge.passages, Site(topics=("Pests", "can i grow basil indoors?")), limit=2)
    assert [t.heading for t in named] == ["Pests", "Can I grow basil indoors?"]  # as written in the documents


def test_an_unanswered_question_offers_the_topics_and_choosing_one_quotes_it(assistant: Assistant):
    reply = assistant.ask("quantum chromodynamics lattice")
    assert not reply.answered and reply.topics and reply.choices == ()
    assert reply.to_dict()["topics"][0] == {"id": reply.topics[0].passage.id, "heading": reply.topics[0].heading}
    chosen = assistant.show(reply.topics[0].passage.id)
    assert chosen.answered and chosen.answer.passage == reply.topics[0].passage


@pytest.mark.parametrize(
    ("uncovered", "near"),
    [
        (("prne",), True),  # a letter off a word of the documents
        (("wat",), True),  # a letter off a stopword ("what")
        (("prne", "compost"), False),  # a real word the documents lack: no guess
        (("cost",), False),  # common English, so meant: the documents do not say
        (("xqzvy",), False),  # near nothing
    ],
)
def test_did_you_mean_only_when_every_word_turned_away_is_a_slip(
    assistant: Assistant, fake_settings: Settings, uncovered: tuple[str, ...], near: bool
):
    hits = assistant.searcher.search("When should I prune roses?", 5).hits
    results = Results("when shuld i prne roses", hits, -1.0, uncovered)
    choices = near_misses(results, assistant.index.vocabulary, fake_settings.answer)
    assert (choices[:1] == (hits[0].passage,)) if near else choices == ()
    if near:
        assert len({p.heading for p in choices}) == len(choices) <= fake_settings.max_choices


def test_a_choice_never_repeats_a_passage_on_screen(fake_index: Settings, assistant: Assistant):
    results = assistant.searcher.search("water", k=5)
    wide = fake_index.replace(min_confidence=0, ambiguity_margin=100.0, related_margin=100.0, max_related=0)
    reply = compose_reply("water", results, assistant.site, wide.answer, assistant.searcher)
    on_screen = {h.passage.id for h in reply.passages} | {p.id for p in reply.follow_ups}
    assert reply.choices and not on_screen & {p.id for p in reply.choices}  # not the answer, nor a follow-up
    everything = compose_reply("water", results, assistant.site, wide.replace(max_related=4).answer, assistant.searcher)
    assert everything.choices == ()  # all close matches are shown: nothing left to ask about


@pytest.mark.integration
def test_misspelt_questions_get_did_you_mean_with_the_real_model(real_assistant):
    reply = real_assistant.ask("what are the sde effects of nk")
    assert not reply.answered and reply.choices[0].question == "What are the side effects of NK cell therapy?"
    assert reply.topics == ()


@pytest.mark.integration
@pytest.mark.parametrize(
    ("question", "expect"),
    [
        ("wat are the side efects", ("What are the side effects of NK cell therapy?",)),
        # the FAQ answer, or the introduction's first sentence (NK dev5's label, taught since)
        ("wat r nk cells", ("What are Natural Killer cells?", "NK) cells are immune cells that destroy infected")),
        ("Dear Sir or Madam, are nk cells a kind of white blood cell?", ("What are Natural Killer cells?",)),
        ("ngl are nk cells a kind of white blood cell fr", ("What are Natural Killer cells?",)),  # NK dev17's slang
    ],
)
def test_chat_shorthand_and_a_letter_s_greeting_are_no_words_the_documents_lack(
    real_assistant, question: str, expect: tuple[str, ...]
):
    """ "wat r nk cells" got the fallback (NK dev5): "wat" counted as a word the documents do not use."""
    reply = real_assistant.ask(question)
    assert reply.answered and reply.uncovered_words == ()
    assert any(holds(reply.passages[0].passage, expected) for expected in expect)


@pytest.mark.integration
def test_a_word_of_everyday_english_is_never_corrected_into_another(real_assistant):
    """ "right" was read as the documents' "bright", "seeing" as "seeking", "injections" as "infections": the question
    searched and the words the visitor is told were not understood were not what they typed."""
    results = real_assistant.searcher.search("are injections right for me, i keep seeing adverts")
    assert results.corrections == {} and "bright" not in results.encoded
    assert real_assistant.searcher.search("is it safe with a tumour").corrections == {"tumour": "tumor"}


@pytest.mark.integration
def test_a_word_english_does_not_know_is_corrected_a_letter_off_or_two_swapped(real_assistant):
    """fuzz.ratio scores "therpay" 86 against "therapy": one swap in a short word fell under the 90 it asks for."""
    assert real_assistant.searcher.search("is nk cell therpay safe").corrections == {"therpay": "therapy"}
    assert real_assistant.searcher.search("i spilt tea on my arm after the infusion").corrections == {}  # a word
    lexical = LexicalIndex(real_assistant.searcher.index.passages, ["falls", "fills", "therapy", "therapies"])
    assert lexical.correct("fflls", 90.0, max_edits=1) is None  # "falls" or "fills": no guess
    assert lexical.correct("therpay", 90.0, max_edits=1) == "therapy"  # one stem, the nearest word
    assert lexical.correct("therpay", 90.0, max_edits=0) is None  # turned off: the ratio alone


@pytest.mark.integration
@pytest.mark.parametrize("question", ["How much does it cost?", "Is NK cell therapy covered by my insurence?"])
def test_questions_the_documents_do_not_answer_get_topics_not_guesses(real_assistant, question: str):
    reply = real_assistant.ask(question)
    assert not reply.answered and reply.choices == ()
    assert [t.heading for t in reply.topics] == list(real_assistant.site.topics)
