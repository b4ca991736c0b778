"""Built-in everyday examples, in the bot package: questions a health FAQ answers only if it says so (prices,
opening hours, small talk), "not answered here" examples kept in a build only where the folder's own text does not
come close to them; and short calm messages (greetings, a colour, "green tea"), not-urgent examples added to a
site's own, and others in the multilingual model's languages for that model alone."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from importlib.resources import files

import faiss
import numpy as np

from bot.knowledge import Site

EVERYDAY_FILE = "everyday_questions.txt"
EVERYDAY_PATH = f"bot/{EVERYDAY_FILE}"  # as staleness names it
CALM_FILE = "calm_messages.txt"
CALM_PATH = f"bot/{CALM_FILE}"
CALM_ACROSS_LANGUAGES_FILE = "calm_across_languages.txt"


def everyday_questions() -> list[str]:
    return _lines(EVERYDAY_FILE)


def everyday_fingerprint() -> str:
    """Which version of the list a build used: an index built from another is stale."""
    return _fingerprint(EVERYDAY_FILE)


def calm_fingerprint() -> str:
    return _fingerprint(CALM_FILE)


def with_calm_messages(site: Site) -> Site:
    """The site with the built-in calm messages after its own not-urgent examples, where it has urgent (or
    self-harm) examples, the only ones a message's meaning is compared with; none it gives as urgent."""
    urgent = {text.casefold() for text in site.urgent_examples + site.self_harm_examples}
    if not urgent:
        return site
    calm = [text for text in _lines(CALM_FILE) if text.casefold() not in urgent]
    return replace(site, not_urgent_examples=tuple(dict.fromkeys(site.not_urgent_examples + tuple(calm))))


def calm_across_languages() -> list[str]:
    """The built-in calm messages in other languages, which bot/other_languages.py's model alone compares with
    (computed when a build is served, so no build is stale for them)."""
    return _lines(CALM_ACROSS_LANGUAGES_FILE)


def _lines(name: str) -> list[str]:
    """A built-in list: one item a line, # starts a comment."""
    lines = (line.strip() for line in _text(name).splitlines())
    return list(dict.fromkeys(line for line in lines if line and not line.startswith("#")))


def _fingerprint(name: str) -> str:
    return hashlib.sha256(_text(name).encode("utf-8")).hexdigest()[:16]


def _text(name: str) -> str:
    return files("bot").joinpath(name).read_text(encoding="utf-8")


def answered_here(vectors: np.ndarray, search_index: faiss.Index, similarity: float, same_intent: float) -> np.ndarray:
    """Which of the questions' unit vectors some row of the folder (a passage, sentence, FAQ or taught question)
    comes within `similarity` of, with those within `same_intent` of one of them: the folder speaks to that
    intent ("How much does a garden visit cost?" takes "how much does it cost?" and "what is the price?" along),
    so its questions are left to the folder's ranking and confidence."""
    if not len(vectors) or not search_index.ntotal:
        return np.zeros(len(vectors), dtype=bool)
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    nearest, _ = search_index.search(vectors, 1)
    answered = nearest[:, 0] >= similarity
    if answered.any():
        answered |= (vectors @ vectors[answered].T).max(axis=1) >= same_intent
    return answered
