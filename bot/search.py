"""Search stage: a query → passages ranked best first, with their scores and one confidence.

Ranking fuses two views of a passage: dense (the model's cosine similarity with the passage,
or with its FAQ question) and lexical (BM25 over stemmed words of heading and text).
Confidence asks a different question, "do the documents answer this at all?", so it also
looks at the query's own words: a content word the documents never use ("cost", "insurance")
is strong evidence that the best passage, however similar, does not answer it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import cache

import bm25s
import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from bot.embedding import Embedder
from bot.index import Index
from bot.knowledge import Passage

WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Hit:
    passage: Passage
    score: float  # fused ranking score, 0..1
    dense: float  # best cosine similarity of the query with the passage or its FAQ question
    lexical: float = 0.0  # BM25 score relative to the best one for this query, 0..1
    matched_question: bool = False  # the best dense match was the passage's FAQ question


@dataclass(frozen=True)
class Results:
    query: str
    hits: list[Hit]
    confidence: float  # how sure we are that hits[0] answers the query, 0..1
    unknown_words: tuple[str, ...] = ()  # content words of the query the documents never use
    corrections: dict[str, str] = field(default_factory=dict)  # misspelt word → corpus word


@dataclass(frozen=True)
class SearchTuning:
    dense_weight: float = 0.7  # share of the dense score in the fused ranking score
    unknown_word_penalty: float = 0.5  # confidence lost when every content word is unknown
    candidates: int = 30  # dense rows read before fusion


def normalize_query(text: str) -> str:
    """Fold compatibility forms and drop control characters; keeps the meaning of odd input."""
    text = unicodedata.normalize("NFKC", text)
    text = "".join(" " if unicodedata.category(ch).startswith(("C", "Z")) else ch for ch in text)
    return " ".join(text.split())


@cache
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


def stem_all(words: list[str]) -> list[str]:
    return _stemmer().stemWords(words)


@cache
def _stopwords() -> frozenset[str]:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ENGLISH_STOP_WORDS) | frozenset(bm25s.stopwords.STOPWORDS_EN)


def content_words(text: str) -> list[str]:
    """Lower-cased words that carry meaning: no stopwords, no single letters or digits."""
    stopwords = _stopwords()
    return [w for w in WORD.findall(text.casefold()) if len(w) > 1 and not w.isdigit() and w not in stopwords]


class LexicalIndex:
    """BM25 over heading path + text of each passage, and the corpus vocabulary for spelling."""

    def __init__(self, passages: list[Passage]):
        documents = [content_words(" ".join((*p.headings, p.text))) for p in passages]
        surface = sorted({w for doc in documents for w in doc})
        # stem → one word that has it, so a corrected stem can be put back into the query
        self.spelling = dict(zip(stem_all(surface), surface, strict=True))
        self.stems = sorted(self.spelling)
        self.size = len(documents)
        self.bm25 = bm25s.BM25()
        self.bm25.index([stem_all(doc) or ["\u2205"] for doc in documents], show_progress=False)

    def known(self, word: str) -> bool:
        return stem_all([word])[0] in self.spelling

    def correct(self, word: str) -> str | None:
        """The corpus word a misspelling most likely meant: one edit away (two for 10+ letters)."""
        if len(word) < 5:
            return None
        stem = stem_all([word])[0]
        allowed = 1 if len(word) < 10 else 2
        match = process.extractOne(stem, self.stems, scorer=Levenshtein.distance, score_cutoff=allowed)
        return self.spelling[match[0]] if match else None

    def scores(self, words: list[str]) -> np.ndarray:
        stems = [s for s in stem_all(words) if s in self.spelling]
        if not stems:
            return np.zeros(self.size, dtype=np.float32)
        return self.bm25.get_scores(stems)


class Searcher:
    def __init__(self, index: Index, embedder: Embedder, tuning: SearchTuning | None = None):
        self.index = index
        self.embedder = embedder
        self.tuning = tuning or SearchTuning()
        self.lexical = LexicalIndex(index.passages)

    def search(self, query: str, k: int = 10) -> Results:
        query = normalize_query(query)
        if not query or k <= 0:
            return Results(query, [], 0.0)
        words = content_words(query)
        corrections = {}
        unknown = []
        for word in words:
            if self.lexical.known(word):
                continue
            fixed = self.lexical.correct(word)
            if fixed:
                corrections[word] = fixed
            else:
                unknown.append(word)
        spelled = _apply(query, corrections)
        dense = self._dense(self.embedder.encode([spelled])[0])
        lexical = self.lexical.scores([corrections.get(w, w) for w in words])
        hits = self._fuse(dense, lexical)[:k]
        confidence = self._confidence(hits, len(words), len(unknown))
        return Results(query, hits, confidence, tuple(unknown), corrections)

    def _dense(self, vector: np.ndarray) -> dict[int, tuple[float, bool]]:
        """Best cosine per passage over its rows (text, FAQ question)."""
        rows = self.index.vectors.ntotal
        scores, found = self.index.vectors.search(vector.reshape(1, -1), min(rows, self.tuning.candidates))
        best: dict[int, tuple[float, bool]] = {}
        for score, row in zip(scores[0], found[0], strict=True):
            if row < 0:
                continue
            position = int(self.index.rows[row])
            if position not in best or score > best[position][0]:
                best[position] = (float(score), bool(row >= len(self.index.passages)))
        return best

    def _fuse(self, dense: dict[int, tuple[float, bool]], lexical: np.ndarray) -> list[Hit]:
        top_lexical = float(lexical.max()) if len(lexical) else 0.0
        lexical_candidates = np.argsort(-lexical)[: self.tuning.candidates] if top_lexical > 0 else []
        positions = set(dense) | {int(p) for p in lexical_candidates}
        weight = self.tuning.dense_weight
        hits = []
        for position in positions:
            cosine, by_question = dense.get(position, (0.0, False))
            relative = float(lexical[position]) / top_lexical if top_lexical > 0 else 0.0
            hits.append(
                Hit(
                    passage=self.index.passages[position],
                    score=weight * max(cosine, 0.0) + (1 - weight) * relative,
                    dense=cosine,
                    lexical=relative,
                    matched_question=by_question,
                )
            )
        hits.sort(key=lambda hit: (-hit.score, hit.passage.id))
        return hits

    def _confidence(self, hits: list[Hit], words: int, unknown: int) -> float:
        if not hits:
            return 0.0
        unknown_share = unknown / words if words else 1.0
        return max(0.0, hits[0].dense - self.tuning.unknown_word_penalty * unknown_share)


def _apply(query: str, corrections: dict[str, str]) -> str:
    if not corrections:
        return query
    return WORD.sub(lambda m: corrections.get(m.group(0).casefold(), m.group(0)), query)
