"""Search stage: a query → passages ranked best first, with their scores and one confidence.

Ranking has two stages, and each puts its signals on one scale before adding them: every signal is
standardised (less its mean, over its standard deviation) across the passages being ranked, so none
can outweigh the others by its range alone, whatever the folder. A BM25 score, unbounded and spread
wide over a folder where every entry names the topic, once decided rankings that cosines near 0.6
could not reverse.
First, over the passages the dense search and BM25 bring (candidates from each), the query's
cosine with the passage under its heading, with its FAQ question (the passage again when it has
none) and log(1 + BM25 over stemmed words, where each query word also brings the documents' words
nearest to it in meaning: "tired" brings "fatigue", "safe" "safety") are standardised and averaged.
Then the best of those are reranked by late interaction: each token of the question, in context, meets its most
similar token of the passage (MeanMaxSim), and for an FAQ entry also the most similar token of its question (a
thread's answer: of the thread's title, a question or not), or of a question staff taught to the passage when that
matches better and teaching in the folder predicts itself (see _taught_trust). Tokens count by how rare a close
match is among the reranked passages, as IDF does for words: "coronavirus" in a folder where every entry says it,
or says "COVID-19", decides nothing, while "symptoms" does. It reads the question against the passage word by word,
where one vector per text has to squeeze a whole passage into one point.
Confidence asks another question, "do the documents answer this at all?": it starts from
the answer's best cosine and its late interaction (whose token weights make the topic words every
candidate shares count for little, so that "how much does <topic> cost" meets the answer mostly
through "how much" and "cost"), and takes off for the query's informative words that the documents
neither use nor come close to ("cost", "insurance"), weighted by how informative they are in
the documents and in general English. A word comes close when some word of the documents
is near it in meaning, or when, read in context, it meets a token of the answer that is
("when is it not recommended", answered by a passage on when it "may not be suitable").

The Searcher combines; the lexical view (BM25, spelling) is bot/lexical.py's, standardising and late
interaction bot/scoring.py's.
"""

from __future__ import annotations

import hashlib
import json
import sys
import threading
import unicodedata
from dataclasses import asdict, dataclass, field, replace
from functools import lru_cache
from pathlib import Path

import faiss
import numpy as np

from bot.config import SearchSettings, Settings
from bot.embedding import Embedder
from bot.index import PASSAGE, QUESTION, SENTENCE, TAUGHT, Index
from bot.knowledge import Passage
from bot.lexical import LexicalIndex
from bot.ranker import RANKING_FILE, LearnedRanking, Pool, enough_to_learn, kept_ranking, learn_ranking
from bot.scoring import LateInteraction, standardised, taught_agreement, taught_reliability
from bot.text import WORD, about_the_asker, content_words, everyday_frequency, ramp, stems

# A passage owns several vector rows (itself, each of its sentences, its FAQ question), so the nearest rows repeat
# passages: the dense search reads this many rows per candidate passage wanted, and at least MIN_DENSE_ROWS.
ROWS_PER_CANDIDATE = 8
MIN_DENSE_ROWS = 256

# The confidence of a question with nothing to answer: far below any cosine less a penalty, and finite, so that
# it compares, sorts and serialises like any other.
NO_CONFIDENCE = -1e9


@dataclass(frozen=True)
class Hit:
    passage: Passage
    # (1 - w) × fused + w × rerank; the first rerank_depth hits are ordered by it (an entry's further parts after
    # the others: SearchSettings.entries_first), the rest by fused
    score: float
    dense: float  # best cosine of the query with the passage, one of its sentences or its FAQ question
    lexical: float = 0.0  # BM25 score
    matched: str = "passage"  # which view gave the best cosine: passage, sentence, question or taught
    late: float = 0.0  # late interaction: weighted mean over the query's tokens of their best cosine with the passage's
    fused: float = 0.0  # the weighted mean of the standardised views, before the rerank
    rerank: float = 0.0  # late interaction with the passage and with its FAQ question, standardised over the reranked
    taught: float = 0.0  # best cosine of the query with a question staff taught to the passage (0: none taught)
    # its standardised views in the fusion: passage, sentence, FAQ question, the better of those two, BM25
    views: tuple[float, ...] = ()


