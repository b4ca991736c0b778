"""Shared fixtures: a tiny fixture corpus with a deterministic fake embedder for fast unit tests,
and one real index (real model, real FAISS) built from knowledge/ for the integration tests."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from bot.config import Settings
from bot.embedding import SentenceEmbedder
from bot.index import build_index
from bot.index.folder import CACHE
from bot.knowledge import load_knowledge

ROOT = Path(__file__).resolve().parent.parent
FIXTURE_KNOWLEDGE = Path(__file__).parent / "fixtures" / "knowledge"
SOURCES = ROOT.parent / "shared" / "sources"  # the client's texts as delivered, beside the repository


class FakeEmbedder:
    """An Embedder (bot.embedding's protocol) of hashed bags of words: deterministic, offline, instant. Only for
    unit tests. Its fingerprint stands for its model files: fakes of other fingerprints are other models."""

    name = "fake-bag-of-words"

    def __init__(self, dimension: int = 256, fingerprint: str = "fake-bag-of-words-v1"):
        self._dimension = dimension
        self.fingerprint = f"{fingerprint}-{dimension}"

    @property
    def dimension(self) -> int:
        return self._dimension

    def encode(self, texts: list[str]) -> np.ndarray:
        return self._bags(texts)

    def token_spans(self, text: str) -> list[tuple[int, int]]:
        return [m.span() for m in re.finditer(r"\w+", text)]

    def _bags(self, texts: list[str]) -> np.ndarray:
        vectors = np.zeros((len(texts), self._dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                vectors[row, int(hashlib.md5(word.encode()).hexdigest(), 16) % self._dimension] += 1
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.where(norms == 0, 1, norms)

    def encode_with_tokens(self, texts: list[str]) -> tuple[np.ndarray, list[np.ndarray]]:
        """Each word its own token vector: a bag of words has no context to put tokens in."""
        return self._bags(texts), [self._bags(re.findall(r"\w+", text.lower())) for text in texts]


class CountingEmbedder(FakeEmbedder):
    """The fake embedder, counting the texts that reach it."""

    def __init__(self):
        super().__init__()
        self.seen: list[str] = []

    def encode(self, texts: list[str]) -> np.ndarray:
        self.seen += texts
        return super().encode(texts)

    def encode_with_tokens(self, texts: list[str]) -> tuple[np.ndarray, list[np.ndarray]]:
        self.seen += texts
        return super().encode_with_tokens(texts)


# One FAQ entry's long answer in two passages (at least 40 words each), beside a shorter entry on the same subject.
SPLIT_ANSWER = {
    "How does the virus spread?": " ".join(["The virus spreads through droplets when people cough nearby."] * 8)
    + "\n\n"
    + " ".join(["The virus spreads on hands and on surfaces people touch."] * 8),
    "How do I stop the virus spreading?": "Wash hands so the virus does not spread.",
    "What are the symptoms?": "Fever and a dry cough.",
}


def split_answer_index(tmp_path: Path, ending: str = "?") -> Settings:
    """SPLIT_ANSWER built with the fake embedder, its headings ending in `ending` (no "?": sections of prose)."""
    folder = tmp_path / "knowledge"
    folder.mkdir()
    for number, (question, answer) in enumerate(SPLIT_ANSWER.items()):
        text = f"---\ntitle: Entry {number}\n---\n\n## {question.rstrip('?')}{ending}\n\n{answer}\n"
        (folder / f"entry-{number}.md").write_text(text, encoding="utf-8")
    settings = Settings(knowledge_dir=folder, index_dir=tmp_path / "index", model_name="fake", min_confidence=-9)
    build_index(load_knowledge(folder), settings.index_dir, FakeEmbedder())
    return settings


@pytest.fixture
def knowledge_dir(tmp_path: Path) -> Path:
    """A private copy of the fixture corpus, safe to edit."""
    target = tmp_path / "knowledge"
    shutil.copytree(FIXTURE_KNOWLEDGE, target)
    return target


@pytest.fixture
def fake_settings(knowledge_dir: Path, tmp_path: Path) -> Settings:
    return Settings(
        knowledge_dir=knowledge_dir, index_dir=tmp_path / "index", model_name="fake-bag-of-words", min_confidence=0.3
    )


@pytest.fixture
def fake_index(fake_settings: Settings) -> Settings:
    """The fixture corpus built with the fake embedder; returns the settings that find it."""
    build_index(load_knowledge(fake_settings.knowledge_dir), fake_settings.index_dir, FakeEmbedder())
    return fake_settings


@pytest.fixture(scope="session")
def real_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """knowledge/ built into a temporary index with the real model, once per test session."""
    settings = Settings.from_env(knowledge_dir=ROOT / "knowledge", index_dir=tmp_path_factory.mktemp("real") / "index")
    knowledge = load_knowledge(settings.knowledge_dir, settings.passage_max_words, settings.passage_min_words)
    build_index(knowledge, settings.index_dir, SentenceEmbedder.from_settings(settings.model))
    return settings


@pytest.fixture(scope="session")
def real_assistant(real_settings: Settings):
    from bot.assistant import Assistant

    return Assistant.load(real_settings)


@pytest.fixture(scope="session")
def documents_assistant(real_settings: Settings, tmp_path_factory: pytest.TempPathFactory):
    """knowledge/'s documents alone, without the phrasings.toml it ships: for what the engine does untaught."""
    from bot.assistant import Assistant
    from bot.knowledge.phrasings import PHRASINGS_FILE

    folder = tmp_path_factory.mktemp("documents")
    shutil.copytree(real_settings.knowledge_dir, folder / "knowledge", ignore=shutil.ignore_patterns(PHRASINGS_FILE))
    (folder / "index").mkdir()
    shutil.copy(real_settings.index_dir / CACHE, folder / "index" / CACHE)  # so it embeds nothing anew
    settings = real_settings.replace(knowledge_dir=folder / "knowledge", index_dir=folder / "index")
    embedder = SentenceEmbedder.from_settings(settings.model)
    build_index(load_knowledge(settings.knowledge_dir), settings.index_dir, embedder)
    return Assistant.load(settings)


def copy_of_real(real_settings: Settings, folder: Path) -> Settings:
    """knowledge/ and its real index (with the embedding cache) copied into `folder`, safe to change: a rebuild
    embeds only what a test adds."""
    shutil.copytree(real_settings.knowledge_dir, folder / "knowledge")
    shutil.copytree(real_settings.index_dir, folder / "index")
    return real_settings.replace(knowledge_dir=folder / "knowledge", index_dir=folder / "index")


def bot_command(settings: Settings, *args: str) -> list[str]:
    """`python -m bot ARGS --knowledge K --index I`, as staff run it."""
    import sys

    return [
        sys.executable,
        "-m",
        "bot",
        *args,
        "--knowledge",
        str(settings.knowledge_dir),
        "--index",
        str(settings.index_dir),
    ]


def copy_of_model(target: Path, settings: Settings) -> Path:
    """A copy of the model folder: small files copied, so a test may edit them; the weights linked, not copied."""
    source = Path(settings.model.resolved_model_path())
    for path in source.rglob("*"):
        if path.is_file():
            (target / path.relative_to(source)).parent.mkdir(parents=True, exist_ok=True)
            if path.stat().st_size > 1 << 20:
                (target / path.relative_to(source)).symlink_to(path)
            else:
                shutil.copy2(path, target / path.relative_to(source))
    return target


@pytest.fixture
def sources() -> Path:
    """The delivered texts in ../shared/sources: skipped on a machine without them, a failure in CI (CI=1), whose
    checkout must put them beside the repository."""
    if not SOURCES.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"{SOURCES} is missing: CI must check out the shared sources beside this repository")
        pytest.skip(f"{SOURCES} is not beside this checkout")
    return SOURCES


