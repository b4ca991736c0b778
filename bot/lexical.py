"""The lexical view of the passages: BM25 over stemmed words, and the documents' vocabulary for spelling and IDF."""

from __future__ import annotations

import math
from collections import Counter

import bm25s
import numpy as np
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from bot.knowledge import Passage
from bot.text import content_words, stems

# Words shorter than this are never corrected: a letter off, a short word is as near to several others (care,
# cure, core) as to the one meant.
MIN_CORRECTED_LENGTH = 5
# The BM25 scores are held dense (stems × passages, float32) up to this size: a few hundred passages of a few
# thousand stems take a few MB. Beyond it, bm25s's sparse scoring, the same sums in the same order.
DENSE_SCORES_MB = 64


class LexicalIndex:
    """BM25 over heading + text of each passage, and the documents' vocabulary for spelling and IDF."""

    def __init__(self, passages: list[Passage], vocabulary: list[str]):
        documents = [stems(content_words(" ".join((*p.headings, p.text)))) for p in passages]
        self.vocabulary = vocabulary
        self._of_length: dict[int, list[str]] = {}  # words within a few edits of a word are of about its length
        for word in vocabulary:
            self._of_length.setdefault(len(word), []).append(word)
        self.document_frequency = Counter(stem for doc in documents for stem in set(doc))
        self.size = len(documents)
        self.bm25 = bm25s.BM25()
        self.bm25.index([doc or ["\u2205"] for doc in documents], show_progress=False)
        fits = len(self.bm25.vocab_dict) * self.size * 4 <= DENSE_SCORES_MB * 2**20
        # (BM25 "lucene", bm25s's default, adds nothing for the stems a passage lacks)
        self._dense = _dense_scores(self.bm25) if fits and self.bm25.nonoccurrence_array is None else None

    def known(self, word: str) -> bool:
        return stems([word])[0] in self.document_frequency

    def idf(self, word: str) -> float:
        """Inverse document frequency; a word the documents never use gets the highest."""
        frequency = self.document_frequency.get(stems([word])[0], 0)
        return math.log((self.size + 1) / (frequency + 0.5))

    def correct(self, word: str, min_similarity: float, max_edits: int = 0) -> str | None:
        """The document word a misspelling most likely meant, if one is close enough: by fuzz.ratio, or else the
        one within max_edits edits (a swap of two letters is one), when all such words share a stem."""
        if len(word) < MIN_CORRECTED_LENGTH:
            return None
        match = process.extractOne(word, self.vocabulary, scorer=fuzz.ratio, score_cutoff=min_similarity)
        if match or max_edits <= 0:
            return match[0] if match else None
        lengths = range(len(word) - max_edits, len(word) + max_edits + 1)
        candidates = [found for length in lengths for found in self._of_length.get(length, [])]
        near = process.extract(word, candidates, scorer=OSA.distance, score_cutoff=max_edits, limit=None)
        if len({stem for stem in stems([found for found, _, _ in near])}) != 1:
            return None  # none, or two meanings a letter off ("cure" and "care"): no guess
        return min(near, key=lambda found: (found[1], found[2]))[0]

    def scores(self, words: list[str]) -> np.ndarray:
        query = [s for s in stems(words) if s in self.document_frequency]
        if not query:
            return np.zeros(self.size, dtype=np.float32)
        if self._dense is None:
            return self.bm25.get_scores(query)
        # bm25s adds each stem's scores into zeros in the query's order (np.add.at): so do its rows here, to the bit
        # (a stem absent from a passage adds 0.0), in a fifth of the time; called once per expansion word too.
        total = np.zeros(self.size, dtype=np.float32)
        for stem in query:
            total += self._dense[self.bm25.vocab_dict[stem]]
        return total

    def weighted_scores(self, weights: dict[str, float]) -> np.ndarray:
        """BM25 of several words, each scaled by its weight."""
        total = np.zeros(self.size, dtype=np.float32)
        for word, weight in weights.items():
            total += weight * self.scores([word])
        return total


def _dense_scores(bm25: bm25s.BM25) -> np.ndarray:
    """Each stem's BM25 score in each passage (0 where it is absent), from bm25s's sparse index."""
    sparse = bm25.scores
    data, indices, starts = sparse["data"], sparse["indices"], sparse["indptr"]
    dense = np.zeros((len(starts) - 1, sparse["num_docs"]), dtype=np.float32)
    dense[np.repeat(np.arange(len(starts) - 1), np.diff(starts)), indices] = data  # stem of each stored score
    return dense