@dataclass(frozen=True)
class Results:
    query: str
    hits: list[Hit]
    confidence: float = NO_CONFIDENCE  # how sure we are that hits[0] answers the query
    uncovered_words: tuple[str, ...] = ()  # unknown words not covered in meaning either: they lower the confidence
    corrections: dict[str, str] = field(default_factory=dict)  # misspelt word → document word
    encoded: str = ""  # the query as it went through the model, misspellings corrected
    tokens: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.float32), compare=False, repr=False)
    # when a correction changed the query: the token vectors of the query as asked, from the same pass
    typed_tokens: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.float32), compare=False, repr=False)
    not_answered: str | None = None  # the question staff marked "not answered here" that the query is nearest to


def question_weight(faq_share: float, settings: SearchSettings) -> float:
    """The FAQ question view's weight in a folder where this share of passages has an FAQ question (config.py); a
    view turned off (0) stays off, and an FAQ folder never gets less than question_weight."""
    s = settings
    if s.question_weight <= 0:
        return 0.0
    if s.faq_share_from < s.faq_share_full:
        rise = ramp(faq_share, s.faq_share_from, s.faq_share_full)
    else:
        rise = float(faq_share >= s.faq_share_full)
    return s.question_weight + max(0.0, s.faq_question_weight - s.question_weight) * rise


def faq_share(index: Index) -> float:
    """The share of an index's passages with an FAQ question row of their own (none when questions are not embedded)."""
    return len(np.unique(index.rows[index.kinds == QUESTION])) / max(len(index.passages), 1)


# Full stops, commas and question marks of other scripts, as ASCII: they end a sentence or a part of one as "." "," "?"
# do (Arabic "؟" "،", Urdu "۔", Devanagari "।", Chinese and Japanese "。" "、", Ethiopic "።" "፣" "፧").
_SCRIPT_PUNCTUATION = str.maketrans(
    {"؟": "?", "،": ",", "۔": ".", "।": ".", "॥": ".", "。": ".", "、": ",", "።": ".", "፣": ",", "፧": "?"}
)


def normalize_query(text: str) -> str:
    """Fold compatibility forms and drop control characters; keeps the meaning of odd input. An invisible format
    character (a soft hyphen or zero-width space pasted from a web page: "ther\u00adapy") goes without a trace, so
    that it splits no word."""
    text = unicodedata.normalize("NFKC", text).translate(_SCRIPT_PUNCTUATION)
    text = "".join(_visible(ch) for ch in text)
    return " ".join(text.split())


def _visible(ch: str) -> str:
    category = unicodedata.category(ch)
    if category == "Cf":
        return ""
    return " " if category.startswith(("C", "Z")) else ch


