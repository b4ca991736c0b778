"""Micro-batching: questions that reach the model together share one pass; a lone one never waits."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from bot.batching import BatchedEmbedder
from bot.config import Settings
from bot.embedding import passes


class CountingEmbedder(BatchedEmbedder):
    """Records each pass through the "model"; a text's vector is a fixed function of the text."""

    def __init__(self, window_ms: float = 2.0, batch_max: int = 32, pass_seconds: float = 0.05):
        super().__init__("", "counting", batch_size=1000, window_ms=window_ms, batch_max=batch_max)
        self.passes: list[list[str]] = []
        self.torch_threads: list[int] = []
        self.pass_seconds = pass_seconds
        self.fail = False

    def _forward(self, texts: list[str], tokens: bool) -> tuple[np.ndarray, list[np.ndarray]]:
        import torch

        self.passes.append(list(texts))
        self.torch_threads.append(torch.get_num_threads())
        time.sleep(self.pass_seconds)  # a pass takes time: the next callers gather meanwhile
        if self.fail:
            raise RuntimeError("the model broke")
        return np.array([vector(t) for t in texts]), [np.array([vector(t)] * len(t.split())) for t in texts]


def vector(text: str) -> list[float]:
    return [len(text), sum(map(ord, text)) % 97, 1.0, 2.0]


def unit(text: str) -> np.ndarray:
    v = np.array(vector(text), dtype=np.float32)
    return v / np.linalg.norm(v)


def ask_at_once(embedder: BatchedEmbedder, questions: list[str]) -> list[tuple[np.ndarray, list[np.ndarray]]]:
    start = threading.Barrier(len(questions))

    def one(question: str):
        start.wait()
        return embedder.encode_with_tokens([question, f"{question} word"])

    with ThreadPoolExecutor(len(questions)) as pool:
        return list(pool.map(one, questions))


def test_questions_that_arrive_together_share_a_pass_and_each_gets_its_own_vectors():
    embedder = CountingEmbedder()
    questions = [f"question number {i}" for i in range(24)]
    results = ask_at_once(embedder, questions)
    assert len(embedder.passes) < len(questions) / 3, [len(p) for p in embedder.passes]
    assert sum(len(p) for p in embedder.passes) == 2 * len(questions)
    for question, (vectors, tokens) in zip(questions, results, strict=True):
        assert np.allclose(vectors[0], unit(question)) and np.allclose(vectors[1], unit(f"{question} word"))
        assert [len(t) for t in tokens] == [3, 4]


def test_the_model_threads_time_in_passes_is_counted():
    embedder = CountingEmbedder(pass_seconds=0.05)
    ask_at_once(embedder, [f"q{i}" for i in range(4)])
    # every pass sleeps 50 ms: that is time in passes, not CPU time (the last pass's may be added just after)
    assert embedder.busy_seconds >= 0.05 * (len(embedder.passes) - 1) * 0.9
    assert 0 <= embedder.busy_cpu_seconds < embedder.busy_seconds / 2


def test_a_pass_holds_at_most_batch_max_questions():
    embedder = CountingEmbedder(batch_max=4)
    ask_at_once(embedder, [f"q{i}" for i in range(20)])
    assert max(len(p) for p in embedder.passes) <= 4 * 2  # two texts per question


def test_short_texts_go_through_the_model_apart_from_a_long_one_rather_than_padded_to_it():
    embedder = CountingEmbedder(pass_seconds=0)
    long = "does the treatment hurt, and how long after the infusion can I drive home or go back to work? " * 2
    vectors, tokens = embedder.encode_with_tokens([long, "cost", "insurance", "hello"])
    assert embedder.passes == [[long], ["insurance", "hello", "cost"]]  # not four rows of the long one's length
    for text, row in zip([long, "cost", "insurance", "hello"], vectors, strict=True):
        assert np.allclose(row, unit(text))  # each caller's rows in its own order all the same


def test_passes_cover_every_text_once_in_order_and_keep_like_lengths_together():
    lengths = [60, 58, 40, 17, 16, 16, 15, 5, 4, 4, 3, 3]
    runs = passes(lengths, most=4)
    assert [i for run in runs for i in run] == list(range(len(lengths)))
    assert all(0 < len(run) <= 4 for run in runs)
    assert passes([15] * 10, most=32) == [range(10)]  # like lengths: one pass, however many
    assert passes([17, 5], most=32) == [range(2)]  # a question and one short word: a second pass costs more


def test_a_lone_question_does_not_wait_for_the_window():
    embedder = CountingEmbedder(window_ms=2000, pass_seconds=0)
    embedder.encode_with_tokens(["warm up"])
    started = time.perf_counter()
    with embedder.expect():  # announced, as Assistant.ask does: it is the one on its way, so nothing to wait for
        embedder.encode_with_tokens(["alone"])
    assert time.perf_counter() - started < 0.5


