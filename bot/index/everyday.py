"""Everyday questions a health FAQ answers only if it says so (prices, opening hours, small talk): built-in "not
answered here" examples, kept in a build only where the folder's own text does not come close to them."""

from __future__ import annotations

import hashlib
from importlib.resources import files

import faiss
import numpy as np

EVERYDAY_FILE = "everyday_questions.txt"  # in the bot package
EVERYDAY_PATH = f"bot/{EVERYDAY_FILE}"  # as staleness names it


def everyday_questions() -> list[str]:
    """The built-in list: one question a line, # starts a comment."""
    lines = (line.strip() for line in _text().splitlines())
    return list(dict.fromkeys(line for line in lines if line and not line.startswith("#")))


def everyday_fingerprint() -> str:
    """Which version of the list a build used: an index built from another is stale."""
    return hashlib.sha256(_text().encode("utf-8")).hexdigest()[:16]


def _text() -> str:
    return files("bot").joinpath(EVERYDAY_FILE).read_text(encoding="utf-8")


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