class Searcher:
    def __init__(self, index: Index, embedder: Embedder, settings: SearchSettings | None = None):
        self.index = index
        self.embedder = embedder
        self.settings = settings or Settings().search
        self.lexical = LexicalIndex(index.passages, index.vocabulary)
        self._positions = {p.id: i for i, p in enumerate(index.passages)}  # passage rows come first
        self._vocabulary_rows = {word: i for i, word in enumerate(index.vocabulary)}
        self._faq_positions = [i for i, p in enumerate(index.passages) if p.question]
        self.question_weight = question_weight(faq_share(index), self.settings)
        self.entry_of = entries(index.passages)  # passage id -> the FAQ entry or thread it is part of
        self._taught = bool(np.any(index.kinds == TAUGHT))
        # Each passage's vector rows (its own, its sentences', its FAQ question's, those taught), to score exactly.
        order = np.argsort(index.rows, kind="stable")
        bounds = np.searchsorted(index.rows[order], np.arange(len(index.passages) + 1))
        self._passage_rows = [order[bounds[p] : bounds[p + 1]] for p in range(len(index.passages))]
        self._vectors = _stored_vectors(index.search_index)  # the rows FAISS holds, without a copy
        memory_mb = self.settings.tokens_in_memory_mb
        # In the rerank's question share a thread's title is its answers' question, as an FAQ entry's is: read whole
        # in its stead, a thread titled by a statement matched more of any question than a question's few words do,
        # and outranked the thread titled by a question that answered it (docs/quality-experiments.md)
        self.late_interaction = LateInteraction(index, embedder, self._positions, memory_mb, self.entry_of)
        self._word_vectors: dict[str, np.ndarray] = {}  # unknown words' vectors, oldest first (see _encode)
        self._word_lock = threading.Lock()
        self.taught_reliability = folder_taught_reliability(index, self._vectors)
        # how far this folder's teaching is trusted (in the rerank taught_late_floor at least): it predicts itself so
        s = self.settings
        self._teaching_trust = ramp(self.taught_reliability, s.taught_reliability_from, s.taught_reliability_full)
        self._faq_vectors = None
        if self._faq_positions:  # passage rows come first; one bulk read, not a call per row
            self._faq_vectors = index.search_index.reconstruct_n(0, len(index.passages))[self._faq_positions]
        # Where taught questions do not predict each other, the taught view counts for little; what they say about
        # which views answer this folder's questions is learned instead (bot/ranker.py), in the trust's stead.
        self.learned_ranking: LearnedRanking | None = None
        if self._teaching_trust < 1 and enough_to_learn(self._taught_asked(), s.learned_ranking_min_taught):
            # fitted once per build and search settings, kept beside the build: not at every load (bot/ranker.py)
            kept = index.path / RANKING_FILE
            others = (p for p in index.path.parent.glob(f"*/{RANKING_FILE}") if p != kept)
            earlier = sorted(others, reverse=True)  # other builds' (named by when they were built), newest first
            self.learned_ranking = kept_ranking(kept, _ranking_key(index, s), self._fit_ranking, earlier)

    def search(self, query: str, k: int = 10) -> Results:
        return self._search(query, k, teaching=True)

    def _taught_asked(self) -> int:
        """How many taught questions a fit asks: each a pool of which learn_ranking needs a minimum."""
        if not self._taught or self.settings.learned_ranking_min_taught <= 0:
            return 0
        return min(sum(len(p.phrasings) for p in self.index.passages), self.settings.learned_ranking_questions)

    def _fit_ranking(self) -> LearnedRanking | None:
        return learn_ranking(self._taught_pools(), self.settings.learned_ranking_min_taught)

    def _taught_pools(self) -> list[Pool]:
        """Up to learned_ranking_questions of the questions staff taught, spread evenly, each asked as if nothing
        were taught: its rerank pool, and which candidate is the passage it was taught to."""
        taught = [(q, p.id) for p in self.index.passages for q in p.phrasings]
        chosen = np.unique(np.linspace(0, len(taught) - 1, min(len(taught), self.settings.learned_ranking_questions)))
        pools = []
        for question, passage_id in (taught[int(i)] for i in chosen):
            head = self._search(question, self.settings.rerank_depth, teaching=False).hits
            if head:
                right = np.array([h.passage.id == passage_id for h in head])
                pools.append(Pool(_ranking_features(head), np.array([h.score for h in head]), right))
        return pools

    def _search(self, query: str, k: int, teaching: bool) -> Results:
        """search(), or with teaching=False the ranking alone, as if nothing were taught (the learned ranking is
        fitted so)."""
        query = normalize_query(query)
        words = content_words(query)
        if not query or k <= 0:
            return Results(query, [])
        corrections, unknown = self._spell(words)
        spelled_words = [corrections.get(w, w) for w in words]
        unique = list(dict.fromkeys(spelled_words))
        spelled = _apply(query, corrections)
        vector, query_tokens, word_vectors, typed_tokens = self._encode(spelled, unknown, query if corrections else "")
        similarity = self._vocabulary_similarity(unique, word_vectors)
        found = self._dense(vector)
        lexical = self.lexical.scores(spelled_words)
        lexical += self.settings.expansion_weight * self.lexical.weighted_scores(self._expansion(similarity))
        fused = self._fuse(vector, found, lexical, max(k, self.settings.rerank_depth), teaching)
        hits = self._rerank(fused, query_tokens, k, teaching)
        if not teaching:
            return Results(query, hits)
        in_answer = self._answer_coverage(unknown, spelled, query_tokens, hits)
        asked = _without_the_asker(unknown, unique)
        uncovered = _unvouched(self._uncovered(asked, similarity, in_answer), hits, self.settings.taught_confidence)
        reranked = self.settings.late_interaction_weight > 0 and len(query_tokens) > 0
        confidence = self._confidence(hits, spelled_words, uncovered, reranked)
        not_answered = self._not_answered(vector, float(np.max(found, initial=0.0)), confidence)  # best row, or 0
        return Results(
            query, hits, confidence, tuple(uncovered), corrections, spelled, query_tokens, typed_tokens, not_answered
        )

    def _encode(
        self, query: str, words: list[str], typed: str = ""
    ) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray], np.ndarray]:
        """The query's vector and token vectors, the words' vectors, and the token vectors of the query as typed
        (when given: a correction changed it): one pass through the model for the query, the words not met before,
        which are kept (the word_cache_size used last) for the questions after, and the typed query."""
        with self._word_lock:  # a word met again moves to the end, so the common ones are never the first to go
            cached = {w: self._word_vectors.pop(w) for w in words if w in self._word_vectors}
            self._word_vectors.update(cached)
        new = [w for w in words if w not in cached]
        vectors, tokens = self.embedder.encode_with_tokens([query, *new, *([typed] if typed else [])])
        fresh = {w: row.copy() for w, row in zip(new, vectors[1 : 1 + len(new)], strict=True)}  # not views of a batch
        with self._word_lock:
            for word, row in fresh.items() if self.settings.word_cache_size > 0 else ():
                if len(self._word_vectors) >= self.settings.word_cache_size:
                    del self._word_vectors[next(iter(self._word_vectors))]  # the least recently used
                self._word_vectors[word] = row
        typed_tokens = tokens[-1] if typed else np.zeros((0, vectors.shape[1]), np.float32)
        return vectors[0], tokens[0], {w: cached[w] if w in cached else fresh[w] for w in words}, typed_tokens

    def _not_answered(self, vector: np.ndarray, answerable: float, confidence: float) -> str | None:
        """The "not answered here" question nearer to the query than anything the documents answer, if any: one
        staff marked, or else a built-in everyday one (a price, opening hours, small talk) within everyday_similarity
        of the query, which a question must come close to, since staff did not choose it for this folder. Where the
        documents answer the query at not_answered_confidence or more, only one that is the same question (within
        taught_match) counts: a nearby one asks something else."""
        index, s = self.index, self.settings
        sure = confidence >= s.not_answered_confidence

        def turns_away(similarity: float) -> bool:
            return similarity > answerable and (not sure or similarity >= s.taught_match)

        marked = _nearest(index.not_answered, index.not_answered_vectors, vector)
        if marked and turns_away(marked[1]):
            return marked[0]
        everyday = _nearest(index.everyday, index.everyday_vectors, vector)
        if everyday and everyday[1] >= s.everyday_similarity and turns_away(everyday[1]):
            return everyday[0]
        return None

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
            frequency = everyday_frequency(word)
            if self.settings.spelling_correction and frequency < self.settings.spelling_real_word_zipf:
                edits = self.settings.spelling_max_edits if frequency == 0 else 0
                fixed = self.lexical.correct(word, self.settings.spelling_min_similarity, edits)
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
            degrees[word] = far * ramp(everyday_frequency(word), s.common_word_zipf, s.rare_word_zipf)
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
                coverage[word] = self.late_interaction.mean_max_sim(query_tokens[rows], hits[0].passage)
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
        """The best cosine of each passage the dense search finds (any of its rows); -inf for the others."""
        best = np.full(len(self.index.passages), -np.inf, dtype=np.float32)
        total = self.index.search_index.ntotal
        depth = min(total, max(self.settings.candidates * ROWS_PER_CANDIDATE, MIN_DENSE_ROWS))
        scores, found = self.index.search_index.search(vector.reshape(1, -1), depth)
        valid = found[0] >= 0
        np.maximum.at(best, self.index.rows[found[0][valid]], scores[0][valid])
        return best

    def _views(self, vector: np.ndarray, positions: np.ndarray, teaching: bool) -> tuple[np.ndarray, np.ndarray]:
        """Exact cosines of the query with each given passage's rows: (4, passages), -inf for a kind of row the
        passage lacks (sentences of a one-sentence passage, the question of a passage that is not an FAQ); and each
        passage's taught agreement (bot/scoring.py's taught_agreement; 0 in a folder with nothing taught). With
        teaching=False, as if nothing were taught: no taught cosines, no agreement."""
        spans = [self._passage_rows[p] for p in positions]
        rows = np.concatenate(spans)
        stored = self._vectors[rows] if self._vectors is not None else self.index.search_index.reconstruct_batch(rows)
        cosines = stored @ vector
        views = np.full((TAUGHT + 1, len(positions)), -np.inf, dtype=np.float32)
        owners = np.repeat(np.arange(len(positions)), [len(span) for span in spans])
        kinds = self.index.kinds[rows]
        np.maximum.at(views, (kinds, owners), cosines)
        agreement = np.zeros(len(positions))
        if not teaching:
            views[TAUGHT] = -np.inf
        elif self._taught:
            s = self.settings
            taught = kinds == TAUGHT
            agreement = taught_agreement(
                cosines[taught], owners[taught], len(positions), s.taught_neighbours, s.taught_temperature
            )
        return views, agreement

    def _fuse(
        self, vector: np.ndarray, found: np.ndarray, lexical: np.ndarray, limit: int, teaching: bool
    ) -> list[Hit]:
        """The best `limit` candidates (the best of the dense search and of BM25) by the weighted mean of their
        standardised views: the passage, its best sentence and its FAQ question (each the passage's own cosine
        when it has no such row) and log(1 + BM25)."""
        s = self.settings
        count = s.candidates
        dense_found = np.flatnonzero(np.isfinite(found))
        lexical_found = np.flatnonzero(lexical > 0)
        candidates = np.union1d(
            dense_found[np.argsort(-found[dense_found], kind="stable")[:count]],
            lexical_found[np.argsort(-lexical[lexical_found], kind="stable")[:count]],
        )
        if not len(candidates):
            return []
        views, agreement = self._views(vector, candidates, teaching)
        signals = np.where(np.isfinite(views), views, views[PASSAGE])
        # a taught question stands beside the passage's own wordings: the best of them, not one view more; and
        # several of a passage's taught questions near the query say more than its nearest one alone
        own = np.maximum(signals[PASSAGE], signals[QUESTION])
        signals[TAUGHT] = np.maximum(signals[TAUGHT], own) + s.taught_agreement * agreement
        signals = np.vstack([signals, np.log1p(lexical[candidates]), own])
        trust = self._taught_trust(views[TAUGHT])
        taught = s.taught_weight * trust  # an untaught folder ranks as before
        # a trusted taught view already holds the FAQ question's cosine: the folder's extra weight for it goes
        question = s.question_weight + (self.question_weight - s.question_weight) * (1.0 - trust)
        weights = np.array([s.passage_weight, s.sentence_weight, question, taught, s.lexical_weight])
        standard = standardised(signals)
        fused = weights @ standard[:-1] / (weights.sum() or 1.0)
        features = standard[[PASSAGE, SENTENCE, QUESTION, -1, -2]].T  # the learned ranking's, as FEATURES orders them
        best = views.max(axis=0)
        names = {PASSAGE: "passage", SENTENCE: "sentence", QUESTION: "question", TAUGHT: "taught"}
        ids = [self.index.passages[p].id for p in candidates]
        ranked = sorted(range(len(candidates)), key=lambda i: (-fused[i], ids[i]))
        order = _with_repeat(ranked, views[TAUGHT], s.taught_match, limit)
        return [
            Hit(
                passage=self.index.passages[candidates[i]],
                score=float(fused[i]),
                fused=float(fused[i]),
                dense=float(best[i]),
                lexical=float(lexical[candidates[i]]),
                matched=names[int(views[:, i].argmax())],
                taught=float(views[TAUGHT, i]) if np.isfinite(views[TAUGHT, i]) else 0.0,
                views=tuple(float(v) for v in features[i]),
            )
            for i in order
        ]

    def _taught_trust(self, taught: np.ndarray) -> float:
        """How much the taught view counts, 0 to 1: as much as the query comes near some question staff taught,
        and as much as the folder's taught questions find their own passage. Far from all of them, that view is
        only the best of each passage's own wordings, which misranks a folder of prose; near one, it is what staff
        said answers such a question, if teaching in this folder says that of a question's neighbours."""
        near = taught[np.isfinite(taught)]
        s = self.settings
        if not self._taught or not len(near):
            return 0.0
        return self._teaching_trust * ramp(float(near.max()), s.taught_trust_from, s.taught_trust_full)

    def _rerank(self, hits: list[Hit], query_tokens: np.ndarray, k: int, teaching: bool) -> list[Hit]:
        """The best rerank_depth fused hits in the order of their scores with late interaction, then the rest
        in fused order (scored too): asking for more hits never changes the first ones. An entry's second
        part ranks after the other reranked hits (entries_first). The late interaction scores and their token
        weights are LateInteraction.rerank_scores's (bot/scoring.py)."""
        s = self.settings
        weight = s.late_interaction_weight
        if weight <= 0 or not len(query_tokens) or not hits:
            return hits[:k]
        depth = min(s.rerank_depth, len(hits))
        scored = hits[: max(k, depth)]
        passages = [hit.passage for hit in scored]
        # a question taught to a reranked passage is one more of its questions at taught_late_floor at least: the
        # rerank sees only the fused best, so a stray taught neighbour lifts no passage from outside them
        trust = max(self._teaching_trust, s.taught_late_floor) if teaching and self._taught else 0.0
        late, rerank = self.late_interaction.rerank_scores(query_tokens, passages, depth, s, trust)
        rescored = [
            replace(hit, score=(1 - weight) * hit.fused + weight * float(r), late=float(mean), rerank=float(r))
            for hit, mean, r in zip(scored, late, rerank, strict=True)
        ]
        head = rescored[:depth]
        if self.learned_ranking is not None and teaching:
            # teaching speaks through the taught view as far as it predicts itself, through the learned ranking the
            # rest. The ranking was fitted on pools asked untaught (trust 0), while the rerank above read taught
            # questions at taught_late_floor: where both apply, teaching counts twice. A share of
            # 1 - max(trust, floor) instead was measured on NK dev to dev17 taught with tuning and on tuning's halves
            # and was no better (docs/quality-experiments.md); NK dev to dev17 chose the floor with this share.
            share = 1.0 - self._teaching_trust
            learned = self.learned_ranking.scores(_ranking_features(head), np.array([h.score for h in head]), share)
            head = [replace(h, score=float(score)) for h, score in zip(head, learned, strict=True)]
        head = sorted(head, key=lambda h: (-h.score, h.passage.id))
        if s.entries_first:
            head = _entries_first(head, self.entry_of)
        return _taught_first(head + rescored[depth:], s.taught_match)[:k]

    def with_further_parts(self, hits: list[Hit], count: int) -> list[Hit]:
        """The first `count` hits, and the further parts of the entries among them that the rerank put after other
        entries (entries_first): an answer goes on in its next part. Only from the reranked hits, which a deeper
        search never changes."""
        s = self.settings
        shown = hits[:count]
        if not s.entries_first or s.late_interaction_weight <= 0:  # nothing was put after: the first hits are all
            return shown
        entries = {self.entry_of.get(h.passage.id) for h in shown} - {None}
        return shown + [h for h in hits[count : s.rerank_depth] if self.entry_of.get(h.passage.id) in entries]

    def _confidence(self, hits: list[Hit], words: list[str], uncovered: dict[str, float], reranked: bool) -> float:
        """The answer's cosine, blended with its late interaction when the rerank ran, less the penalty for the
        uncovered share of the question's words (IDF-weighted)."""
        if not hits or not words:  # no word that carries meaning (".", an emoji, "what is it?"): nothing to answer
            return NO_CONFIDENCE
        s = self.settings
        weights = {w: self.lexical.idf(w) for w in words}
        share = sum(weights[w] * uncovered.get(w, 0.0) for w in weights) / sum(weights.values())
        late = s.confidence_late_share if reranked else 0.0
        return (1 - late) * hits[0].dense + late * hits[0].late - s.uncovered_word_penalty * share


