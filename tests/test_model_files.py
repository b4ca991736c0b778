"""Which model files made an index: the fingerprint of a model folder, read without loading the model."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from bot.config import Settings
from bot.embedding import SentenceEmbedder
from bot.errors import BotError
from bot.model_files import SMALL_FILE, digest_memo, model_fingerprint

from conftest import ROOT, bot_command, copy_of_model

RUN = {"cwd": ROOT, "capture_output": True, "text": True, "timeout": 300}


def test_a_copy_of_the_model_has_its_fingerprint_until_its_tokenizer_config_changes(tmp_path: Path):
    settings = Settings()
    original = model_fingerprint(Path(settings.model.resolved_model_path()))
    copy = copy_of_model(tmp_path / "model", settings)
    assert model_fingerprint(copy) == original  # the files, not where they lie, make the vectors
    (copy / ".cache").mkdir()
    (copy / ".cache" / "hub.lock").write_text("x")
    assert model_fingerprint(copy) == original  # hidden files do not
    config = json.loads((copy / "tokenizer_config.json").read_text())
    (copy / "tokenizer_config.json").write_text(json.dumps({**config, "do_lower_case": False}))
    changed = SentenceEmbedder(str(copy), settings.model_name)
    assert changed.fingerprint != original and changed.name == settings.model_name
    assert SentenceEmbedder.from_settings(settings.model).fingerprint not in (original, changed.fingerprint)  # onnx
    assert "model" not in changed.__dict__  # fingerprinting never loaded the model


def test_large_files_are_hashed_once_then_known_by_size_and_modification_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    folder = tmp_path / "model"
    folder.mkdir()
    weights = folder / "model.safetensors"
    weights.write_bytes(b"a" * (SMALL_FILE + 1))
    (folder / "config.json").write_text("{}")
    first = model_fingerprint(folder)
    memo = json.loads(digest_memo().read_text())
    assert list(memo) == [str(weights.resolve())]  # only the large file is kept
    assert model_fingerprint(folder) == first
    stamp = weights.stat()
    memo[str(weights.resolve())]["sha256"] = "0" * 64  # a kept digest is used as it is: the file is not read again
    digest_memo().write_text(json.dumps(memo))
    trusted = model_fingerprint(folder)
    assert trusted != first
    weights.write_bytes(b"b" * (SMALL_FILE + 1))  # retrained weights of the same size: a new modification time
    os.utime(weights, ns=(stamp.st_atime_ns, stamp.st_mtime_ns + 1_000_000))
    retrained = model_fingerprint(folder)
    assert retrained not in (first, trusted)
    weights.write_bytes(b"a" * (SMALL_FILE + 1))
    assert model_fingerprint(folder) == first  # hashed again from the file, and found to be the first weights


def test_an_unwritable_memo_only_costs_the_hashing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "weights.bin").write_bytes(b"w" * (SMALL_FILE + 1))
    expected = model_fingerprint(folder)
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder should be")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    assert model_fingerprint(folder) == expected


def test_a_missing_model_folder_says_what_to_set(tmp_path: Path):
    with pytest.raises(BotError, match=r"model folder .*nowhere does not exist; set BOT_MODEL_PATH"):
        _ = SentenceEmbedder(str(tmp_path / "nowhere"), "all-MiniLM-L6-v2").fingerprint


@pytest.mark.integration
def test_an_index_built_with_other_model_files_is_refused_and_the_cache_not_shared(fake_settings: Settings):
    """The issue's case: a copy of the model with a changed tokenizer_config.json answered from the old index."""
    from bot.index import build_index
    from bot.knowledge import load_knowledge

    # torch: the ONNX runtime refuses a tokenizer_config.json that contradicts its tokenizer.json
    settings = fake_settings.replace(model_name="all-MiniLM-L6-v2", model_runtime="torch")
    knowledge = load_knowledge(settings.knowledge_dir)
    first = build_index(knowledge, settings.index_dir, SentenceEmbedder.from_settings(settings.model))
    copy = copy_of_model(settings.index_dir.parent / "model", settings)
    config = json.loads((copy / "tokenizer_config.json").read_text())
    (copy / "tokenizer_config.json").write_text(json.dumps({**config, "do_lower_case": False}))
    env = {**os.environ, "BOT_MODEL_PATH": str(copy), "BOT_MODEL_RUNTIME": "torch"}
    asked = subprocess.run(bot_command(settings, "ask", "When should I prune roses?"), env=env, **RUN)
    assert asked.returncode != 0 and asked.stdout == ""
    refusal = r"error: The index was built with other model files .*; run `python -m bot build`\.\n"
    assert re.fullmatch(refusal, asked.stderr), asked.stderr  # one line, with the fix
    built = subprocess.run(bot_command(settings, "build", "--quiet"), env=env, **RUN)
    assert built.returncode == 0, built.stderr
    assert f"{first.embedded} of {first.texts} texts embedded" in built.stdout  # none taken from the first model's