def test_a_pass_waits_within_the_window_for_a_question_on_its_way():
    embedder = CountingEmbedder(window_ms=3000, pass_seconds=0)
    embedder.encode_with_tokens(["warm up"])
    on_its_way, results = threading.Event(), []

    def late_question() -> None:
        with embedder.expect():
            on_its_way.set()
            time.sleep(0.3)  # spelling and the rest before it reaches the model
            results.append(embedder.encode_with_tokens(["late"]))

    late = threading.Thread(target=late_question)
    late.start()
    on_its_way.wait()
    results.append(embedder.encode_with_tokens(["early"]))
    late.join()
    assert embedder.passes[-1] in (["early", "late"], ["late", "early"])


def test_a_question_that_leaves_without_the_model_stops_the_wait():
    embedder = CountingEmbedder(window_ms=5000, pass_seconds=0)
    embedder.encode_with_tokens(["warm up"])
    with embedder.expect():
        pass  # answered from the cache: it never reaches the model
    started = time.perf_counter()
    embedder.encode_with_tokens(["next"])
    assert time.perf_counter() - started < 1


def test_a_failed_pass_fails_its_callers_and_the_next_pass_works():
    embedder = CountingEmbedder(pass_seconds=0)
    embedder.fail = True
    with pytest.raises(RuntimeError, match="the model broke"):
        embedder.encode_with_tokens(["doomed"])
    embedder.fail = False
    assert np.allclose(embedder.encode_with_tokens(["fine"])[0][0], unit("fine"))


def test_the_model_thread_runs_torch_with_the_threads_it_was_given():
    import torch

    embedder = CountingEmbedder(pass_seconds=0)
    embedder.threads = 1
    before = torch.get_num_threads()
    torch.set_num_threads(2)  # what the model thread would start with otherwise
    try:
        embedder.encode_with_tokens(["one"])
    finally:
        torch.set_num_threads(before)
    assert embedder.torch_threads == [1]


class SlowTokenizer:
    """Counts its copies and how many of them are in use at once."""

    copies = 0
    busy = 0
    most_busy = 0
    lock = threading.Lock()

    def __deepcopy__(self, memo: dict) -> SlowTokenizer:
        with SlowTokenizer.lock:
            SlowTokenizer.copies += 1
        return SlowTokenizer()

    def __call__(self, text: str, **options: object) -> dict:
        with SlowTokenizer.lock:
            SlowTokenizer.busy += 1
            SlowTokenizer.most_busy = max(SlowTokenizer.most_busy, SlowTokenizer.busy)
        time.sleep(0.01)
        with SlowTokenizer.lock:
            SlowTokenizer.busy -= 1
        return {"offset_mapping": [(0, 0), (0, len(text)), (0, 0)]}


def test_threads_tokenizing_at_once_share_a_few_tokenizer_copies():
    """A copy holds about 7 MB: one per thread grew the server by 30 MB a minute under load."""
    from bot.embedding import MAX_TOKENIZERS, SentenceEmbedder

    embedder = SentenceEmbedder("", "slow")
    embedder.__dict__["model"] = type("Model", (), {"tokenizer": SlowTokenizer(), "max_seq_length": 256})()
    texts = [f"text {i}" for i in range(64)]
    with ThreadPoolExecutor(32) as pool:
        spans = list(pool.map(embedder.token_spans, texts))
    assert spans == [[(0, len(text))] for text in texts]
    assert SlowTokenizer.copies == SlowTokenizer.most_busy == MAX_TOKENIZERS


def test_batch_settings_come_from_the_environment():
    settings = Settings.from_env({"BOT_BATCH_WINDOW_MS": "3.5", "BOT_BATCH_MAX": "8"})
    assert (settings.serve.batch_window_ms, settings.serve.batch_max) == (3.5, 8)
    with pytest.raises(ValueError, match="batch_max must be at least 1"):
        BatchedEmbedder("", "x", batch_max=0)


@pytest.mark.integration
def test_batched_answers_are_the_answers_asked_one_at_a_time(real_settings: Settings):
    from bot.assistant import Assistant

    questions = [
        "What are the side effects of NK cell therapy?",
        "how long does an infusion take",
        "Is it safe for older people?",
        "What does it cost?",
        "i have chest pain and cant breathe",
        "What are NK cells?",
        "where is the clinic",
        "can cancer patients get it",
    ] * 3
    plain = Assistant.load(real_settings.replace(answer_cache_size=0))
    batched = Assistant.load(
        real_settings.replace(answer_cache_size=0),
        embedder=BatchedEmbedder.batched(real_settings.model, real_settings.serve),
    )
    sizes: list[int] = []
    batched.embedder.on_batch = sizes.append
    start = threading.Barrier(len(questions))

    def ask(question: str):
        start.wait()
        return batched.ask(question)

    with ThreadPoolExecutor(len(questions)) as pool:
        together = list(pool.map(ask, questions))
    assert max(sizes) > 1, sizes  # they did share passes
    for question, reply in zip(questions, together, strict=True):
        alone = plain.ask(question)
        assert reply.answered == alone.answered and reply.notice == alone.notice, question
        assert [h.passage.id for h in reply.passages] == [h.passage.id for h in alone.passages], question
        assert [h.score for h in reply.passages] == pytest.approx([h.score for h in alone.passages], abs=1e-3)