def _without_the_asker(unknown: list[str], words: list[str]) -> list[str]:
    """The unknown words less those that say who asks or how they feel ("my husband", "desperate"), when the question
    names something else: those are not what it asks, so a folder that never uses them has not failed to cover it."""
    if all(about_the_asker(word) for word in words):
        return unknown
    return [word for word in unknown if not about_the_asker(word)]


def _unvouched(uncovered: dict[str, float], hits: list[Hit], near: float) -> dict[str, float]:
    """The uncovered words less those that staff used in a question taught to the answer, when the query comes
    within `near` of one: "drip" in "is it given by drip or injection", taught "is it given as a drip or an
    injection?". A word no taught question uses still counts ("pregnancy" in "is it safe during pregnancy")."""
    if not hits or hits[0].taught < near:
        return uncovered
    vouched = set(content_words(" ".join(hits[0].passage.phrasings)))
    return {word: share for word, share in uncovered.items() if word not in vouched}


def prepare_build(index: Index, embedder: Embedder, settings: SearchSettings) -> None:
    """Fit what a new build's first load would (the learned ranking) and keep it beside the build: build_index's
    `prepare`, so that no visitor after a publish waits for the fit."""
    Searcher(index, embedder, settings)


def folder_taught_reliability(index: Index, vectors: np.ndarray | None = None) -> float:
    """bot/scoring.py's taught_reliability over an index's taught questions (0 with fewer than two); `vectors`, the
    rows FAISS holds when at hand, saves reading them out of it."""
    rows = np.flatnonzero(index.kinds == TAUGHT)
    if len(rows) < 2:
        return 0.0
    stored = vectors[rows] if vectors is not None else index.search_index.reconstruct_batch(rows)
    return taught_reliability(np.asarray(stored, dtype=np.float32), index.rows[rows])


