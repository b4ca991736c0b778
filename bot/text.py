"""Word and sentence helpers shared by the stages: one tokenizer, one stemmer, one sentence splitter."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import cache


def _combining_marks() -> str:
    """Every combining mark as ranges of a regex character class: accents, and the vowel signs of Indic scripts."""
    marks = [code for code in range(0x20000) if unicodedata.category(chr(code)).startswith("M")]
    ranges, start = [], marks[0]
    for previous, code in zip(marks, marks[1:] + [-1], strict=True):
        if code != previous + 1:
            ranges.append(f"{chr(start)}-{chr(previous)}" if previous > start else chr(start))
            start = code
    return "".join(ranges)


# Combining marks stay inside a word: "İ" casefolds to "i" and a combining dot, "é" may arrive as "e" and an accent,
# and "बेहोश" is one word, not "ब", "ह" and "श".
MARKS = _combining_marks()
WORD = re.compile(rf"\w[\w{MARKS}]*")
# Scripts written without spaces between words: Thai, Lao, Burmese, Khmer, Japanese kana, Chinese characters.
UNSPACED = "\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f"


def word_or_letter(also: str = "") -> str:
    """A word (of word characters and those in `also`), or one letter (with its marks) of a script without spaces: a
    phrase of those letters is then found as a run of single letters anywhere in a message ("胸口痛" in
    "我爸爸现在胸口很痛"), with no dictionary of their words."""
    return rf"[{UNSPACED}][{MARKS}]*|(?:(?![{UNSPACED}])[\w{also}])(?:(?![{UNSPACED}])[\w{MARKS}{also}])*"


WORD_OR_LETTER = re.compile(word_or_letter())


@cache
def _segmenter():
    import pysbd

    return pysbd.Segmenter(language="en", clean=False, char_span=True)


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence, with the spaces after it."""
    return [(span.start, span.end) for span in _segmenter().segment(text)]


def sentences(text: str) -> list[str]:
    return [text[start:end].strip() for start, end in sentence_spans(text) if text[start:end].strip()]


# Contractions as visitors type them without the apostrophe ("im", "ive", "dont", "whats", "someone elses"), which no
# stopword list has: a pronoun or question word with its ending, and the rest whole (negations, a modal's 've, let's,
# else's); but not those that are words of their own ("ill", "shell", "hell", "shed", "wed", "id").
_CONTRACTED = ("i", "you", "he", "she", "it", "we", "they", "that", "there", "here", "what", "who", "where", "how")
_ENDINGS = ("m", "re", "s", "ve", "ll", "d")
# fmt: off
_UNMARKED = frozenset({
    "isnt", "arent", "wasnt", "werent", "dont", "doesnt", "didnt", "havent", "hasnt", "hadnt", "cant", "couldnt",
    "wouldnt", "shouldnt", "mustnt", "neednt", "mightnt", "aint", "wont", "shant",
    "couldve", "wouldve", "shouldve", "mightve", "mustve", "lets", "elses",
})
# fmt: on
_WORDS_OF_THEIR_OWN = frozenset({"ill", "shell", "hell", "shed", "wed", "id"})
# Chat shorthand and fillers, which carry no subject: a visitor's "pls" is not a word the documents fail to use; nor
# "wat" for "what", nor the "Dear Sir or Madam" an older visitor opens with, nor a young one's "rn", "fr" or "ngl".
# fmt: off
_CHAT = frozenset({
    "pls", "plz", "thx", "thanks", "thankyou", "ty", "lol", "lmao", "haha", "btw", "tbh", "idk", "imo", "omg",
    "hmm", "hm", "um", "umm", "uh", "ok", "okay", "ur", "abt", "cuz", "coz", "wanna", "gonna", "gotta",
    "wat", "wot", "wut", "wats", "wots", "tho", "yeah", "yep", "nah", "nope", "kinda", "sorta", "dunno", "lemme",
    "gimme", "dear", "sir", "madam", "rn", "fr", "ngl", "lowkey", "deadass", "bruh", "smh", "irl", "ppl", "rly",
    "srsly", "probs", "yall", "tbf", "afaik", "iirc", "fyi", "nvm", "wdym", "ikr", "istg",
})
# Not "ya": with "see", "other" and "side" stopwords, "see ya on the other side" (a farewell, urgent) would have no
# word left, and a message of no word is never read for an emergency (bot/urgent.py).
# fmt: on

