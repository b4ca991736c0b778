"""The lexical view of the passages: BM25 over stemmed words, and the documents' vocabulary for spelling and IDF."""

from __future__ import annotations

import math
from collections import Counter

import bm25s
import numpy as np
from rapidfuzz import fuzz, process

from bot.knowledge import Passage
from bot.text import content_words, stems

# Words shorter than this are never corrected: a letter off, a short word is as near to several others (care,
# cure, core) as to the one meant.
MIN_CORRECTED_LENGTH = 5


class LexicalIndex:
    """BM25 over heading + text of each passage, and the documents' vocabulary for spelling and IDF."""

    def __init__(self, passages: list[Passage], vocabulary: list[str]):
        documents = [stems(content_words(" ".join((*p.headings, p.text)))) for p in passages]
        self.vocabulary = vocabulary
        self.document_frequency = Counter(stem for doc in documents for stem in set(doc))
        self.size = len(documents)
        self.bm25 = bm25s.BM25()
        self.bm25.index([doc or ["\u2205"] for doc in documents], show_progress=False)

    def known(self, word: str) -> bool:
        return stems([word])[0] in self.document_frequency

    def idf(self, word: str) -> float:
        """Inverse document frequency; a word the documents never use gets the highest."""
        frequency = self.document_frequency.get(stems([word])[0], 0)
        return math.log((self.size + 1) / (frequency + 0.5))

    def correct(self, word: str, min_similarity: float) -> str | None:
        """The document word a misspelling most likely meant, if one is close enough."""
        if len(word) < MIN_CORRECTED_LENGTH:
            return None
        match = process.extractOne(word, self.vocabulary, scorer=fuzz.ratio, score_cutoff=min_similarity)
        return match[0] if match else None

    def scores(self, words: list[str]) -> np.ndarray:
        query = [s for s in stems(words) if s in self.document_frequency]
        if not query:
            return np.zeros(self.size, dtype=np.float32)
        return self.bm25.get_scores(query)

    def weighted_scores(self, weights: dict[str, float]) -> np.ndarray:
        """BM25 of several words, each scaled by its weight."""
        total = np.zeros(self.size, dtype=np.float32)
        for word, weight in weights.items():
            total += weight * self.scores([word])
        return total
