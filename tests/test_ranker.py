"""The ranking a folder learns from its taught questions: fitted only where it ranks held-out ones better."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from test_search import faq_searcher

import bot.search
from bot.config import Settings
from bot.index import load_index
from bot.ranker import FEATURES, RANKING_FILE, LearnedRanking, Pool, kept_ranking, learn_ranking
from bot.search import Searcher

from conftest import FakeEmbedder


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


# Every taught folder fits, however well its teaching predicts itself, from five taught questions on.
FITS_FROM_FIVE = {"learned_ranking_min_taught": 5, "taught_reliability_from": 2.0, "taught_reliability_full": 3.0}
TAUGHT = {
    "Entry 0 › What are the symptoms?": ["what makes people feel ill", "signs of being unwell", "do you get a cough"],
    "Entry 1 › Where did the virus come from?": ["origin of the virus", "did animals start it"],
    "Entry 2 › How does the virus spread?": ["can i catch it from hands", "is it passed on by droplets"],
    "Entry 3 › How long does the virus last on surfaces?": ["how long on plastic", "does it stay on tables"],
}


def same(a: LearnedRanking | None, b: LearnedRanking | None, rtol: float = 0.0) -> bool:
    """Two rankings alike to the last bit, or within rtol (and an absolute 1e-9) when given (or both None)."""
    if a is None or b is None:
        return a is b

    def close(x, y) -> bool:
        return np.allclose(x, y, rtol=rtol, atol=1e-9) if rtol else np.array_equal(x, y)

    arrays = all(close(getattr(a, name), getattr(b, name)) for name in ("weights", "mean", "spread"))
    return arrays and (a.penalty, a.questions) == (b.penalty, b.questions) and close(a.mrr, b.mrr)


def taught_faq(tmp_path: Path, taught: dict[str, list[str]] = TAUGHT) -> Path:
    """The FAQ folder of test_search taught nine questions (or those given), built; its index folder."""
    phrasings = "".join(f'[[taught]]\npassage = "{p}"\nquestions = {json.dumps(q)}\n' for p, q in taught.items())
    faq_searcher(tmp_path, phrasings)
    return tmp_path / "index"


def loaded(index_dir: Path, **settings: object) -> Searcher:
    """A searcher over the live build, with the search settings given beside FITS_FROM_FIVE."""
    settings = Settings(**FITS_FROM_FIVE, **settings).search
    return Searcher(load_index(index_dir, FakeEmbedder()), FakeEmbedder(), settings)


@pytest.fixture
def fits(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """learn_ranking as the searcher calls it, counted: one entry per fit, the pools it was given."""
    counted: list[int] = []

    def counting(pools: list[Pool], minimum: int) -> LearnedRanking | None:
        counted.append(len(pools))
        return learn_ranking(pools, minimum)

    monkeypatch.setattr(bot.search, "learn_ranking", counting)
    return counted


def test_a_build_is_fitted_once_and_later_loads_read_the_kept_ranking(tmp_path: Path, fits: list[int]):
    index_dir = taught_faq(tmp_path)
    first = loaded(index_dir)
    assert fits == [9]
    kept = first.index.path / RANKING_FILE
    assert kept.is_file() and not list(first.index.path.glob(".*.tmp"))
    second = loaded(index_dir)
    assert fits == [9] and first.learned_ranking is not None  # read, not fitted
    assert same(second.learned_ranking, first.learned_ranking)
    for question in ("how does it spread", "is a cough a sign", "where did it start"):
        assert [(h.passage.id, h.score) for h in second.search(question).hits] == [
            (h.passage.id, h.score) for h in first.search(question).hits
        ]


def test_a_garbled_or_otherwise_keyed_ranking_is_fitted_again_and_rewritten(tmp_path: Path, fits: list[int]):
    index_dir = taught_faq(tmp_path)
    kept = loaded(index_dir).index.path / RANKING_FILE
    short = json.loads(kept.read_text())
    short["ranking"]["weights"] = [1.0]
    for garbled in ("{", "[]", '{"key": 1}', kept.read_text().replace('"key"', '"yek"'), "", json.dumps(short)):
        kept.write_text(garbled, encoding="utf-8")
        loaded(index_dir)
        assert len(json.loads(kept.read_text())["ranking"]["weights"]) == len(FEATURES)  # rewritten whole
    assert len(fits) == 7
    loaded(index_dir, rerank_depth=Settings().rerank_depth + 1)  # another search setting: another fit
    assert len(fits) == 8
    loaded(index_dir, rerank_depth=Settings().rerank_depth + 1)
    assert len(fits) == 8
    loaded(index_dir, rerank_depth=Settings().rerank_depth + 1, taught_late_floor=0.9)  # not read by the pools
    assert len(fits) == 8
    taught_faq(tmp_path)  # a new build of the same folder, nothing changed: read from the earlier build
    rebuilt = loaded(index_dir, rerank_depth=Settings().rerank_depth + 1)
    assert len(fits) == 8 and (rebuilt.index.path / RANKING_FILE).is_file()
    spread = "Entry 2 › How does the virus spread?"
    taught = {**TAUGHT, spread: [*TAUGHT[spread], "is it airborne"]}
    taught_faq(tmp_path, taught)  # a question taught since: fitted again
    loaded(index_dir, rerank_depth=Settings().rerank_depth + 1)
    assert len(fits) == 9


def test_a_ranking_kept_by_other_code_is_fitted_again(tmp_path: Path, fits: list[int], monkeypatch):
    index_dir = taught_faq(tmp_path)
    loaded(index_dir)
    monkeypatch.setattr(bot.search, "_code_digest", lambda: "another version of the ranking's code")
    loaded(index_dir)
    assert len(fits) == 2


def test_a_ranking_that_cannot_be_kept_is_fitted_at_each_load_and_leaves_nothing_behind(tmp_path: Path, fits):
    index_dir = taught_faq(tmp_path)
    folder = load_index(index_dir, FakeEmbedder()).path
    (folder / RANKING_FILE).mkdir()  # neither read nor replaced, as in a folder the server may not write to
    loaded(index_dir)
    loaded(index_dir)
    assert len(fits) == 2 and not list(folder.glob(".*.tmp"))


def test_a_kept_ranking_reads_back_exactly(tmp_path: Path):
    ranking = learn_ranking(pools(60, signal=3.0), minimum=30)
    assert ranking is not None
    path, key = tmp_path / RANKING_FILE, {"build": "b", "settings": "s"}
    assert kept_ranking(path, key, lambda: ranking) is ranking

    def refit() -> None:
        raise AssertionError("a kept ranking was fitted again")

    read = kept_ranking(path, key, refit)
    assert read is not None and same(read, ranking)
    unseen = pools(10, signal=3.0, seed=1)
    assert all(np.array_equal(read.scores(p.features, p.base), ranking.scores(p.features, p.base)) for p in unseen)
    assert kept_ranking(path, {**key, "build": "c"}, lambda: None) is None  # another build: fitted, and none kept
    assert kept_ranking(path, {**key, "build": "c"}, refit) is None


def test_the_consoles_staged_build_and_rebuild_are_fitted_before_anything_loads_them(tmp_path: Path, fits: list[int]):
    from bot.console import StaffConsole
    from bot.console.index import IndexTab
    from bot.console.publishing import Publishing

    index_dir = taught_faq(tmp_path)
    (tmp_path / "eval").mkdir()
    (tmp_path / "eval" / "faq.jsonl").write_text('{"question": "how does it spread", "expect": ["droplets"]}\n')
    folders = {"knowledge_dir": tmp_path / "faq", "eval_dir": tmp_path / "eval", "data_dir": tmp_path / "data"}
    settings = Settings(**FITS_FROM_FIVE, **folders, index_dir=index_dir)
    console = StaffConsole(settings, embedder=FakeEmbedder())
    console.assistant()
    assert len(fits) == 1  # the live build, loaded before the file was written at build time
    phrasings = tmp_path / "faq" / "phrasings.toml"
    taught = '[[taught]]\npassage = "Entry 0 › What are the symptoms?"\nquestions = ["a fever?"]\n'
    phrasings.write_text(phrasings.read_text() + taught)
    staged = Publishing(console).stage("alice", "a question taught")
    assert staged.ok and len(fits) == 2  # fitted by the build; its preview, loading the staged build, read it
    assert (index_dir / "builds" / staged.build / RANKING_FILE).is_file()
    Publishing(console).publish("alice")
    console.assistant()  # follows the published build
    IndexTab(console).rebuild()  # nothing changed: the ranking the live build kept, made live at once
    assert len(fits) == 2 and (load_index(index_dir, FakeEmbedder()).path / RANKING_FILE).is_file()


@pytest.mark.integration
def test_python_m_bot_build_keeps_the_ranking_a_load_would_fit_with_the_real_model(
    real_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    import subprocess

    from bot.embedding import SentenceEmbedder
    from bot.evaluate import load_cases
    from bot.knowledge import load_knowledge
    from bot.teaching import teach_cases

    from conftest import ROOT, bot_command, copy_of_real

    settings = copy_of_real(real_settings, tmp_path)
    # Taught tuning and dev alone, a ranking is learned; taught as shipped, the taught view ranks as well without one
    (settings.knowledge_dir / "phrasings.toml").unlink()
    passages = load_knowledge(settings.knowledge_dir).passages
    for name in ("tuning", "dev"):
        teach_cases(settings.knowledge_dir, load_cases(ROOT / "tests" / "eval" / f"{name}.jsonl"), passages)
    subprocess.run(bot_command(settings, "build", "--quiet"), check=True, capture_output=True)
    embedder = SentenceEmbedder.from_settings(settings.model)

    def no_fit(pools: list[Pool], minimum: int) -> None:
        raise AssertionError("the build's first load fitted the learned ranking")

    with monkeypatch.context() as patch:
        patch.setattr(bot.search, "learn_ranking", no_fit)
        kept = Searcher(load_index(settings.index_dir, embedder), embedder, settings.search)
    assert kept.learned_ranking is not None and kept.learned_ranking.questions >= 30
    (kept.index.path / RANKING_FILE).unlink()
    fresh = Searcher(load_index(settings.index_dir, embedder), embedder, settings.search)
    # Fitted in another process, the real model's vectors may differ in their last bits (summed in another order
    # under load: 1e-8 in the weights was seen), so the two fits agree to that, and rank alike.
    assert same(fresh.learned_ranking, kept.learned_ranking, rtol=1e-6)
    for case in load_cases(ROOT / "tests" / "eval" / "heldout.jsonl")[:20]:
        kept_hits, fresh_hits = kept.search(case.question).hits, fresh.search(case.question).hits
        assert [h.passage.id for h in kept_hits] == [h.passage.id for h in fresh_hits]
        assert [h.score for h in kept_hits] == pytest.approx([h.score for h in fresh_hits], rel=1e-6, abs=1e-9)