# Who a visitor asks for, how they feel and how they want it said ("my husband", "we are desperate", "honestly"):
# not what they ask (see bot/search.py).
# Children are not among them ("can children have it" asks about them), nor feelings that are also symptoms or states
# asked about ("confused", "stressed").
# fmt: off
_ASKER = frozenset({
    "mum", "mom", "mummy", "mommy", "mother", "dad", "daddy", "father", "parent", "husband", "wife", "wives",
    "partner", "spouse", "brother", "sister", "sibling", "son", "daughter", "grandma", "grandmother", "grandpa",
    "grandfather", "grandad", "granddad", "granny", "gran", "nan", "nana", "grandparent", "grandson", "granddaughter",
    "aunt", "auntie", "aunty", "uncle", "cousin", "niece", "nephew", "friend", "boyfriend", "girlfriend", "fiance",
    "fiancee", "neighbour", "neighbor", "colleague", "relative",
    "worried", "worry", "worrying", "scared", "scary", "afraid", "frightened", "terrified", "anxious", "nervous",
    "desperate", "upset", "overwhelmed", "panicking", "concerned", "hopeful", "devastated",
    "honestly", "honest", "frankly", "truthfully", "genuinely", "kindly", "plainly",
})
# fmt: on


@cache
def stopwords() -> frozenset[str]:
    import bm25s
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    # WORD splits "isn't" into "isn" and "t": the pieces of the contractions in bm25s' larger list are stopwords too,
    # or a visitor's "isn't" would count as a word the documents do not use.
    contractions = [word for word in bm25s.stopwords.STOPWORDS_EN_PLUS if "'" in word]
    pieces = {piece for word in contractions for piece in WORD.findall(word)}
    unmarked = {f"{word}{ending}" for word in _CONTRACTED for ending in _ENDINGS} | _UNMARKED
    listed = frozenset(ENGLISH_STOP_WORDS) | frozenset(bm25s.stopwords.STOPWORDS_EN) | pieces
    return listed | (unmarked - _WORDS_OF_THEIR_OWN) | _CHAT


def content_words(text: str) -> list[str]:
    """Lower-cased words that carry meaning: no stopwords, no single letters or numbers.

    Split first, then casefold: each word is then some match of WORD in the text, casefolded, which is how the
    search finds a word's place in the question.
    """
    stop = stopwords()
    words = (w.casefold() for w in WORD.findall(text))
    return [w for w in words if len(w) > 1 and not w.isdigit() and w not in stop]


@cache
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


def stems(words: list[str]) -> list[str]:
    return _stemmer().stemWords(words)


def about_the_asker(word: str) -> bool:
    """Whether a word says who asks or how they feel (a relative, a worry), not what they ask."""
    return word in _ASKER or (word.endswith("s") and word[:-1] in _ASKER)


def general_frequency(word: str) -> float:
    """How common a word is in general English, on the Zipf scale: 0 never seen, ~7 for "the"."""
    from wordfreq import zipf_frequency

    return zipf_frequency(word, "en")


def everyday_frequency(word: str) -> float:
    """How everyday a word is: the general frequency of the more common of itself and its stem ("taking" counts as
    "take"), since how common a word is belongs to the word, not to its inflection."""
    return max(general_frequency(word), general_frequency(stems([word])[0]))


def ramp(value: float, none_at: float, full_at: float) -> float:
    """0 at none_at, 1 at full_at, linear between and clipped; a step when the two are equal."""
    if none_at == full_at:
        return 1.0 if (value >= full_at if full_at > none_at else value < full_at) else 0.0
    return min(1.0, max(0.0, (value - none_at) / (full_at - none_at)))


def listed(items: Iterable[str], shown: int = 5) -> str:
    """The first `shown` items, comma-separated, and how many more there are: "a, b, c and 4 more"."""
    items = list(items)
    return ", ".join(items[:shown]) + (f" and {len(items) - shown} more" if len(items) > shown else "")


def counted(number: int, noun: str) -> str:
    """A count as people say it: 1 document, 2 documents (the noun's plural is its -s form)."""
    return f"{number:,} {noun}" if number == 1 else f"{number:,} {noun}s"
