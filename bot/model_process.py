"""The model in a process of its own, fed the batches of bot/batching.py over a pipe.

In one process the model thread ran on a core only about half the time it spent in passes: the rest it waited
for the GIL, held by the threads answering requests (docs/performance.md, perf4). `ProcessEmbedder` is a
BatchedEmbedder whose passes run in a child process that owns the SentenceTransformer and its torch threads; the
model thread here only sends the batch's texts and waits on the pipe, which frees the GIL. The child computes
exactly what SentenceEmbedder.encode_with_tokens computes in this process, and sends back the token spans of the
texts too, so that token_spans needs no tokenizer (and no model) in the server's process.

Lifecycle: `start()` spawns the child (it loads the model while the server loads the index); the first pass waits
until it is ready. When the child dies (killed, out of memory), the batch in the pipe fails with a ModelProcessError
saying so, and the next pass starts a new child. `close()` stops it; so does the server's exit, and a child whose
parent died sees its pipe close and exits.
"""

from __future__ import annotations

import atexit
import logging
import multiprocessing
import os
import signal
import socket
import threading
import time
from multiprocessing.connection import Connection
from typing import Any

import numpy as np

from bot.batching import BatchedEmbedder, Encoded
from bot.errors import BotError

log = logging.getLogger(__name__)

# A batch's token vectors come back in one message of a few hundred kB. In the socket's default buffer (about
# 200 kB) they came in pieces, and each piece had to win the GIL back from the threads answering requests; a
# buffer that holds the whole message took 48-52 answers a second at 32 clients where the default took 26-51.
# Linux caps it at net.core.wmem_max and rmem_max.
SOCKET_BUFFER_BYTES = 4 << 20
STOP_SECONDS = 5.0  # for the child to leave after its pipe closes, before it is terminated


class ModelProcessError(BotError):
    """The model's process failed or stopped; the message says which, and that the next question starts another."""


class ProcessEmbedder(BatchedEmbedder):
    """A BatchedEmbedder whose passes run in a child process (see the module's docstring)."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._pipe_lock = threading.Lock()  # one request in the pipe at a time: a pass, or a text's spans
        self._process: multiprocessing.process.BaseProcess | None = None
        self._connection: Connection | None = None
        self._dimension: int | None = None
        self.restarts = 0  # children that died, each replaced on the next request
        atexit.register(self.close)

    @property
    def dimension(self) -> int:
        with self._pipe_lock:
            self._loaded()
            assert self._dimension is not None
            return self._dimension

    @property
    def pid(self) -> int | None:
        """The child's process id, while one runs."""
        return self._process.pid if self._process is not None else None

    def start(self) -> None:
        """Start the child now (it loads the model meanwhile), rather than on the first question."""
        with self._pipe_lock:
            self._spawn()

    def close(self) -> None:
        """Stop the child: its pipe closes, it leaves; terminated if it has not within STOP_SECONDS."""
        with self._pipe_lock:
            self._discard()

    def _set_threads(self) -> None:
        """Nothing: the child sets its own, and this process need not load torch."""

    def _tokenized_spans(self, text: str) -> list[tuple[int, int]]:
        """From the child, which holds the tokenizer."""
        (spans,) = self._request(("spans", text))
        return spans

    def _direct(self, texts: list[str], progress: bool, tokens: bool) -> Encoded:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32), []
        return self._pass(texts, tokens)

    def _pass(self, texts: list[str], tokens: bool) -> Encoded:
        vectors, flat, lengths, spans, cpu = self._request(("encode", texts, tokens))
        self.busy_cpu_seconds += cpu  # the child's CPU: this thread only waited
        if not tokens:
            return vectors, []
        self._remember_spans(dict(zip(texts, spans, strict=True)))
        return vectors, np.split(flat, np.cumsum(lengths)[:-1])

    def _request(self, message: tuple) -> tuple:
        """Send one request to the child and return its answer; a child that died is reported, then replaced."""
        with self._pipe_lock:
            connection = self._loaded()
            try:
                connection.send(message)
                kind, *answer = connection.recv()
            except (EOFError, OSError) as err:
                raise self._lost() from err
        if kind == "error":
            raise ModelProcessError(f"the model failed on a batch: {answer[0]}")
        return tuple(answer)

    def _spawn(self) -> None:
        """A new child, if none runs (under the pipe lock)."""
        if self._process is not None:
            return
        context = multiprocessing.get_context("spawn")  # no fork: this process has threads (the server's, torch's)
        ours, theirs = context.Pipe()
        for end in (ours, theirs):
            _widen(end)
        path, name, size = self.model_path, self.name, self.batch_size
        self._process = context.Process(
            target=serve_model,
            args=(theirs, path, name, size, self.threads, self.runtime),
            name="faq-model",
            daemon=True,
        )
        self._process.start()
        theirs.close()  # only the child holds its end: when the child dies, recv() here sees the pipe close
        self._connection = ours

    def _loaded(self) -> Connection:
        """The pipe to a child that has loaded the model, started if need be (under the pipe lock)."""
        self._spawn()
        assert self._connection is not None
        if self._dimension is None:
            try:
                kind, value = self._connection.recv()
            except (EOFError, OSError) as err:
                raise self._lost() from err
            if kind == "error":
                self._discard()
                raise ModelProcessError(f"the model process could not load the model: {value}")
            self._dimension = value
        return self._connection

    def _lost(self) -> ModelProcessError:
        """The error for a child that died; it is cleared away so that the next request starts another."""
        code = self._discard()
        self.restarts += 1
        log.error("the model process stopped (exit code %s); the next question starts a new one", code)
        return ModelProcessError(f"the model process stopped (exit code {code}); the next question starts a new one")

    def _discard(self) -> int | None:
        """Forget the child, waiting briefly for its exit code (under the pipe lock)."""
        process, connection = self._process, self._connection
        self._process, self._connection, self._dimension = None, None, None
        if connection is not None:
            connection.close()
        if process is None:
            return None
        process.join(STOP_SECONDS)
        if process.is_alive():
            process.terminate()
            process.join()
        return process.exitcode