def _ranking_key(index: Index, settings: SearchSettings) -> dict:
    """What a learned ranking depends on, to find it kept beside a build, or beside an earlier build of the same
    folder: the build's inputs (its manifest holds the model's fingerprint and the knowledge files' digests, the taught
    questions' among them; not when it was built), the search settings, which shape every pool it is fitted on, and
    the code that asks and fits them, so that a ranking kept by other code is fitted again rather than trusted."""
    inputs = {name: value for name, value in index.manifest.items() if name != "built_at"}
    shaping = {name: value for name, value in asdict(settings).items() if name not in _SERVING_ONLY}
    return {"code": _code_digest(), "manifest": _digest(inputs), "search_settings": _digest(shaping)}


# Search settings that only a taught search reads: the pools are asked as if nothing were taught, so these leave
# the learned ranking as it was.
_SERVING_ONLY = ("taught_late_floor",)


# The modules whose code shapes a learned ranking: the fit, the ranking it asks, and what that scores with.
_RANKING_CODE = (__name__, "bot.ranker", "bot.scoring", "bot.lexical", "bot.text")


@lru_cache(maxsize=1)
def _code_digest() -> str:
    digest = hashlib.sha256()
    for module in _RANKING_CODE:
        digest.update(Path(sys.modules[module].__file__).read_bytes())
    return digest.hexdigest()


