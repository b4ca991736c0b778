"""The scores search ranks by, apart from the Searcher that combines them: standardising a view over the
candidates, and late interaction (MeanMaxSim) of the query's tokens with each passage's stored token vectors."""

from __future__ import annotations

from collections.abc import Collection

import numpy as np

from bot.config import SearchSettings
from bot.embedding import Embedder
from bot.index import TAUGHT, Index
from bot.knowledge import Passage

TAUGHT_SAMPLE = 2000  # taught questions asked to measure taught_reliability: enough to tell 5% from 50%
TAUGHT_CHUNK = 500


class LateInteraction:
    """Token-level scores of a query against passages of one index: their token vectors were stored at build."""

    def __init__(
        self,
        index: Index,
        embedder: Embedder,
        positions: dict[str, int],
        memory_mb: float = 0,
        asked: Collection[str] | None = None,
    ):
        self.index = index
        self.embedder = embedder
        self._positions = positions  # passage id → its position in the index
        # The passages whose nearest heading is the question they answer: an FAQ entry's, and a thread's answers',
        # whose title is its question whether it ends in "?" or not (Searcher's entries); FAQ entries by default.
        self._asked = set(asked) if asked is not None else {p.id for p in index.passages if p.question}
        # Every passage's tokens as float32, read once, when they fit in memory_mb (SearchSettings.tokens_in_memory_mb)
        fits = len(index.tokens) * index.tokens.shape[1] * 4 <= memory_mb * 2**20
        # (by numpy: once, and torch is not loaded for it; float16 to float32 is exact either way)
        self._held = index.tokens.rows(0, len(index.tokens)).astype(np.float32) if fits and len(index.tokens) else None
        # A passage's tokens begin with its nearest heading's, when the build embedded headings (see embedding_text).
        self._questions_embedded = bool(index.manifest.get("embedded", {}).get("headings", True))
        self._question_lengths: dict[int, int] = {}
        # Each passage's taught questions (their ranks among the TAUGHT rows) as runs of token rows, and their tokens
        # as the passages' are
        owners, offsets = index.rows[index.kinds == TAUGHT], index.taught_token_offsets
        self._taught_runs = {
            index.passages[p].id: _runs(np.flatnonzero(owners == p), offsets) for p in np.unique(owners)
        }
        taught = index.taught_tokens
        fits = len(taught) * taught.shape[1] * 4 <= memory_mb * 2**20
        self._taught_held = taught.rows(0, len(taught)).astype(np.float32) if fits and len(taught) else None

    def rerank_scores(
        self,
        query_tokens: np.ndarray,
        passages: list[Passage],
        depth: int,
        settings: SearchSettings,
        taught_trust: float = 0.0,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Each passage's weighted late interaction, and its rerank score: that and the late interaction with its
        question, an FAQ entry's or a thread's title (late_question_share of it), standardised over the first
        `depth` passages.

        Each query token's best cosine with a passage's tokens counts by how rare a close match (at least
        late_match_similarity) is among the first `depth` passages, as IDF weighs a word by the documents that
        use it: a token every candidate matches, such as the topic every entry names, decides nothing.
        A question staff taught to a passage is one more way of asking it: the question's share takes the better
        of the FAQ question's and the best taught question's late interaction, by `taught_trust` (0 to 1: how far
        teaching in this folder predicts itself, and at least SearchSettings.taught_late_floor where anything was
        taught), so a folder where nothing was taught ranks as it would untaught."""
        whole, question = self.max_sims(query_tokens, passages)
        matches = (whole[:, :depth] >= settings.late_match_similarity).sum(axis=1)
        token_weights = np.log((depth + 1) / (matches + 0.5))
        token_weights /= token_weights.sum()
        late = token_weights @ whole
        asked = token_weights @ question
        if taught_trust > 0:
            gain = self.taught_late(query_tokens, passages, token_weights) - asked  # -inf where nothing was taught
            asked = asked + taught_trust * np.maximum(gain, 0.0)
        share = settings.late_question_share
        rerank = np.array([1 - share, share]) @ standardised(np.vstack([late, asked]), depth)
        return late, rerank

    def taught_late(self, query_tokens: np.ndarray, passages: list[Passage], token_weights: np.ndarray) -> np.ndarray:
        """Each passage's best late interaction (query tokens weighted by token_weights) with one of the questions
        taught to it; -inf for a passage taught none."""
        best = np.full(len(passages), -np.inf)
        if not len(query_tokens):
            return best
        for i, passage in enumerate(passages):
            for start, end, starts in self._taught_runs.get(passage.id, ()):
                # one product per run of a passage's questions, on the stored rows as they lie: no copy
                similarities = self._taught_rows(start, end) @ query_tokens.T
                scores = np.maximum.reduceat(similarities, starts, axis=0) @ token_weights
                best[i] = max(best[i], float(scores.max()))
        return best

    def max_sims(self, query_tokens: np.ndarray, passages: list[Passage]) -> tuple[np.ndarray, np.ndarray]:
        """Each query token's best cosine with each passage's tokens, and with its question's tokens (an FAQ
        entry's or a thread's title; the passage's again for another): two arrays of shape (query tokens, passages)."""
        blocks = [self._tokens(self._positions[p.id]) for p in passages]
        sizes = np.array([len(b) for b in blocks])
        whole = np.zeros((len(query_tokens), len(passages)), dtype=np.float32)
        question = np.zeros_like(whole)
        present = np.flatnonzero(sizes)
        if not len(present):
            return whole, question
        similarities = as_float32(np.concatenate([blocks[i] for i in present])) @ query_tokens.T  # one product for all
        starts = np.concatenate([[0], np.cumsum(sizes[present])[:-1]])
        whole[:, present] = np.maximum.reduceat(similarities, starts, axis=0).T
        asked = np.array([min(self.question_length(passages[i]), sizes[i]) for i in present])
        question[:, present] = whole[:, present]
        faq = np.flatnonzero(asked)
        if len(faq):  # each question's tokens come first in its passage: the maxima over [start, start + asked)
            bounds = np.ravel(np.column_stack([starts[faq], starts[faq] + asked[faq]]))
            spans = np.maximum.reduceat(similarities, bounds[bounds < len(similarities)], axis=0)
            question[:, present[faq]] = spans[::2].T
        return whole, question

    def _tokens(self, position: int) -> np.ndarray:
        """A passage's token vectors: float32 when held in memory, else float16 from the file."""
        if self._held is None:
            return self.index.passage_tokens(position)
        return self._held[self.index.token_offsets[position] : self.index.token_offsets[position + 1]]

    def _taught_rows(self, start: int, end: int) -> np.ndarray:
        """Rows start to end of the taught questions' token vectors, as float32."""
        if self._taught_held is None:
            return as_float32(self.index.taught_tokens.rows(start, end))
        return self._taught_held[start:end]

    def question_length(self, passage: Passage) -> int:
        """How many of a passage's tokens are the question it answers (they come first): an FAQ entry's question, a
        thread answer's title; 0 for another passage, which is read whole in the question's share too."""
        if passage.id not in self._asked or not passage.headings or not self._questions_embedded:
            return 0
        position = self._positions[passage.id]
        if position not in self._question_lengths:
            self._question_lengths[position] = len(self.embedder.token_spans(passage.headings[-1]))
        return self._question_lengths[position]

    def mean_max_sim(self, query_tokens: np.ndarray, passage: Passage) -> float:
        """Late interaction (MeanMaxSim): each query token's best cosine with the passage's tokens, averaged."""
        tokens = self._tokens(self._positions[passage.id])
        if not len(tokens) or not len(query_tokens):
            return 0.0
        return float((query_tokens @ as_float32(tokens).T).max(axis=1).mean())


def _runs(ranks: np.ndarray, offsets: np.ndarray) -> list[tuple[int, int, np.ndarray]]:
    """A passage's taught questions (ranks) as runs of neighbouring ones: each run's first and last token rows, and
    where each of its questions with tokens starts within it."""
    runs = []
    for run in np.split(ranks, np.flatnonzero(np.diff(ranks) != 1) + 1):
        begins, ends = offsets[run], offsets[run + 1]
        if ends[-1] > begins[0]:
            runs.append((int(begins[0]), int(ends[-1]), (begins - begins[0])[ends > begins]))
    return runs


def as_float32(tokens: np.ndarray) -> np.ndarray:
    """Stored token vectors (float16) as float32, through torch: numpy's own conversion takes 15 times as long,
    more than the product they go into."""
    if tokens.dtype == np.float32:
        return tokens
    import torch  # only here: a server whose model runs in another process need not load torch at all

    if not tokens.flags.writeable or not tokens.flags.c_contiguous:  # torch takes only writable, contiguous memory
        tokens = np.array(tokens)
    return torch.from_numpy(tokens).float().numpy()


def taught_agreement(
    cosines: np.ndarray, owners: np.ndarray, passages: int, neighbours: int, temperature: float
) -> np.ndarray:
    """How much each passage's taught questions agree, beyond its nearest one, that it answers the query.

    The query's `neighbours` nearest taught questions (cosines, each owned by one of `passages`) vote with
    softmax weights at `temperature`; a passage gets the weight of its questions other than its nearest. So a
    passage whose one taught question is nearest gets nothing from it (its cosine already counts in the taught
    view), nor does any passage of a folder where each was taught one question: the vote only adds where a
    passage was taught several ways of asking, and several of them come near."""
    agreement = np.zeros(passages)
    if not len(cosines) or neighbours <= 0 or temperature <= 0:
        return agreement
    nearest = np.argsort(-cosines, kind="stable")[:neighbours]
    weights = np.exp((cosines[nearest] - cosines[nearest[0]]) / temperature)
    weights /= weights.sum()
    first = np.zeros(passages)
    np.add.at(agreement, owners[nearest], weights)
    np.maximum.at(first, owners[nearest], weights)
    return agreement - first


def taught_reliability(vectors: np.ndarray, owners: np.ndarray, sample: int = TAUGHT_SAMPLE) -> float:
    """The share of taught questions whose nearest other taught question (by cosine of their unit `vectors`) was
    taught to the same passage (`owners`): how far teaching predicts itself, left one out. 0 with fewer than two.
    Beyond `sample` questions, that many spread evenly over them are asked, each against all."""
    if len(vectors) < 2:
        return 0.0
    asked = np.unique(np.linspace(0, len(vectors) - 1, min(sample, len(vectors))).astype(int))
    same = 0
    for start in range(0, len(asked), TAUGHT_CHUNK):  # bounds the cosine matrix's memory on a large folder
        rows = asked[start : start + TAUGHT_CHUNK]
        cosines = vectors[rows] @ vectors.T
        cosines[np.arange(len(rows)), rows] = -np.inf  # itself left out
        same += int(np.sum(owners[cosines.argmax(axis=1)] == owners[rows]))
    return same / len(asked)


def standardised(rows: np.ndarray, among: int | None = None) -> np.ndarray:
    """Each row less its mean, over its standard deviation, both taken over its first `among` values (all by
    default); a row whose values there do not differ becomes all 0."""
    reference = rows[:, :among]
    spread = reference.std(axis=1, keepdims=True)
    return np.where(spread > 1e-9, (rows - reference.mean(axis=1, keepdims=True)) / np.maximum(spread, 1e-9), 0.0)
