"""The word helpers the stages share."""

from __future__ import annotations

import pytest

from bot.text import content_words, general_frequency, ramp


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0.6, 0.0), (0.7, 0.0), (0.525, 0.5), (0.45, 1.0), (0.1, 1.0)],
)
def test_ramp_falling(value: float, expected: float):
    assert ramp(value, none_at=0.6, full_at=0.45) == pytest.approx(expected)


def test_ramp_rising_and_step():
    assert ramp(6.0, none_at=5.0, full_at=7.0) == pytest.approx(0.5)
    assert ramp(0.59, none_at=0.6, full_at=0.6) == 1.0
    assert ramp(0.6, none_at=0.6, full_at=0.6) == 0.0


def test_everyday_words_are_more_frequent_than_topic_words():
    assert general_frequency("come") > general_frequency("cost") > general_frequency("paracetamol")
    assert general_frequency("lkjhzx") == 0.0


def test_content_words_drop_stopwords_numbers_and_single_letters():
    assert content_words("What is a 3 NK cell, e.g. T?") == ["nk", "cell"]


def test_contractions_typed_without_the_apostrophe_are_stopwords_but_words_of_their_own_are_not():
    """Visitors type "im", "ive", "dont", "whats": NK dev's false rejections counted them as words the documents
    lack. "ill" (I'll) and "shed" (she'd) are words in their own right."""
    typed = "im on steroids, ive had 6 rounds, whats the risk of someone elses cells? dont know, youre kind"
    assert (
        content_words(typed)
        == content_words(typed.replace("im ", "I'm ").replace("ive", "I've"))
        == ["steroids", "rounds", "risk", "cells", "know", "kind"]
    )
    assert content_words("i feel ill since we cleared the shed") == ["feel", "ill", "cleared", "shed"]


def test_chat_shorthand_and_fillers_carry_no_subject():
    """ "nk cells explained simply pls" was turned away: "pls" counted as a word the documents lack."""
    assert content_words("nk cells explained simply pls") == ["nk", "cells", "explained", "simply"]
    assert content_words("ok so tbh idk, is it worth it lol? thx") == ["worth"]
    assert content_words("Dear Sir, wat r nk cells tho") == ["nk", "cells"]


def test_relatives_and_feelings_are_about_the_asker_but_children_and_intent_words_are_not():
    from bot.text import about_the_asker

    assert all(about_the_asker(w) for w in ["mum", "husband", "brothers", "grandparents", "wives", "desperate"])
    assert all(about_the_asker(w) for w in ["honestly", "frankly", "plainly"])  # how they want it said
    assert not any(about_the_asker(w) for w in ["children", "kids", "cost", "insurance", "family", "s"])


@pytest.mark.parametrize("text", ["İstanbul clinic?", "STRASSE oder Straße", "ǅemal ﬁnds Σίσυφος"])
def test_each_content_word_is_a_word_of_the_text_casefolded(text: str):
    # The search finds a word's place in the question this way; casefolding first could split "İ" in two.
    from bot.text import WORD

    words = content_words(text)
    assert words and set(words) <= {match.casefold() for match in WORD.findall(text)}


def test_a_text_and_its_casefold_give_the_same_words():
    # The documents' words come from their text, a visitor's from the casefolded question: they must agree.
    for text in ["İstanbul clinic", "Cafe\u0301 Zoë", "STRASSE Straße"]:
        assert content_words(text) == content_words(text.casefold())