@pytest.fixture(scope="session", autouse=True)
def private_data_dir(tmp_path_factory: pytest.TempPathFactory):
    """Apps started by the tests keep their visit log in a temporary folder, never in the repository's data/, and
    the model files' digests (bot/model_files.py) in another, never in the user's ~/.cache; and they answer as many
    questions as the tests ask from one address (tests of the limit set it)."""
    with pytest.MonkeyPatch.context() as patch:
        folder = tmp_path_factory.mktemp("data")
        patch.setenv("BOT_DATA_DIR", str(folder))
        patch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache")))
        patch.setenv("BOT_QUESTIONS_PER_MINUTE", "0")
        patch.setenv("BOT_LOGGED_QUESTIONS_PER_DAY", "0")
        yield folder


def start_app(root: Path, *args: str, env: dict | None = None, wait: float = 120) -> tuple[subprocess.Popen, str]:
    """Start app.py; returns the process and its base URL (stop it with terminate(), then wait())."""
    from http_client import start_app as start_running_app

    app = start_running_app(root, *args, env=env, wait=wait)
    return app.process, app.base


def serve_app(settings: Settings, **overrides: str):
    """Run app.py on the given index as a real process (BOT_* overrides by field name); yield its URL."""
    env = {
        **os.environ,
        "BOT_INDEX_DIR": str(settings.index_dir),
        "BOT_KNOWLEDGE_DIR": str(settings.knowledge_dir),
        **{f"BOT_{name.upper()}": value for name, value in overrides.items()},
    }
    process, base = start_app(ROOT, env=env)
    try:
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture(scope="session")
def app_url(real_settings: Settings):
    """One running visitor app on the real index, shared by the HTTP, bad-input and browser tests."""
    yield from serve_app(real_settings)