def _digest(data: dict) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


def _ranking_features(hits: list[Hit]) -> np.ndarray:
    """The reranked hits' features for the learned ranking, as bot/ranker.py's FEATURES orders them."""
    return np.array([(*hit.views, hit.rerank, hit.late) for hit in hits])


def _nearest(questions: list[str], vectors: np.ndarray, vector: np.ndarray) -> tuple[str, float] | None:
    """The question whose unit vector is nearest the query's, and its cosine; None when there are none."""
    if not len(questions):
        return None
    similarity = vectors @ vector
    best = int(similarity.argmax())
    return questions[best], float(similarity[best])


def _stored_vectors(search_index: faiss.Index) -> np.ndarray | None:
    """The vectors an exact (flat) FAISS index holds, as a read-only array over its own memory; None for another
    kind. Reading rows from it costs a fancy index, where reconstruct_batch crossed into FAISS on every question."""
    if not isinstance(search_index, faiss.IndexFlat) or not search_index.ntotal:
        return None
    count, dimension = search_index.ntotal, search_index.d
    vectors = faiss.rev_swig_ptr(search_index.get_xb(), count * dimension).reshape(count, dimension)
    vectors.flags.writeable = False
    return vectors


def _apply(query: str, corrections: dict[str, str]) -> str:
    if not corrections:
        return query
    return WORD.sub(lambda m: corrections.get(m.group(0).casefold(), m.group(0)), query)