def _widen(connection: Connection) -> None:
    """Give the pipe's socket buffers room for a whole batch's answer (SOCKET_BUFFER_BYTES)."""
    with socket.socket(fileno=os.dup(connection.fileno())) as end:
        end.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SOCKET_BUFFER_BYTES)
        end.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, SOCKET_BUFFER_BYTES)


def serve_model(
    connection: Connection, model_path: str, name: str, batch_size: int, threads: int, runtime: str = "torch"
) -> None:
    """The child's loop: load the model, say so with its dimension, then answer requests until the pipe closes."""
    from bot.embedding import SentenceEmbedder, cap_threads

    # Ctrl-C in a terminal reaches the whole process group: the app shuts down, and this child leaves when its
    # pipe closes, not with a traceback of its own.
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    if threads:
        cap_threads(threads, torch_too=runtime == "torch")  # on ONNX Runtime this process never imports torch
    try:
        embedder = SentenceEmbedder(model_path, name, batch_size, runtime)
        ready = ("ready", embedder.dimension)
    except Exception as err:  # noqa: BLE001 - the parent reads why, then this process ends
        ready = ("error", f"{type(err).__name__}: {err}")
    try:
        connection.send(ready)
    except OSError:  # the parent left while the model loaded (it could not start, say): no one to tell
        return
    if ready[0] == "error":
        return
    while True:
        try:
            message = connection.recv()
        except (EOFError, OSError):  # the parent closed the pipe, or died
            return
        try:
            answer = _answer(embedder, message)
        except Exception as err:  # noqa: BLE001 - one bad batch fails its callers; the next is served
            answer = ("error", f"{type(err).__name__}: {err}")
        try:
            connection.send(answer)
        except OSError:  # the parent is gone
            return


def _answer(embedder: Any, message: tuple) -> tuple:
    """One request's answer: a batch's vectors, its token vectors in one array and their counts, and its spans."""
    if message[0] == "spans":
        return ("ok", embedder.token_spans(message[1]))
    _, texts, tokens = message
    cpu = time.thread_time()
    vectors, token_vectors = embedder.encode_with_tokens(texts, tokens=tokens)
    spans = [embedder.token_spans(text) for text in texts] if tokens else []  # kept from the pass: no tokenizing
    flat = np.concatenate(token_vectors) if tokens else np.zeros((0, vectors.shape[1]), np.float32)
    lengths = [len(rows) for rows in token_vectors]
    return ("ok", vectors, flat, lengths, spans, time.thread_time() - cpu)
