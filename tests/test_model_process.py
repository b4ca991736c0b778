"""The served model in a process of its own: the same numbers as in this process, and its life (start, a crash,
shutdown, its parent's death)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from bot.config import Settings
from bot.embedding import SentenceEmbedder
from bot.model_process import ModelProcessError, ProcessEmbedder

ROOT = Path(__file__).resolve().parent.parent
TEXTS = ["what are the side effects of nk cell therapy?", "infusion", "is it safe for children", "cost"]


def gone(pid: int, within: float = 30) -> bool:
    """Whether the process has exited (and been reaped, or is a zombie) within `within` seconds."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except FileNotFoundError:
            return True
        if state == "Z":
            return True
        time.sleep(0.1)
    return False


@pytest.fixture(scope="module")
def embedder() -> Iterator[ProcessEmbedder]:
    settings = Settings()
    embedder = ProcessEmbedder.batched(settings.model, settings.serve)
    embedder.start()
    yield embedder
    embedder.close()


@pytest.mark.integration
def test_the_child_gives_the_numbers_and_spans_this_process_would(embedder: ProcessEmbedder):
    import torch

    here = SentenceEmbedder.from_settings(Settings().model)
    threads = torch.get_num_threads()
    torch.set_num_threads(embedder.threads or threads)  # the child's own count: the same kernels, the same sums
    try:
        expected, expected_tokens = here.encode_with_tokens(TEXTS)
        spans = [here.token_spans(text) for text in TEXTS]
    finally:
        torch.set_num_threads(threads)
    vectors, tokens = embedder.encode_with_tokens(TEXTS)
    assert np.array_equal(vectors, expected)
    assert all(np.array_equal(a, b) for a, b in zip(tokens, expected_tokens, strict=True))
    assert [embedder.token_spans(text) for text in TEXTS] == spans
    assert embedder.token_spans("never encoded here") == here.token_spans("never encoded here")  # asked of the child
    assert embedder.dimension == here.dimension == vectors.shape[1]
    assert "model" not in vars(embedder)  # the model was never loaded in this process
    assert embedder.busy_cpu_seconds > 0  # the child's CPU in passes, for /metrics


@pytest.mark.integration
def test_a_killed_child_fails_its_batch_clearly_and_the_next_question_starts_another(embedder: ProcessEmbedder):
    embedder.encode_with_tokens(["before"])
    first = embedder.pid
    assert first is not None
    os.kill(first, signal.SIGKILL)
    assert gone(first)
    with pytest.raises(ModelProcessError, match=r"model process stopped \(exit code -9\)"):
        embedder.encode_with_tokens(["during"])
    vectors, _ = embedder.encode_with_tokens(["after"])
    assert vectors.shape == (1, embedder.dimension)
    assert embedder.pid not in (None, first) and embedder.restarts == 1


@pytest.mark.integration
def test_ctrl_c_is_left_to_the_app(embedder: ProcessEmbedder):
    embedder.encode_with_tokens(["before"])
    os.kill(embedder.pid, signal.SIGINT)  # a terminal's Ctrl-C reaches the child too
    time.sleep(0.5)
    vectors, _ = embedder.encode_with_tokens(["after"])
    assert vectors.shape == (1, embedder.dimension)


@pytest.mark.integration
def test_close_stops_the_child():
    settings = Settings()
    embedder = ProcessEmbedder.batched(settings.model, settings.serve)
    embedder.encode_with_tokens(["started on first use"])
    pid = embedder.pid
    assert pid is not None
    embedder.close()
    assert embedder.pid is None and gone(pid, within=1)


@pytest.mark.integration
def test_a_model_that_does_not_load_is_reported_not_waited_for(tmp_path: Path):
    embedder = ProcessEmbedder(str(tmp_path / "no-model"), "missing")
    with pytest.raises(ModelProcessError, match="could not load the model"):
        embedder.encode_with_tokens(["anything"])
    embedder.close()


@pytest.mark.integration
def test_the_child_leaves_when_its_parent_dies():
    script = (
        "from bot.config import Settings\n"
        "from bot.model_process import ProcessEmbedder\n"
        "import os\n"
        "if __name__ == '__main__':\n"
        "    settings = Settings()\n"
        "    embedder = ProcessEmbedder.batched(settings.model, settings.serve)\n"
        "    embedder.encode_with_tokens(['hello'])\n"
        "    print(embedder.pid, flush=True)\n"
        "    os.kill(os.getpid(), 9)\n"
    )
    parent = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert parent.returncode == -9, parent.stderr
    assert gone(int(parent.stdout.split()[0]), within=10)


def test_the_model_process_is_on_by_default_and_can_be_turned_off():
    assert Settings().serve.model_process
    assert not Settings.from_env({"BOT_MODEL_PROCESS": "0"}).serve.model_process