def _with_repeat(ranked: list[int], taught: np.ndarray, threshold: float, limit: int) -> list[int]:
    """The first `limit` candidates, with the one whose taught question the query all but repeats in place of the
    last when it ranks below them: _taught_first puts it first, from among the hits. Where teaching counts for
    little (taught_reliability), the fusion may rank it anywhere."""
    order = ranked[:limit]
    best = int(np.argmax(taught)) if len(taught) else -1
    if limit < 1 or best < 0 or taught[best] < threshold or best in order:
        return order
    return [*order[: limit - 1], best]


Entry = tuple[str, tuple[str, ...]]  # a document's title and a passage's headings


def entries(passages: list[Passage]) -> dict[str, Entry]:
    """Each passage that is part of an entry, by id: under an FAQ question (a long answer's parts share it), or a
    thread's answer: a document whose one heading is its title, which other documents share (a document each,
    whatever the title). Sections of prose are none, even where documents share a title and a heading."""
    documents: dict[Entry, set[str]] = {}
    for passage in passages:
        documents.setdefault(_entry(passage), set()).add(passage.source.path)
    return {p.id: _entry(p) for p in passages if p.question or (_answer_of_thread(p) and len(documents[_entry(p)]) > 1)}


def _answer_of_thread(passage: Passage) -> bool:
    return passage.headings == (passage.source.title,)


def _entry(passage: Passage) -> Entry:
    return passage.source.title, passage.headings


def _entries_first(hits: list[Hit], entry_of: dict[str, Entry]) -> list[Hit]:
    """The hits in order, but an entry's second and later parts after every other hit: the first places go to
    different answers."""
    seen: set[Entry] = set()
    first, later = [], []
    for hit in hits:
        part_of = entry_of.get(hit.passage.id)
        (later if part_of in seen else first).append(hit)
        if part_of is not None:
            seen.add(part_of)
    return first + later


def _taught_first(hits: list[Hit], threshold: float) -> list[Hit]:
    """The hit taught a question the query all but repeats, first: staff said which passage answers those words,
    and the rerank's late interaction, which never sees taught questions, must not overrule them."""
    best = max(hits, key=lambda h: h.taught, default=None)
    if best is None or best.taught < threshold:
        return hits
    return [best, *(h for h in hits if h is not best)]
