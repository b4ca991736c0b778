"""A ranking learned per folder from the questions staff taught it.

The rerank orders its pool by the shipped score, the same weights for every folder. A folder taught enough questions
says more: asked as if untaught, each taught question gives a pool of candidates, one of them the passage it was
taught to. A pairwise logistic model over each candidate's standardised views, beside the shipped score, learns
which views this folder's questions are answered by. It adjusts the score only where cross-validation on those
questions ranks them better than the shipped score alone; else the folder keeps the shipped ranking.
(docs/quality-experiments.md: fitted across folders it lost CovidFAQ 0.19 hit@1; fitted per folder it gained on each.)
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

# a candidate's standardised views in the fusion (the better of passage and FAQ question too), and its rerank scores
FEATURES = ("passage", "sentence", "question", "passage or question", "bm25", "rerank", "late")
PENALTIES = (1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0)  # L2 strengths tried, the strongest nearest the shipped ranking
FOLDS = 5
NEWTON_STEPS = 50


@dataclass(frozen=True)
class Pool:
    """One taught question's candidates: their features (rows, FEATURES), shipped scores, and which is right."""

    features: np.ndarray
    base: np.ndarray
    right: np.ndarray


@dataclass(frozen=True)
class LearnedRanking:
    """The shipped score plus a learned adjustment, in the shipped score's units."""

    weights: np.ndarray  # per standardised feature, divided by the shipped score's own fitted weight
    mean: np.ndarray
    spread: np.ndarray
    penalty: float
    questions: int  # taught questions it was fitted on
    mrr: tuple[float, float] = (0.0, 0.0)  # cross-validated MRR of those questions: shipped, learned

    def scores(self, features: np.ndarray, base: np.ndarray, share: float = 1.0) -> np.ndarray:
        return base + share * (((features - self.mean) / self.spread) @ self.weights)


def learn_ranking(pools: list[Pool], minimum: int) -> LearnedRanking | None:
    """The ranking these pools teach, when at least `minimum` of them can teach (the right passage is in the pool
    and not alone) and it ranks held-out pools better than the shipped score does; None otherwise."""
    usable = [p for p in pools if 0 < p.right.sum() < len(p.right)]
    if len(usable) < max(minimum, FOLDS):
        return None
    shipped = _mrr(usable, [p.base for p in usable])
    fold = np.arange(len(usable)) % FOLDS
    best_penalty, best_mrr = None, shipped
    for penalty in PENALTIES:
        scores: list[np.ndarray] = [np.empty(0)] * len(usable)
        for k in range(FOLDS):
            model = _fit([p for p, f in zip(usable, fold, strict=True) if f != k], penalty)
            for i in np.flatnonzero(fold == k):
                scores[i] = usable[i].base if model is None else model.scores(usable[i].features, usable[i].base)
        mrr = _mrr(usable, scores)
        if mrr > best_mrr + 1e-9:
            best_penalty, best_mrr = penalty, mrr
    if best_penalty is None:
        return None
    model = _fit(usable, best_penalty)
    return None if model is None else replace(model, mrr=(shipped, best_mrr))


def _fit(pools: list[Pool], penalty: float) -> LearnedRanking | None:
    """Both orientations of each right-wrong pair, each pool weighing the same: first the shipped score's own
    weight, then the features' beside it (penalised). None when the shipped score does not order the pairs."""
    features = np.vstack([p.features for p in pools])
    mean, spread = features.mean(axis=0), features.std(axis=0)
    spread[spread < 1e-9] = 1.0
    differences, base_differences, weights = [], [], []
    for pool in pools:
        right, wrong = np.flatnonzero(pool.right), np.flatnonzero(~pool.right)
        r, w = np.repeat(right, len(wrong)), np.tile(wrong, len(right))
        differences.append((pool.features[r] - pool.features[w]) / spread)
        base_differences.append(pool.base[r] - pool.base[w])
        weights.append(np.full(len(r), 1.0 / len(r)))
    a, b, w = np.vstack(differences), np.concatenate(base_differences), np.concatenate(weights)
    a, b, w = np.vstack([a, -a]), np.concatenate([b, -b]), np.concatenate([w, w])
    labels = np.concatenate([np.ones(len(w) // 2), np.zeros(len(w) // 2)])
    scale = _logistic(b[:, None], labels, w, 0.0, np.zeros(len(b)))[0]
    if scale <= 0:
        return None
    coefficients = _logistic(a, labels, w, penalty, scale * b)
    return LearnedRanking(coefficients / scale, mean, spread, penalty, len(pools))


def _logistic(x: np.ndarray, labels: np.ndarray, weights: np.ndarray, penalty: float, offset: np.ndarray) -> np.ndarray:
    """Weighted logistic regression without intercept, L2-penalised, by Newton's method; `offset` is added to the
    logit and not learned."""
    beta = np.zeros(x.shape[1])
    weights = weights / weights.sum()
    for _ in range(NEWTON_STEPS):
        p = 1 / (1 + np.exp(-np.clip(x @ beta + offset, -30, 30)))
        gradient = x.T @ (weights * (p - labels)) + penalty * beta
        hessian = (x * (weights * p * (1 - p))[:, None]).T @ x + (penalty + 1e-9) * np.eye(len(beta))
        step = np.linalg.solve(hessian, gradient)
        beta -= step
        if np.abs(step).max() < 1e-8:
            break
    return beta


def _mrr(pools: list[Pool], scores: list[np.ndarray]) -> float:
    """Mean reciprocal rank of each pool's right passage under its scores."""
    ranks = [1 + int(np.sum(s > s[p.right].max())) for p, s in zip(pools, scores, strict=True)]
    return float(np.mean([1.0 / r for r in ranks]))
