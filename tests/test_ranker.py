"""The ranking a folder learns from its taught questions: fitted only where it ranks held-out ones better."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from test_search import faq_searcher

from bot.ranker import FEATURES, LearnedRanking, Pool, learn_ranking


def pools(count: int, signal: float, seed: int = 0) -> list[Pool]:
    """Pools of 20 candidates whose shipped score marks the right one a little, and feature 0 by `signal`."""
    rng = np.random.default_rng(seed)
    made = []
    for _ in range(count):
        features = rng.normal(size=(20, len(FEATURES)))
        right = np.zeros(20, dtype=bool)
        right[rng.integers(20)] = True
        features[right, 0] += signal
        made.append(Pool(features, rng.normal(size=20) + 0.5 * right, right))
    return made


def test_a_view_that_tells_the_right_passage_is_learned_and_ranks_unseen_pools_better():
    ranking = learn_ranking(pools(60, signal=3.0), minimum=30)
    assert ranking is not None and ranking.questions == 60
    shipped, learned = ranking.mrr
    assert learned > shipped + 0.2
    assert np.argmax(np.abs(ranking.weights)) == 0  # the feature that tells
    unseen = pools(40, signal=3.0, seed=1)
    first = [np.argmax(ranking.scores(p.features, p.base)) == np.flatnonzero(p.right)[0] for p in unseen]
    assert np.mean(first) > 0.6


def test_without_enough_questions_or_anything_to_learn_the_shipped_ranking_stays():
    assert learn_ranking(pools(20, signal=3.0), minimum=30) is None
    assert learn_ranking(pools(60, signal=0.0), minimum=30) is None  # noise: cross-validation finds no gain


def test_the_learned_ranking_reorders_the_rerank_in_the_share_that_teaching_trust_leaves(tmp_path: Path):
    taught = '[[taught]]\npassage = "Entry 0 › What are the symptoms?"\nquestions = ["what makes people feel ill"]\n'
    searcher = faq_searcher(tmp_path, taught)
    assert searcher.learned_ranking is None  # one taught question is too few to learn from
    question = "how does the virus spread"
    shipped = [h.passage.id for h in searcher.search(question).hits]
    weights = np.zeros(len(FEATURES))
    weights[FEATURES.index("rerank")] = -100.0  # a ranking that turns the rerank's order upside down
    searcher.learned_ranking = LearnedRanking(weights, np.zeros(len(FEATURES)), np.ones(len(FEATURES)), 1.0, 40, (0, 0))
    searcher._teaching_trust = 0.0
    hits = searcher.search(question).hits
    assert hits[0].passage.id != shipped[0]
    assert [h.rerank for h in hits] == sorted(h.rerank for h in hits)
    searcher._teaching_trust = 1.0  # teaching that predicts itself speaks through the taught view alone
    assert [h.passage.id for h in searcher.search(question).hits] == shipped


def test_an_untaught_folder_learns_nothing(tmp_path: Path):
    assert faq_searcher(tmp_path).learned_ranking is None
