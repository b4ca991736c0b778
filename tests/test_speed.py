"""The answer's per-question work after the model, done with less: the same numbers, computed once or from what
the pass already made (docs/performance.md)."""

from __future__ import annotations

import numpy as np
import pytest

from bot.config import Settings
from bot.embedding import SentenceEmbedder
from bot.urgent import ExampleList


def test_the_nearest_examples_of_several_pieces_come_from_one_product_as_from_one_each():
    rng = np.random.default_rng(3)
    tokens = [rng.normal(size=(n, 16)).astype(np.float32) for n in rng.integers(2, 9, size=40)]
    examples = ExampleList.of(tuple(f"example {i}" for i in range(40)), tokens)
    message = rng.normal(size=(12, 16)).astype(np.float32)
    pieces = [list(range(12)), [0, 1, 2, 3], [5, 6, 7, 8, 9]]
    picks = examples._nearest(message, pieces, 7)
    for rows, picked in zip(pieces, picks, strict=True):
        centroid = message[rows].mean(axis=0)
        nearness = examples.centroids @ (centroid / np.linalg.norm(centroid))
        assert list(picked) == sorted(np.argsort(-nearness)[:7])
    assert all(len(p) == 40 for p in examples._nearest(message, pieces, 50))


@pytest.mark.integration
def test_a_question_is_tokenized_once_its_spans_come_from_its_own_pass(real_settings: Settings):
    embedder = SentenceEmbedder.from_settings(real_settings.model)
    texts = ["I can't breathe, what do I do?", "side effects of nk cell therapy", "İstanbul café naïve " * 60]
    fresh = [embedder.token_spans(text) for text in texts]  # tokenized on their own, before any pass
    embedder.encode_with_tokens(texts)
    tokenized = []
    original = embedder._tokenized_spans

    def counting(text: str) -> list[tuple[int, int]]:
        tokenized.append(text)
        return original(text)

    embedder._tokenized_spans = counting
    assert [embedder.token_spans(text) for text in texts] == fresh
    assert not tokenized  # no text was tokenized again
    assert embedder.token_spans("never encoded") and tokenized == ["never encoded"]  # one the model has not seen is


@pytest.mark.integration
def test_the_rerank_reads_the_same_token_vectors_held_in_memory_as_from_the_file(real_assistant):
    from bot.scoring import LateInteraction

    searcher = real_assistant.searcher
    held = searcher.late_interaction
    assert held._held is not None  # this folder's tokens fit in the default tokens_in_memory_mb
    from_file = LateInteraction(held.index, held.embedder, held._positions, memory_mb=0)
    assert from_file._held is None
    _, (query,) = real_assistant.embedder.encode_with_tokens(["how long does the treatment take"])
    passages = real_assistant.index.passages[:30]
    for got, want in zip(held.max_sims(query, passages), from_file.max_sims(query, passages), strict=True):
        assert np.array_equal(got, want)


@pytest.mark.integration
def test_the_views_read_the_vectors_faiss_holds(real_assistant):
    searcher = real_assistant.searcher
    index = real_assistant.index.search_index
    rows = np.arange(index.ntotal)
    assert np.array_equal(searcher._vectors[rows], index.reconstruct_batch(rows))
    assert not searcher._vectors.flags.writeable


@pytest.mark.integration
def test_a_corrected_message_goes_through_the_model_once_and_its_own_words_are_still_read(real_settings: Settings):
    from bot.assistant import Assistant

    calls: list[list[str]] = []
    embedder = SentenceEmbedder.from_settings(real_settings.model)
    encode = embedder.encode_with_tokens

    def counted(texts, *args, **kwargs):
        calls.append(list(texts))
        return encode(texts, *args, **kwargs)

    embedder.encode_with_tokens = counted
    assistant = Assistant.load(real_settings.replace(answer_cache_size=0), embedder=embedder)
    message = "after the theraphy she started seeing things and doesnt know what year it is"
    assistant.ask("warm up the word cache: " + message)
    calls.clear()
    reply = assistant.ask(message)
    assert len(calls) == 1 and message.casefold() in calls[0]  # the words as typed in the search's own call ...
    assert reply.notice  # ... and read for the notice
    assert assistant.searcher.search(message.casefold()).corrections == {"theraphy": "therapy"}
