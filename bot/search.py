"""Search stage: a query → passages ranked best first, with their scores and one confidence.

Ranking is a weighted sum of four views of each passage: the query's cosine similarity
with the passage (under its heading), with its best single sentence, with its FAQ question,
and the passage's BM25 score over stemmed words, where each query word also brings the
documents' words nearest to it in meaning ("tired" brings "fatigue", "safe" "safety").
The best of those are then reranked by late interaction: each token of the question, in
context, meets its most similar token of the passage, and the mean of those similarities
(MeanMaxSim) joins the score. It reads the question against the passage word by word,
where one vector per text has to squeeze a whole passage into one point.
Confidence asks another question, "do the documents answer this at all?": it starts from
the answer's best cosine and takes off for the query's informative words that the documents
neither use nor come close to ("cost", "insurance"), weighted by how informative they are in
the documents and in general English. A word comes close when some word of the documents
is near it in meaning, or when, read in context, it meets a token of the answer that is
("when is it not recommended", answered by a passage on when it "may not be suitable").
"""

from __future__ import annotations

import math
import unicodedata
from collections import Counter
from dataclasses import dataclass, field, replace

import bm25s
import numpy as np
from rapidfuzz import fuzz, process

from bot.config import SearchSettings, Settings
from bot.embedding import Embedder
from bot.index import PASSAGE, QUESTION, SENTENCE, Index
from bot.knowledge import Passage
from bot.text import WORD, content_words, general_frequency, ramp, stems

# A passage owns several vector rows (itself, each of its sentences, its FAQ question), so the nearest rows repeat
# passages: the dense search reads this many rows per candidate passage wanted, and at least MIN_DENSE_ROWS.
ROWS_PER_CANDIDATE = 8
MIN_DENSE_ROWS = 256
# Words shorter than this are never corrected: a letter off, a short word is as near to several others (care,
# cure, core) as to the one meant.
MIN_CORRECTED_LENGTH = 5

# The confidence of a question with nothing to answer: far below any cosine less a penalty, and finite, so that
# it compares, sorts and serialises like any other.
NO_CONFIDENCE = -1e9


@dataclass(frozen=True)
class Hit:
    passage: Passage
    score: float  # (1 - w) × fused + w × late; the first rerank_depth hits are ordered by it, the rest by fused
    dense: float  # best cosine of the query with the passage, one of its sentences or its FAQ question
    lexical: float = 0.0  # BM25 score
    matched: str = "passage"  # which view gave the best cosine: passage, sentence or question
    late: float = 0.0  # late interaction: mean over the query's tokens of their best cosine with the passage's
    fused: float = 0.0  # the weighted sum of the four views, before the rerank


@dataclass(frozen=True)
class Results:
    query: str
    hits: list[Hit]
    confidence: float = NO_CONFIDENCE  # how sure we are that hits[0] answers the query
    uncovered_words: tuple[str, ...] = ()  # unknown words not covered in meaning either: they lower the confidence
    corrections: dict[str, str] = field(default_factory=dict)  # misspelt word → document word
    encoded: str = ""  # the query as it went through the model, misspellings corrected
    tokens: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.float32), compare=False, repr=False)
    not_answered: str | None = None  # the question staff marked "not answered here" that the query is nearest to


def normalize_query(text: str) -> str:
    """Fold compatibility forms and drop control characters; keeps the meaning of odd input."""
    text = unicodedata.normalize("NFKC", text)
    text = "".join(" " if unicodedata.category(ch).startswith(("C", "Z")) else ch for ch in text)
    return " ".join(text.split())


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


