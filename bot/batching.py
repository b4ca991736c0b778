"""One pass through the model for the questions that arrive together: micro-batching of encodes.

A question costs one forward pass of the model, and a pass over 8 short questions costs about half as much
per question as 8 passes of one. `BatchedEmbedder` is an Embedder that many threads (the chat's answers and
the JSON API's) may call at once: each call hands its texts to one model thread and waits. That thread takes
every call waiting, up to `batch_max` questions, and runs their texts through the model in one call; while
it does, the next calls gather. The rest of each answer (ranking, the reply) goes on in the caller's thread.

The model thread is where the questions of a busy server queue: `busy_seconds` and `busy_cpu_seconds` say how long
it has spent in passes and how much of that it ran on a core (the rest it waited for one, or for the GIL), for
/metrics.

Before a pass it waits up to `batch_window_ms` for more, but only while other questions are on their way to
the model (they are inside `Assistant.ask`, announced with `expect()`, and have not reached it yet): a lone
question goes through at once, no slower than without batching.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field

import numpy as np

from bot.config import ModelSettings, ServeSettings
from bot.embedding import Embedder, SentenceEmbedder, serving_threads

log = logging.getLogger(__name__)

Encoded = tuple[np.ndarray, list[np.ndarray]]


@dataclass(eq=False)
class _Call:
    """One caller's texts, waiting for the model thread to fill in the result (or the error)."""

    texts: list[str]
    tokens: bool
    done: threading.Event = field(default_factory=threading.Event)
    result: Encoded | None = None
    error: BaseException | None = None


class BatchedEmbedder(SentenceEmbedder):
    """An Embedder whose encodes from concurrent threads share one forward pass (see the module's docstring).

    on_batch, if given, is called after each pass with the number of questions it held (for /metrics).
    """

    def __init__(
        self,
        model_path: str,
        model_name: str,
        batch_size: int = 32,
        window_ms: float = 2.0,
        batch_max: int = 32,
        on_batch: Callable[[int], None] | None = None,
        threads: int = 0,
        runtime: str = "torch",
    ):
        super().__init__(model_path, model_name, batch_size, runtime)
        if batch_max < 1 or window_ms < 0:
            raise ValueError(f"batch_max must be at least 1, batch_window_ms at least 0; got {batch_max}, {window_ms}")
        self.window = window_ms / 1000
        self.batch_max = batch_max
        self.on_batch = on_batch
        self.threads = threads  # torch threads of the model thread (0: as torch has them when it starts)
        self._ready = threading.Condition()
        self._waiting: list[_Call] = []
        self._coming = 0  # questions announced by expect() that have not reached the model yet
        self._local = threading.local()
        self._worker: threading.Thread | None = None
        self.busy_seconds = 0.0  # wall time the model thread spent in passes (only it adds to these)
        self.busy_cpu_seconds = 0.0  # ... and the CPU time it ran in them

    @classmethod
    def batched(cls, model: ModelSettings, serve: ServeSettings) -> BatchedEmbedder:
        """The configured model (not loaded yet), batched as the serve settings say, its thread given the threads
        each answer gets (bot.embedding.serving_threads)."""
        path, name, size = model.resolved_model_path(), model.model_name, model.embed_batch_size
        threads = serving_threads(serve)
        window, most, runtime = serve.batch_window_ms, serve.batch_max, model.model_runtime
        return cls(path, name, size, window, most, threads=threads, runtime=runtime)

    @property
    def session_threads(self) -> int:
        """The model thread's own count, as torch's is set in it (_set_threads)."""
        return self.threads

    @property
    def waiting(self) -> int:
        """Questions waiting for the model thread (for /metrics)."""
        with self._ready:
            return len(self._waiting)

    @contextmanager
    def expect(self) -> Iterator[None]:
        """Announce a question on its way to the model, so that a pass about to start waits for it (briefly)."""
        with self._ready:
            self._coming += 1
        self._local.expected = True
        try:
            yield
        finally:
            if getattr(self._local, "expected", False):
                self._local.expected = False
                with self._ready:
                    self._coming -= 1

    def encode_with_tokens(self, texts: list[str], progress: bool = False, tokens: bool = True) -> Encoded:
        if not texts or progress or threading.current_thread() is self._worker:  # a build, or the model thread
            return self._direct(texts, progress, tokens)
        call = _Call(list(texts), tokens)
        with self._ready:
            if getattr(self._local, "expected", False):
                self._local.expected = False
                self._coming -= 1
            self._waiting.append(call)
            self._start()
            self._ready.notify_all()
        call.done.wait()
        if call.error is not None:
            raise call.error
        assert call.result is not None
        return call.result

    def _direct(self, texts: list[str], progress: bool, tokens: bool) -> Encoded:
        """Texts through the model in the calling thread, not batched with others'."""
        return super().encode_with_tokens(texts, progress, tokens)

    def _pass(self, texts: list[str], tokens: bool) -> Encoded:
        """One batch's texts through the model (in the model thread)."""
        return super().encode_with_tokens(texts, tokens=tokens)

    def _start(self) -> None:
        """The model thread, started on the first call (under the lock)."""
        if self._worker is None:
            self._worker = threading.Thread(target=self._serve, name="model-batches", daemon=True)
            self._worker.start()

    def _serve(self) -> None:
        self._set_threads()
        while True:
            batch = self._gather()
            started, cpu = time.perf_counter(), time.thread_time()
            self._run(batch)
            self.busy_cpu_seconds += time.thread_time() - cpu
            self.busy_seconds += time.perf_counter() - started

    def _set_threads(self) -> None:
        """Torch's thread count is each thread's own once it has run: set the model thread's (in it). ONNX
        Runtime's session has its one thread already (bot/onnx_runtime.py)."""
        if self.threads and self.runtime == "torch":
            import torch

            torch.set_num_threads(self.threads)

    def _gather(self) -> list[_Call]:
        """The next batch: every call waiting (up to batch_max), then those that come within the window while
        questions announced by expect() are still on their way."""
        with self._ready:
            while not self._waiting:
                self._ready.wait()
            deadline = time.monotonic() + self.window
            while len(self._waiting) < self.batch_max and self._coming > 0:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._ready.wait(left)
            batch, self._waiting = self._waiting[: self.batch_max], self._waiting[self.batch_max :]
            return batch

    def _run(self, batch: list[_Call]) -> None:
        """All the batch's texts through the model in one call; each caller gets its own rows back."""
        texts = [text for call in batch for text in call.texts]
        try:
            vectors, token_vectors = self._pass(texts, any(call.tokens for call in batch))
        except BaseException as err:  # noqa: BLE001 - every caller gets the failure, the thread goes on
            log.exception("a batch of %d questions failed in the model", len(batch))
            for call in batch:
                call.error = err
                call.done.set()
            return
        start = 0
        for call in batch:
            end = start + len(call.texts)
            call.result = (vectors[start:end], token_vectors[start:end] if call.tokens else [])
            start = end
            call.done.set()
        if self.on_batch is not None:
            self.on_batch(len(batch))


def expecting(embedder: Embedder) -> AbstractContextManager:
    """Announce a question on its way to the embedder's model (BatchedEmbedder.expect); nothing for another."""
    return embedder.expect() if isinstance(embedder, BatchedEmbedder) else nullcontext()
