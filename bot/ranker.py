"""A ranking learned per folder from the questions staff taught it.

The rerank orders its pool by the shipped score, the same weights for every folder. A folder taught enough questions
says more: asked as if untaught, each taught question gives a pool of candidates, one of them the passage it was
taught to. A pairwise logistic model over each candidate's standardised views, beside the shipped score, learns
which views this folder's questions are answered by. It adjusts the score only where cross-validation on those
questions ranks them better than the shipped score alone; else the folder keeps the shipped ranking.
(docs/quality-experiments.md: fitted across folders it lost CovidFAQ 0.19 hit@1; fitted per folder it gained on each.)

Fitting asks every taught question through the model, seconds per folder, so a fitted ranking (or the finding that
none ranks better) is kept in a small JSON file beside the build it was fitted on, under a key of what it depends on:
a later load with the same key reads it instead of fitting again.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from bot.atomic import write_atomically

log = logging.getLogger(__name__)

# a candidate's standardised views in the fusion (the better of passage and FAQ question too), and its rerank scores
FEATURES = ("passage", "sentence", "question", "passage or question", "bm25", "rerank", "late")
PENALTIES = (1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0)  # L2 strengths tried, the strongest nearest the shipped ranking
FOLDS = 5
NEWTON_STEPS = 50
RANKING_FILE = "learned_ranking.json"  # in a build's folder, beside its manifest


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
    if not enough_to_learn(len(usable), minimum):
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


def enough_to_learn(questions: int, minimum: int) -> bool:
    """Whether this many usable taught questions may teach a ranking: at least `minimum`, and one per fold."""
    return questions >= max(minimum, FOLDS)


def kept_ranking(
    path: Path, key: dict, fit: Callable[[], LearnedRanking | None], earlier: Iterable[Path] = ()
) -> LearnedRanking | None:
    """The ranking kept at `path` under `key`, or else at one of `earlier` under the same key (another build of the
    same folder and settings: a rebuild with nothing changed), copied to `path`; else fit() now, kept at `path` for
    the next load if the folder lets us."""
    try:
        return _read_ranking(path, key)
    except FileNotFoundError:
        pass
    except (OSError, ValueError, TypeError, KeyError) as err:
        log.info("fitting the learned ranking again: %s %s", path, err)
    for other in earlier:
        try:
            ranking = _read_ranking(other, key)
        except (OSError, ValueError, TypeError, KeyError):
            continue
        _keep(path, key, ranking)
        return ranking
    ranking = fit()
    _keep(path, key, ranking)
    return ranking


def _keep(path: Path, key: dict, ranking: LearnedRanking | None) -> None:
    try:
        write_atomically(path, json.dumps({"key": key, "ranking": _ranking_json(ranking)}, indent=1))
    except OSError as err:  # a read-only index folder: every load fits, as before the file
        log.warning("could not keep the learned ranking in %s (%s); each load fits it again", path, err)


def _read_ranking(path: Path, key: dict) -> LearnedRanking | None:
    """The ranking kept at `path` (None: none ranked better), raising when the file is garbled or keyed otherwise."""
    data = json.loads(path.read_text(encoding="utf-8"))
    if data["key"] != key:
        raise ValueError("it was fitted on another build or with other search settings")
    kept = data["ranking"]
    if kept is None:
        return None
    arrays = [np.array(kept[name], dtype=float) for name in ("weights", "mean", "spread")]
    if any(a.shape != (len(FEATURES),) or not np.all(np.isfinite(a)) for a in arrays):
        raise ValueError("its weights are garbled")
    shipped, learned = (float(m) for m in kept["mrr"])
    return LearnedRanking(*arrays, float(kept["penalty"]), int(kept["questions"]), (shipped, learned))


def _ranking_json(ranking: LearnedRanking | None) -> dict | None:
    """A ranking as JSON, every float exactly (json writes the shortest repr that reads back the same)."""
    if ranking is None:
        return None
    return {
        "weights": ranking.weights.tolist(),
        "mean": ranking.mean.tolist(),
        "spread": ranking.spread.tolist(),
        "penalty": ranking.penalty,
        "questions": ranking.questions,
        "mrr": list(ranking.mrr),
    }


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
