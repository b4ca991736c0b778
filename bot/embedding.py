"""Sentence embeddings from a local sentence-transformers model, loaded lazily, once."""

from __future__ import annotations

import os
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

    from bot.config import Settings

# Weights come from a package on disk; nothing may reach for a model hub.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


class Embedder:
    """Turns texts into unit-length float32 vectors, so inner product is cosine similarity."""

    def __init__(self, model_path: str, model_name: str, batch_size: int = 32):
        self.model_path = model_path
        self.model_name = model_name
        self.batch_size = batch_size

    @cached_property
    def model(self) -> SentenceTransformer:
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()  # "Loading weights" bars on every CLI call
        return SentenceTransformer(self.model_path, device="cpu", local_files_only=True)

    @property
    def dimension(self) -> int:
        return int(self.model.get_embedding_dimension())

    def encode(self, texts: list[str], progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self.model.encode(
            texts,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=progress,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def token_spans(self, text: str) -> list[tuple[int, int]]:
        """Where in the text each of its tokens lies (start, end), in the order encode_with_tokens gives them."""
        encoded = self.model.tokenizer(
            text, return_offsets_mapping=True, truncation=True, max_length=self.model.max_seq_length
        )
        return [(int(start), int(end)) for start, end in encoded["offset_mapping"][1:-1]]

    def encode_with_tokens(self, texts: list[str], progress: bool = False) -> tuple[np.ndarray, list[np.ndarray]]:
        """Unit vectors of the texts and, from the same pass through the model, each text's unit token vectors
        in context, its [CLS] and [SEP] left out: the multi-vector view that late interaction compares."""
        outputs = self.model.encode(texts, batch_size=self.batch_size, output_value=None, show_progress_bar=progress)
        vectors = _unit_rows(np.stack([_array(o["sentence_embedding"]) for o in outputs]))
        tokens = [_array(o["token_embeddings"])[_array(o["attention_mask"]).astype(bool)][1:-1] for o in outputs]
        return vectors, [_unit_rows(t) for t in tokens]


def _array(value) -> np.ndarray:
    """A float32 numpy array from what the model returns (a torch tensor or an array)."""
    if hasattr(value, "detach"):
        value = value.detach().cpu().float().numpy()
    return np.asarray(value, dtype=np.float32)


def _unit_rows(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return np.ascontiguousarray(matrix / np.maximum(norms, 1e-12), dtype=np.float32)


def answer_threads(settings: Settings, cores: int) -> int:
    """Threads for each answer's model and numpy work: the cores shared by the answers running at once
    (two answers of two threads each on two cores run slower than with one thread each)."""
    return settings.model_threads or max(1, cores // max(1, settings.concurrency_limit))


def limit_threads(settings: Settings) -> int:
    """Cap the model's and numpy's threads for answering questions (the app, the console, ask, evaluate).

    One question is a small forward pass: torch's threads spin-wait for each other, and when another
    process holds a core each question stalls (measured: 354 ms a question with two threads on a busy
    2-core machine, 23 ms with one). Builds keep the default, where each batch is large.
    """
    import torch
    from threadpoolctl import threadpool_limits

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    threads = answer_threads(settings, cores)
    torch.set_num_threads(threads)
    threadpool_limits(limits=threads)
    return threads
