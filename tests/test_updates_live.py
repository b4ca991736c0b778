"""Content updates with the real model: a killed build and a broken file leave the old index serving,
and the running app switches to a new build with no failed request."""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from pathlib import Path

import pytest

from bot.config import Settings
from bot.embedding import SentenceEmbedder
from bot.index import build_index, live_build, load_index
from bot.index import cache as embedding_cache
from bot.knowledge import load_knowledge

from conftest import ROOT, bot_command, start_app
from http_client import call

pytestmark = pytest.mark.integration

NEW_QUESTION = "What colour are the tulips in the clinic garden?"
NEW_ANSWER = "The tulips in the clinic garden are purple and bloom every April."


@pytest.fixture
def copy(real_settings: Settings, tmp_path: Path) -> Settings:
    """A private copy of the real knowledge and index, safe to edit and rebuild."""
    shutil.copytree(real_settings.knowledge_dir, tmp_path / "knowledge")
    shutil.copytree(real_settings.index_dir, tmp_path / "index")
    return real_settings.replace(knowledge_dir=tmp_path / "knowledge", index_dir=tmp_path / "index")


def bot(settings: Settings, *args: str) -> subprocess.Popen:
    command = bot_command(settings, *args)
    return subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def add_faq_entry(settings: Settings) -> None:
    (settings.knowledge_dir / "garden.md").write_text(
        f"---\ntitle: Clinic garden\n---\n\n## Garden\n\n### {NEW_QUESTION}\n\n{NEW_ANSWER}\n", encoding="utf-8"
    )


class FailingEmbedder(SentenceEmbedder):
    """The real model, failing on its second batch of texts to embed: as a build that dies mid-way (killed, out
    of memory) after the cache kept the first."""

    def __init__(self, settings: Settings):
        embedder = SentenceEmbedder.from_settings(settings.model)
        super().__init__(embedder.model_path, embedder.name, embedder.batch_size, embedder.runtime)
        self.calls: list[int] = []  # how many texts each call was given
        self.fail = True

    def encode_with_tokens(self, texts: list[str], progress: bool = False, tokens: bool = True):
        self.calls.append(len(texts))
        if self.fail and len(self.calls) == 2:
            raise MemoryError("out of memory in the middle of a chunk")
        return super().encode_with_tokens(texts, progress, tokens)


def test_a_build_failing_mid_embedding_leaves_the_old_index_serving_and_keeps_what_it_embedded(
    copy: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    live = live_build(copy.index_dir)
    builds = sorted(p.name for p in (copy.index_dir / "builds").iterdir())
    paragraphs = (f"## Topic {i}\n\nParagraph {i} is about subject {i}. It adds item {i * 7}." for i in range(12))
    (copy.knowledge_dir / "bulk.md").write_text("# Bulk\n\n" + "\n\n".join(paragraphs) + "\n", encoding="utf-8")
    before = shutil.copytree(copy.index_dir, tmp_path / "before")  # its cache as it was before the failure
    monkeypatch.setattr(embedding_cache, "ENCODE_CHUNK", 5)  # several chunks, so one is cached before the failure
    failing = FailingEmbedder(copy)
    knowledge = load_knowledge(copy.knowledge_dir)
    with pytest.raises(MemoryError):
        build_index(knowledge, copy.index_dir, failing)
    assert failing.calls == [5, 5]
    assert live_build(copy.index_dir) == live
    assert sorted(p.name for p in (copy.index_dir / "builds").iterdir()) == builds  # no half build left
    index = load_index(copy.index_dir, failing)
    assert index.path.name == live and len(index.passages) == 91
    failing.fail = False
    resumed = build_index(knowledge, copy.index_dir, failing)  # the chunk embedded before the failure is kept
    assert resumed.embedded == build_index(knowledge, before, failing).embedded - 5
    assert len(load_index(copy.index_dir, failing).passages) == 91 + 12


def test_a_broken_file_stops_the_build_and_keeps_the_old_index(copy: Settings):
    live = live_build(copy.index_dir)
    (copy.knowledge_dir / "broken.md").write_bytes(b"# Broken\n\nCaf\xe9.\n")
    build = bot(copy, "build", "--quiet")
    _, err = build.communicate(timeout=300)
    assert build.returncode == 2
    assert "broken.md:3: error: not valid UTF-8; save the file as UTF-8" in err
    assert live_build(copy.index_dir) == live


def test_the_running_app_answers_from_a_new_build_with_no_failed_request(copy: Settings):
    env = {**os.environ, "BOT_INDEX_DIR": str(copy.index_dir), "BOT_KNOWLEDGE_DIR": str(copy.knowledge_dir)}
    app, base = start_app(ROOT, env=env)
    results: list[tuple[str, bool, str]] = []
    stop = threading.Event()

    def keep_asking() -> None:
        while not stop.is_set():
            try:
                event, (data,) = call(base, "ask", NEW_QUESTION, timeout=30)
                first = data["passages"][0]["text"] if data["passages"] else ""
                results.append((event, data["answered"], first))
            except Exception as err:  # noqa: BLE001 - any failure is what this test counts
                results.append(("failed", False, repr(err)))

    try:
        assert call(base, "ask", NEW_QUESTION)[1][0]["answered"] is False  # not in the documents yet
        add_faq_entry(copy)
        askers = [threading.Thread(target=keep_asking) for _ in range(2)]
        for asker in askers:
            asker.start()
        build = bot(copy, "build", "--quiet")
        _, err = build.communicate(timeout=300)
        assert build.returncode == 0, err
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not any(r[2] == NEW_ANSWER for r in results):
            time.sleep(0.2)
        stop.set()
        for asker in askers:
            asker.join(timeout=60)
    finally:
        stop.set()
        app.terminate()
        app.wait(timeout=30)
    assert results and all(event == "complete" for event, _, _ in results), [r for r in results if r[0] != "complete"]
    assert results[-1][1:] == (True, NEW_ANSWER)
    switched = [i for i, r in enumerate(results) if r[2] == NEW_ANSWER]
    assert all(r[2] == NEW_ANSWER for r in results[switched[0] :])  # never back to the old index
