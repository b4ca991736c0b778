"""What a visitor's question loses before the visit log keeps it: e-mail addresses, phone numbers and other
long digit runs, dates, self-introductions ("my name is …", "I am <Name> <Name>"), street addresses and
postcodes, each replaced by a label such as [email] or [name]; and clean_text, which makes any Python text
storable.

Plain regular expressions, English wording: nothing to download, nothing sent anywhere. They lean to
redacting: the log loses a word or a number rather than keep a name or a birthday.
"""

from __future__ import annotations

import re

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
DATE = re.compile(r"(?<![\w.])(?:\d{4}[./-]\d{1,2}[./-]\d{1,2}|\d{1,2}[./-]\d{1,2}[./-]\d{2,4})(?![\w])")
_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_DAY = r"(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?"
# "12 March 1980", "12th of March", "March 12, 1980": a day with its month (English month names), year or not.
# "may 2 cycles do?" is taken for a date too.
WORDED_DATE = re.compile(
    rf"\b(?:{_DAY}\s+(?:of\s+)?{_MONTH}(?:,?\s+\d{{2,4}})?|{_MONTH}\s+{_DAY}(?:,?\s+\d{{4}})?)(?!\w)", re.IGNORECASE
)

# Words that end a name typed after "my name is": "my name is John and I …", "my name is not important".
_NOT_NAME = (
    r"(?:and|but|or|so|i|i'm|im|from|with|who|here|not|just|a|an|the|is|in|at|on|of|my|me|to|what|how|can|please)"
)
_ANY_WORD = rf"(?!{_NOT_NAME}\b)[^\W\d_][\w'’-]*"
_CAPITALISED = r"[A-Z][a-z'’-]*[a-z](?:-[A-Z][a-z]+)?"  # Smith, O'Neill, Anne-Marie
# After "my name is" anything up to three words is the name; after "I am" only two or more capitalised words
# are ("I am Jane Doe", not "I am worried" nor "I am 52"), after "call me" one or more.
SAID_NAME = re.compile(
    rf"(?i:\b(?:my\s+(?:full\s+)?name\s+is|my\s+name['’]s|\bname\s*:))\s+{_ANY_WORD}(?:\s+{_ANY_WORD}){{0,2}}"
)
INTRODUCED = re.compile(
    rf"(?i:\bi\s+am|\bi['’]?m)\s+{_CAPITALISED}(?:\s+{_CAPITALISED})+"
    rf"|(?i:\bcall\s+me|\bi\s+am\s+called|\bi['’]?m\s+called)\s+{_CAPITALISED}(?:\s+{_CAPITALISED})*"
)
_LEAD = re.compile(
    r"^(?:(?i:my\s+(?:full\s+)?name\s+is|my\s+name['’]s|name\s*:|i\s+am\s+called|i['’]?m\s+called"
    r"|call\s+me|i\s+am|i['’]?m))\s+"
)

_STREET = (
    r"(?:street|st|road|rd|avenue|ave|lane|ln|drive|dr|boulevard|blvd|way|court|ct|place|pl|terrace|close"
    r"|crescent|square|sq|gardens|grove|mews|row|walk|parade|highway|hwy|parkway|pkwy)\.?"
)
# "221B Baker Street", "12 elm road", "350 Fifth Ave"; without a number only in capitals ("Acacia Avenue").
STREET_ADDRESS = re.compile(
    rf"\b\d{{1,5}}[A-Za-z]?\s+(?:[^\W\d_][\w'’-]*\s+){{1,3}}(?i:{_STREET})(?!\w)"
    rf"|\b(?:[A-Z][\w'’-]*\s+){{1,3}}(?:Street|Road|Avenue|Lane|Drive|Boulevard|Way|Court|Place|Terrace|Close"
    r"|Crescent|Square|Gardens|Grove|Mews|Row|Walk|Parade|Highway|Parkway)\b"
)
UNIT = re.compile(r"\b(?i:flat|apt\.?|apartment|unit|suite|p\.?\s?o\.?\s+box)\s*#?\d+[A-Za-z]?\b")
# UK ("NW1 6XE", "sw1a 1aa") and Canadian ("K1A 0B6") postcodes, and a US ZIP code after its state ("NY 10118").
# A UK code's last two letters are never C, I, K, M, O or V, so "B12 5mg" (a vitamin and a dose) is not one.
POSTCODE = re.compile(
    r"\b(?:[A-Z]{1,2}\d[A-Z\d]?\s?\d[ABD-HJLNP-UW-Z]{2}|(?i:[a-z]{1,2}\d[a-z\d]?\s\d[abd-hjlnp-uw-z]{2})"
    r"|(?i:[a-z]\d[a-z]\s?\d[a-z]\d))\b"
    r"|(?<=\b[A-Z]{2}\s)\d{5}(?:-\d{4})?\b"
)

# Digits, possibly grouped by spaces, dashes, dots, slashes or brackets, possibly after a + (phone numbers,
# health-service and card numbers, postcodes of digits).
DIGIT_RUN = re.compile(r"\+?\(?\d(?:[ ().\-/]{0,2}\d)*\)?")
PHONE_SHAPE = re.compile(r"\+?[\d ().\-]+")
LONG_DIGITS = 5  # a run of this many digits or more is redacted
PHONE_DIGITS = (7, 15)  # ... and shown as [phone] when it looks like a phone number


def clean_text(text: str) -> str:
    """The text as valid Unicode: a lone surrogate (which no UTF-8 store takes) becomes U+FFFD, a pair its
    character."""
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def without_controls(text: str) -> str:
    """The text to store: a control character (NUL, a bell, a terminal's escape: PostgreSQL stores no NUL) is a
    space, and a direction override, which turned the question around in the staff's table, is dropped. (The
    visitor's echo keeps what was sent; the search reads no control character either, bot/search.py.)"""
    return CONTROL.sub(" ", OVERRIDE.sub("", text))


CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f]")  # C0 and C1; tabs and line breaks stay
OVERRIDE = re.compile("[\u202a-\u202e\u2066-\u2069]")  # embeddings, overrides and isolates of direction


def redact(text: str) -> str:
    """The text with e-mail addresses, dates, names given, street addresses, postcodes, phone numbers and
    other runs of 5+ digits replaced by a label."""
    text = EMAIL.sub("[email]", text)
    text = DATE.sub("[date]", text)
    text = WORDED_DATE.sub("[date]", text)
    text = SAID_NAME.sub(_name_label, text)
    text = INTRODUCED.sub(_name_label, text)
    text = UNIT.sub("[address]", text)
    text = STREET_ADDRESS.sub("[address]", text)
    text = POSTCODE.sub("[postcode]", text)
    return DIGIT_RUN.sub(_digit_label, text)


def _name_label(match: re.Match) -> str:
    """The words that introduce the name kept, the name replaced: "my name is [name]"."""
    lead = _LEAD.match(match.group(0))
    return (lead.group(0) if lead else "") + "[name]"


def _digit_label(match: re.Match) -> str:
    found = match.group(0)
    digits = sum(ch.isdigit() for ch in found)
    if digits < LONG_DIGITS:
        return found
    phone = PHONE_DIGITS[0] <= digits <= PHONE_DIGITS[1] and PHONE_SHAPE.fullmatch(found)
    return "[phone]" if phone else "[number]"