class Searcher:
    def __init__(self, index: Index, embedder: Embedder, settings: SearchSettings | None = None):
        self.index = index
        self.embedder = embedder
        self.settings = settings or Settings().search
        self.lexical = LexicalIndex(index.passages, index.vocabulary)
        self._positions = {p.id: i for i, p in enumerate(index.passages)}  # passage rows come first
        self._vocabulary_rows = {word: i for i, word in enumerate(index.vocabulary)}
        self._faq_positions = [i for i, p in enumerate(index.passages) if p.question]
        self._faq_vectors = None
        if self._faq_positions:  # passage rows come first; one bulk read, not a call per row
            self._faq_vectors = index.search_index.reconstruct_n(0, len(index.passages))[self._faq_positions]

    def search(self, query: str, k: int = 10) -> Results:
        query = normalize_query(query)
        words = content_words(query)
        if not query or k <= 0:
            return Results(query, [])
        corrections, unknown = self._spell(words)
        spelled_words = [corrections.get(w, w) for w in words]
        unique = list(dict.fromkeys(spelled_words))
        spelled = _apply(query, corrections)
        vectors, tokens = self.embedder.encode_with_tokens([spelled, *unknown])
        query_tokens = tokens[0]
        similarity = self._vocabulary_similarity(unique, dict(zip(unknown, vectors[1:], strict=True)))
        views = self._dense(vectors[0])
        lexical = self.lexical.scores(spelled_words)
        lexical += self.settings.expansion_weight * self.lexical.weighted_scores(self._expansion(similarity))
        hits = self._rerank(self._fuse(views, lexical), query_tokens, k)
        in_answer = self._answer_coverage(unknown, spelled, query_tokens, hits)
        uncovered = self._uncovered(unknown, similarity, in_answer)
        confidence = self._confidence(hits, spelled_words, uncovered)
        not_answered = self._not_answered(vectors[0], float(views.max()) if views.size else 0.0)
        return Results(query, hits, confidence, tuple(uncovered), corrections, spelled, query_tokens, not_answered)

    def _not_answered(self, vector: np.ndarray, answerable: float) -> str | None:
        """The "not answered here" question nearer to the query than anything the documents answer, if any."""
        if not len(self.index.not_answered):
            return None
        similarity = self.index.not_answered_vectors @ vector
        best = int(similarity.argmax())
        return self.index.not_answered[best] if similarity[best] > answerable else None

    def neighbouring_questions(self, passage: Passage, exclude: set[str], count: int) -> list[Passage]:
        """The FAQ entries closest in meaning to a passage: follow-ups worth offering after it."""
        if self._faq_vectors is None or count <= 0:
            return []
        scores = self._faq_vectors @ self.index.search_index.reconstruct(self._positions[passage.id])
        wanted = min(len(scores), count + len(exclude) + 1)
        nearest = np.argpartition(-scores, wanted - 1)[:wanted]  # no full sort: FAQs may number thousands
        faq = [self.index.passages[self._faq_positions[i]] for i in nearest[np.argsort(-scores[nearest])]]
        return [p for p in faq if p.id not in exclude and p.question != passage.question][:count]

    def similarity(self, a: Passage, b: Passage) -> float:
        """Cosine of two passages' own vectors, to fold near-duplicates."""
        vector = self.index.search_index.reconstruct
        return float(vector(self._positions[a.id]) @ vector(self._positions[b.id]))

    def _spell(self, words: list[str]) -> tuple[dict[str, str], list[str]]:
        """Corrections for misspelt words, and the unknown words: those the documents do not use, nor misspelt."""
        corrections: dict[str, str] = {}
        unknown: list[str] = []
        for word in dict.fromkeys(words):
            if self.lexical.known(word):
                continue
            fixed = None
            if self.settings.spelling_correction:
                fixed = self.lexical.correct(word, self.settings.spelling_min_similarity)
            if fixed:
                corrections[word] = fixed
            else:
                unknown.append(word)
        return corrections, unknown

    def _vocabulary_similarity(self, words: list[str], encoded: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Each query word's cosine with every document word; the documents' own words were embedded at build."""
        vocabulary = self.index.vocabulary_vectors
        stored = {w: vocabulary[self._vocabulary_rows[w]] for w in words if w in self._vocabulary_rows}
        vectors = stored | encoded
        if not vectors or not len(vocabulary):
            return {}
        return dict(zip(vectors, np.array(list(vectors.values())) @ vocabulary.T, strict=True))

    def _uncovered(
        self, unknown: list[str], similarity: dict[str, np.ndarray], in_answer: dict[str, float]
    ) -> dict[str, float]:
        """How uncovered each unknown word is, from 0 to 1 (only those above 0).

        Fully when no document word comes close in meaning, nor any token of the answer in context, and
        the word is rare in general English; less when either is nearly a synonym, or the word is an
        everyday one.
        """
        s = self.settings
        degrees = {}
        for word in unknown:
            in_vocabulary = float(similarity[word].max()) if word in similarity else 0.0
            far = min(
                ramp(in_vocabulary, s.word_coverage, s.word_coverage_floor),
                ramp(in_answer.get(word, 0.0), s.answer_coverage, s.answer_coverage_floor),
            )
            degrees[word] = far * ramp(general_frequency(word), s.common_word_zipf, s.rare_word_zipf)
        return {word: degree for word, degree in degrees.items() if degree > 0}

    def _answer_coverage(
        self, words: list[str], query: str, query_tokens: np.ndarray, hits: list[Hit]
    ) -> dict[str, float]:
        """How near each word comes to the answer, read in context: the mean over the word's tokens in the
        query of their best cosine with the answer's tokens."""
        if not words or not hits or not len(query_tokens):
            return {}
        spans = self.embedder.token_spans(query)[: len(query_tokens)]
        found = [(m.group(0).casefold(), m.span()) for m in WORD.finditer(query)]
        coverage = {}
        for word in words:
            places = [span for casefolded, span in found if casefolded == word]
            rows = [i for i, (start, end) in enumerate(spans) if any(start < b and end > a for a, b in places)]
            if rows:
                coverage[word] = self._mean_max_sim(query_tokens[rows], hits[0].passage)
        return coverage

    def _expansion(self, similarity: dict[str, np.ndarray]) -> dict[str, float]:
        """Document words close in meaning to the query's words (not the same word): summed cosines."""
        s = self.settings
        if not similarity or s.expansion_weight <= 0:
            return {}
        own = set(stems(list(similarity)))
        count = min(s.expansion_terms, len(self.index.vocabulary))
        expansion: dict[str, float] = {}
        for row in similarity.values():
            for j in np.argpartition(-row, count - 1)[:count]:
                word = self.index.vocabulary[j]
                if row[j] >= s.expansion_similarity and stems([word])[0] not in own:
                    expansion[word] = expansion.get(word, 0.0) + float(row[j])
        return expansion

    def _dense(self, vector: np.ndarray) -> np.ndarray:
        """Best cosine per passage for each kind of row: an array of shape (3, passages)."""
        views = np.zeros((3, len(self.index.passages)), dtype=np.float32)
        total = self.index.search_index.ntotal
        depth = min(total, max(self.settings.candidates * ROWS_PER_CANDIDATE, MIN_DENSE_ROWS))
        scores, found = self.index.search_index.search(vector.reshape(1, -1), depth)
        valid = found[0] >= 0
        rows = found[0][valid]
        np.maximum.at(views, (self.index.kinds[rows], self.index.rows[rows]), scores[0][valid])
        return views

    def _fuse(self, views: np.ndarray, lexical: np.ndarray) -> list[Hit]:
        s = self.settings
        weights = np.array([s.passage_weight, s.sentence_weight, s.question_weight], dtype=np.float32)
        total = weights.sum() + s.lexical_weight
        fused = (weights @ views + s.lexical_weight * np.log1p(lexical)) / (total or 1.0)
        count = min(len(fused), s.candidates)
        best_dense = views.max(axis=0)
        candidates = set(np.argsort(-fused)[:count]) | set(np.argsort(-best_dense)[:count])
        ranked = sorted(candidates, key=lambda p: (-fused[p], self.index.passages[p].id))
        names = {PASSAGE: "passage", SENTENCE: "sentence", QUESTION: "question"}
        return [
            Hit(
                passage=self.index.passages[p],
                score=float(fused[p]),
                fused=float(fused[p]),
                dense=float(best_dense[p]),
                lexical=float(lexical[p]),
                matched=names[int(views[:, p].argmax())],
            )
            for p in ranked
        ]

    def _rerank(self, hits: list[Hit], query_tokens: np.ndarray, k: int) -> list[Hit]:
        """The best rerank_depth fused hits in the order of their scores with late interaction, then the rest
        in fused order (scored too): asking for more hits never changes the first ones."""
        weight = self.settings.late_interaction_weight
        if weight <= 0 or not len(query_tokens):
            return hits[:k]
        depth = self.settings.rerank_depth
        rescored = []
        for hit in hits[: max(k, depth)]:
            late = self._mean_max_sim(query_tokens, hit.passage)
            rescored.append(replace(hit, score=(1 - weight) * hit.fused + weight * late, late=late))
        head = sorted(rescored[:depth], key=lambda h: (-h.score, h.passage.id))
        return (head + rescored[depth:])[:k]

    def _mean_max_sim(self, query_tokens: np.ndarray, passage: Passage) -> float:
        """Late interaction (MeanMaxSim): each query token's best cosine with the passage's tokens, averaged."""
        tokens = self.index.passage_tokens(self._positions[passage.id])
        if not len(tokens) or not len(query_tokens):
            return 0.0
        return float((query_tokens @ tokens.T.astype(np.float32)).max(axis=1).mean())

    def _confidence(self, hits: list[Hit], words: list[str], uncovered: dict[str, float]) -> float:
        if not hits or not words:  # no word that carries meaning (".", an emoji, "what is it?"): nothing to answer
            return NO_CONFIDENCE
        weights = {w: self.lexical.idf(w) for w in words}
        share = sum(weights[w] * uncovered.get(w, 0.0) for w in weights) / sum(weights.values())
        return hits[0].dense - self.settings.unknown_word_penalty * share


def _apply(query: str, corrections: dict[str, str]) -> str:
    if not corrections:
        return query
    return WORD.sub(lambda m: corrections.get(m.group(0).casefold(), m.group(0)), query)
