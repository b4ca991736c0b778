"""Word and sentence helpers shared by the stages: one tokenizer, one stemmer, one sentence splitter."""

from __future__ import annotations

import re
from functools import cache

WORD = re.compile(r"\w+")


@cache
def _segmenter():
    import pysbd

    return pysbd.Segmenter(language="en", clean=False, char_span=True)


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence, with the spaces after it."""
    return [(span.start, span.end) for span in _segmenter().segment(text)]


def sentences(text: str) -> list[str]:
    return [text[start:end].strip() for start, end in sentence_spans(text) if text[start:end].strip()]


@cache
def stopwords() -> frozenset[str]:
    import bm25s
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ENGLISH_STOP_WORDS) | frozenset(bm25s.stopwords.STOPWORDS_EN)


def content_words(text: str) -> list[str]:
    """Lower-cased words that carry meaning: no stopwords, no single letters or numbers."""
    stop = stopwords()
    return [w for w in WORD.findall(text.casefold()) if len(w) > 1 and not w.isdigit() and w not in stop]


@cache
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


def stems(words: list[str]) -> list[str]:
    return _stemmer().stemWords(words)
