"""What the visit log never keeps: e-mail addresses, phone and other long numbers, dates, self-introductions,
street addresses and postcodes; and text Python holds but cannot store (a lone surrogate) is cleaned."""

from __future__ import annotations

import pytest

from bot.redact import clean_text, redact, without_controls


@pytest.mark.parametrize(
    ("said", "stored"),
    [
        ("write to jane.doe+nk@example.co.uk please", "write to [email] please"),
        ("call me on +44 20 7946 0958", "call me on [phone]"),
        ("my number is (020) 7946-0958.", "my number is [phone]."),
        ("mobile 07700900123", "mobile [phone]"),
        ("NHS number 943 476 5919, is NK therapy ok?", "NHS number [phone], is NK therapy ok?"),
        ("card 4111 1111 1111 1111", "card [number]"),
        ("I was born 12/03/1985, or 1985-03-12", "I was born [date], or [date]"),
        ("my DOB is 12 March 1980.", "my DOB is [date]."),
        ("born on the 3rd of sept 81 and treated Jan 5, 2024", "born on the [date] and treated [date]"),
        ("infusion on March 12th?", "infusion on [date]?"),
        ("patient id 884213", "patient id [number]"),
        # names and addresses (issue 15, finding 7)
        ("My name is John Smith and I have leukemia", "My name is [name] and I have leukemia"),
        (
            "I am Jane Doe, 52, living at 221B Baker Street, London NW1 6XE, with stage 4 breast cancer",
            "I am [name], 52, living at [address], London [postcode], with stage 4 breast cancer",
        ),
        ("my name's priya. is it safe?", "my name's [name]. is it safe?"),
        ("hi, my full name is Anne-Marie O'Neill", "hi, my full name is [name]"),
        ("I'm Tom Baker from Leeds", "I'm [name] from Leeds"),
        ("Name: Ahmed Khan", "Name: [name]"),
        ("please call me Bob", "please call me [name]"),
        ("we live at 12 elm road, flat 3", "we live at [address], [address]"),
        ("I live on Acacia Avenue", "I live on [address]"),
        ("Apt 4B, 350 Fifth Ave, New York, NY 10118-0001", "[address], [address], New York, NY [postcode]"),
        ("my postcode is sw1a 1aa", "my postcode is [postcode]"),
        ("in Ottawa K1A 0B6 near the clinic", "in Ottawa [postcode] near the clinic"),
        ("PO Box 4521, Springfield", "[address], Springfield"),
    ],
)
def test_personal_numbers_dates_names_and_addresses_are_redacted(said: str, stored: str):
    assert redact(said) == stored


@pytest.mark.parametrize(
    "kept",
    [
        "I had 3 infusions in 2024, 2 weeks apart",
        "Is CAR-NK with 4-1BB safe?",
        "What is IL-15?",
        "dose of 1000 cells",
        "I had 3 infusions in March 2024",
        "I am worried about side effects",
        "I am 52 and have stage 4 cancer",
        "I'm a nurse in London",
        "Is vitamin B12 safe with NK cells?",
        "my name is not important, what are NK cells?",
        "call me back about NK cell therapy",
        "What happens on the day of the infusion?",
    ],
)
def test_short_numbers_years_and_everyday_words_are_kept(kept: str):
    assert redact(kept) == kept


def test_a_lone_surrogate_becomes_a_replacement_character_and_a_pair_its_character():
    assert clean_text("\ud800 side effects?") == "\ufffd side effects?"
    assert clean_text("\ud83d\ude00 and \udfff") == "😀 and \ufffd"
    assert clean_text("plain ✓") == "plain ✓"


def test_a_control_character_is_stored_as_a_space_and_a_direction_override_not_at_all():
    """A NUL was kept in the visit log (PostgreSQL stores none), and U+202E turned the question around in the
    staff's table (QA finding A7)."""
    assert without_controls("side\x00effects\x07?") == "side effects ?"
    assert without_controls("\u202eWhat are the side effects\u202c") == "What are the side effects"
    assert without_controls("two\nlines\tand a tab") == "two\nlines\tand a tab"
    assert without_controls("a C1 \x9b31m escape\x85next line") == "a C1  31m escape\x85next line"
    clean_text("\ud800").encode("utf-8")  # storable
