"""The model run by ONNX Runtime (Settings.model_runtime "onnx", the default): the vectors, token vectors and spans
sentence-transformers gives, an index of one runtime refused by the other, a model folder it cannot serve refused
with what to set, and the served model's process without torch."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from bot.config import Settings
from bot.embedding import SentenceEmbedder
from bot.errors import BotError
from bot.index import IndexMismatchError, build_index, load_index
from bot.knowledge import load_knowledge
from bot.model_process import ProcessEmbedder

from conftest import copy_of_model

TEXTS = [
    "what are the side effects of nk cell therapy?",
    "NK",
    "Ist die Behandlung für Kinder geeignet? Ça coûte combien?",
    "emoji 🙂 and ＦＵＬＬＷＩＤＴＨ letters, <b>html</b> & tabs\tand\nnewlines",
    "word " * 400,  # beyond the model's 256 tokens: cut as sentence-transformers cuts it
]


def embedders(settings: Settings) -> tuple[SentenceEmbedder, SentenceEmbedder]:
    path, name = settings.model.resolved_model_path(), settings.model_name
    return SentenceEmbedder(path, name, runtime="onnx"), SentenceEmbedder(path, name, runtime="torch")


@pytest.mark.integration
def test_onnx_gives_sentence_transformers_vectors_token_vectors_and_spans():
    onnx, torch = embedders(Settings())
    vectors, tokens = onnx.encode_with_tokens(TEXTS)
    expected, expected_tokens = torch.encode_with_tokens(TEXTS)
    assert vectors.dtype == np.float32 and vectors.shape == expected.shape == (len(TEXTS), onnx.dimension)
    assert np.abs(vectors - expected).max() < 1e-5
    assert [len(rows) for rows in tokens] == [len(rows) for rows in expected_tokens]
    assert max(np.abs(a - b).max() for a, b in zip(tokens, expected_tokens, strict=True)) < 1e-5
    assert [onnx.token_spans(text) for text in TEXTS] == [torch.token_spans(text) for text in TEXTS]
    fresh = SentenceEmbedder(onnx.model_path, onnx.name, runtime="onnx")  # spans from the tokenizer, not a pass
    assert fresh.token_spans("never through the model") == torch.token_spans("never through the model")
    assert "model" not in vars(onnx)  # sentence-transformers was never loaded for it


@pytest.mark.integration
def test_an_index_built_by_one_runtime_is_refused_by_the_other(tmp_path: Path):
    settings = Settings(knowledge_dir=Path("tests/fixtures/knowledge"), index_dir=tmp_path / "index")
    onnx, torch = embedders(settings)
    assert onnx.fingerprint != torch.fingerprint
    build_index(load_knowledge(settings.knowledge_dir), settings.index_dir, torch)
    refusal = r"built by the torch model runtime, and BOT_MODEL_RUNTIME is onnx; run `python -m bot build` \(or set"
    with pytest.raises(IndexMismatchError, match=refusal):
        load_index(settings.index_dir, onnx)


@pytest.mark.integration
def test_the_graph_is_exported_once_per_model_folder():
    onnx, _ = embedders(Settings())
    onnx.encode(["first"])
    graphs = list(onnx.onnx.graph.parent.parent.glob("*/model.onnx"))
    assert onnx.onnx.graph in graphs
    written = {graph: graph.stat().st_mtime_ns for graph in graphs}
    again = SentenceEmbedder(onnx.model_path, onnx.name, runtime="onnx")
    again.encode(["second"])
    assert {graph: graph.stat().st_mtime_ns for graph in graphs} == written


def test_a_model_folder_the_onnx_runtime_cannot_serve_is_refused_with_the_setting_that_serves_it(tmp_path: Path):
    folder = copy_of_model(tmp_path / "model", Settings())
    modules = json.loads((folder / "modules.json").read_text())
    modules.insert(2, {"idx": 2, "name": "2", "path": "2_Dense", "type": "sentence_transformers.models.Dense"})
    (folder / "modules.json").write_text(json.dumps(modules))
    with pytest.raises(BotError, match="BOT_MODEL_RUNTIME=torch"):
        SentenceEmbedder(str(folder), "with a dense layer", runtime="onnx").encode(["a question"])


def test_a_tokenizer_config_that_contradicts_tokenizer_json_is_refused(tmp_path: Path):
    """transformers lowercases as tokenizer_config.json says; tokenizers as tokenizer.json says: they would differ."""
    folder = copy_of_model(tmp_path / "model", Settings())
    config = json.loads((folder / "tokenizer_config.json").read_text())
    (folder / "tokenizer_config.json").write_text(json.dumps({**config, "do_lower_case": False}))
    with pytest.raises(BotError, match="casing or accent settings differ"):
        SentenceEmbedder(str(folder), "cased", runtime="onnx").encode(["a question"])


def test_a_cache_folder_it_cannot_write_is_refused_with_what_to_set(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    (tmp_path / "file").write_text("not a folder")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "file"))  # a file where the cache folder would be
    with pytest.raises(BotError, match="set XDG_CACHE_HOME to a writable folder, or set BOT_MODEL_RUNTIME=torch"):
        embedders(Settings())[0].encode(["a question"])


def test_a_damaged_graph_is_refused_with_the_folder_to_delete(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from bot import onnx_runtime

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    onnx = embedders(Settings())[0]
    graph = onnx_runtime.digest_memo().parent / "onnx" / f"{onnx.fingerprint[:32]}-{onnx_runtime.EXPORT_VERSION}"
    graph.mkdir(parents=True)
    (graph / "model.onnx").write_bytes(b"not a graph")
    with pytest.raises(BotError, match="cannot load .*model.onnx .*delete that folder and it is exported again"):
        onnx.encode(["a question"])


def test_an_export_killed_half_way_leaves_nothing_behind_once_the_next_one_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    from bot import onnx_runtime

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    onnx = embedders(Settings())[0]
    graphs = onnx_runtime.digest_memo().parent / "onnx" / f"{onnx.fingerprint[:32]}-{onnx_runtime.EXPORT_VERSION}"
    graphs.mkdir(parents=True)
    abandoned, writing = graphs / "tmp1.onnx.part", graphs / "tmp2.onnx.part"
    abandoned.write_bytes(b"half a graph")
    writing.write_bytes(b"another export, still writing")
    an_hour_ago = abandoned.stat().st_mtime - 3600
    os.utime(abandoned, (an_hour_ago, an_hour_ago))
    assert onnx.encode(["a question"]).shape == (1, onnx.dimension)
    assert not abandoned.exists() and writing.exists()
    assert (graphs / "model.onnx").is_file()


def test_an_unknown_runtime_is_refused():
    with pytest.raises(ValueError, match="model_runtime must be one of torch, onnx"):
        SentenceEmbedder("", "x", runtime="tensorflow")


@pytest.mark.integration
def test_the_served_models_process_runs_without_torch():
    settings = Settings()
    embedder = ProcessEmbedder.batched(settings.model, settings.serve)
    assert embedder.runtime == "onnx"
    try:
        vectors, _ = embedder.encode_with_tokens(["is it safe for children"])
        assert vectors.shape == (1, embedder.dimension)
        libraries = Path(f"/proc/{embedder.pid}/maps").read_text()
        assert "onnxruntime" in libraries
        assert "libtorch" not in libraries
    finally:
        embedder.close()
