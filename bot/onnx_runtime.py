"""The embedding model run by ONNX Runtime rather than torch: the same weights, exported once to an ONNX graph.

Why: the served model's process held 640-680 MB with torch, transformers and sentence-transformers (which imports
scipy, scikit-learn and pandas); with ONNX Runtime and the `tokenizers` library it holds about 200 MB, and a lone
question's pass takes 4.7 ms of CPU instead of 12.4 (docs/performance.md, perf7). The vectors agree with
sentence-transformers' to 4e-7; a folder's fingerprint still tells the two runtimes apart, so no index mixes them.

The graph is exported from the model's folder by torch (`torch.onnx.export`) in a short-lived child process, so
that the process that asked never loads torch, and kept in the user's cache folder under the model's fingerprint:
a model folder that changes gets a new export. Only the layout all-MiniLM-L6-v2 has is supported (a transformer,
mean pooling, optionally a normalisation); another model folder is refused with the setting that serves it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from bot.errors import BotError
from bot.model_files import digest_memo

if TYPE_CHECKING:
    import onnxruntime
    from tokenizers import Tokenizer

INPUTS = ("input_ids", "attention_mask", "token_type_ids")
# Part of the cached graph's folder name: a change to export() makes a new graph rather than reuse an old one.
EXPORT_VERSION = "1-opset17"
EXPORT_SECONDS = 600  # a hung export fails with a message rather than blocking the start for ever
FALLBACK = "set BOT_MODEL_RUNTIME=torch to run it with sentence-transformers"
SUPPORTED_MODULES = {"sentence_transformers.models.Transformer", "sentence_transformers.models.Pooling"}
OPTIONAL_MODULES = {"sentence_transformers.models.Normalize"}

_session_threads = 0  # intra-op threads of the sessions made from now on; 0: ONNX Runtime's default, one a core


@dataclass
class Batch:
    """One pass's output: each token's hidden state, which tokens are real (not padding), where each lies."""

    hidden: np.ndarray  # texts × tokens × dimension, float32
    mask: np.ndarray  # texts × tokens, bool
    offsets: np.ndarray  # texts × tokens × 2: each token's (start, end) in its text


class OnnxModel:
    """A sentence-transformers folder's transformer as an ONNX Runtime session, with its fast tokenizer."""

    def __init__(self, model_path: str, fingerprint: str, threads: int = 0):
        folder = Path(model_path)
        check_supported(folder)
        self.tokenizer = _tokenizer(folder)
        self.max_length = _max_length(folder)
        padding = self.tokenizer.padding or {}  # tokenizer.json pads to a fixed 128 tokens: here, to the longest
        self.tokenizer.enable_padding(pad_id=padding.get("pad_id", 0), pad_token=padding.get("pad_token", "[PAD]"))
        self.tokenizer.enable_truncation(self.max_length)
        self.graph = exported_graph(folder, fingerprint)
        self.session = _session(self.graph, threads or _session_threads)
        self.dimension = int(self.session.get_outputs()[0].shape[-1])

    def forward(self, texts: list[str]) -> Batch:
        """The texts through the transformer, padded to the longest: thread-safe (the tokenizer's settings are
        fixed when it is loaded, and an ONNX Runtime session may run from many threads)."""
        encodings = self.tokenizer.encode_batch(texts)
        feeds = {
            "input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
            "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
            "token_type_ids": np.array([e.type_ids for e in encodings], dtype=np.int64),
        }
        (hidden,) = self.session.run(None, feeds)
        offsets = np.array([e.offsets for e in encodings], dtype=np.int64).reshape(len(texts), -1, 2)
        return Batch(np.asarray(hidden, dtype=np.float32), feeds["attention_mask"].astype(bool), offsets)

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Where each of a text's tokens lies, [CLS] and [SEP] left out."""
        return [(int(start), int(end)) for start, end in self.tokenizer.encode(text).offsets[1:-1]]


def set_threads(threads: int) -> None:
    """Like torch.set_num_threads, for the sessions made from now on without a count of their own: answering caps
    them (limit_threads), builds keep the default, where each pass is a large batch."""
    global _session_threads
    _session_threads = threads


def mean_pooled(batch: Batch) -> np.ndarray:
    """Each text's mean token state over its real tokens, as sentence-transformers' mean pooling computes it."""
    mask = batch.mask[..., None].astype(np.float32)
    return (batch.hidden * mask).sum(axis=1) / np.maximum(mask.sum(axis=1), 1e-9)


def check_supported(folder: Path) -> None:
    """Refuse a model folder whose modules this runtime does not reproduce (it would give other vectors)."""
    modules = json.loads((folder / "modules.json").read_text()) if (folder / "modules.json").is_file() else []
    kinds = {module.get("type") for module in modules}
    modes = {key for key, on in _pooling_config(folder, modules).items() if key.startswith("pooling_mode_") and on}
    has_both = kinds >= SUPPORTED_MODULES
    nothing_else = not kinds - SUPPORTED_MODULES - OPTIONAL_MODULES
    if not (has_both and nothing_else and modes == {"pooling_mode_mean_tokens"}):
        raise BotError(
            f"The model in {folder} is not a transformer with mean pooling, which is all the ONNX runtime serves; "
            f"{FALLBACK}."
        )


def exported_graph(folder: Path, fingerprint: str) -> Path:
    """The model's ONNX graph in the cache folder, exported first (in a child process) if it is not there yet."""
    graph = digest_memo().parent / "onnx" / f"{fingerprint[:32]}-{EXPORT_VERSION}" / "model.onnx"
    if graph.is_file():
        return graph
    try:
        graph.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise BotError(
            f"Cannot write the model's ONNX graph in {graph.parent} ({err.strerror}); set XDG_CACHE_HOME to a "
            f"writable folder, or {FALLBACK}."
        ) from err
    _remove_abandoned_parts(graph.parent)
    command = [sys.executable, "-m", "bot.onnx_runtime", str(folder), str(graph)]
    package_parent = Path(__file__).resolve().parent.parent  # this bot package, whatever the working folder holds
    try:
        done = subprocess.run(
            command,
            cwd=package_parent,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env=os.environ | {"HF_HUB_OFFLINE": "1"},
            timeout=EXPORT_SECONDS,
        )
    except subprocess.TimeoutExpired as err:
        raise BotError(f"Exporting the model in {folder} to ONNX took over {EXPORT_SECONDS} s; {FALLBACK}.") from err
    if done.returncode != 0 or not graph.is_file():
        why = next((line for line in reversed(done.stderr.splitlines()) if line.strip()), "no message")
        raise BotError(f"Exporting the model in {folder} to ONNX failed ({why.strip()}); {FALLBACK}.")
    return graph


def _remove_abandoned_parts(where: Path) -> None:
    """Delete the half-written graphs of exports killed before they finished (older than an export may take, so
    never one that another process is writing now)."""
    for part in where.glob("*.onnx.part"):
        try:
            if time.time() - part.stat().st_mtime > EXPORT_SECONDS:
                part.unlink()
        except OSError:  # gone already, or not ours to delete: the export goes on
            pass


def export(folder: Path, graph: Path) -> None:
    """Export the folder's transformer to an ONNX graph at `graph` (written whole, then moved into place)."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    model = AutoModel.from_pretrained(str(folder), local_files_only=True).eval()
    sample = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)(
        ["an example", "a longer example sentence"], padding=True, return_tensors="pt"
    )

    class LastHiddenState(torch.nn.Module):
        def __init__(self, transformer: torch.nn.Module):
            super().__init__()
            self.transformer = transformer

        def forward(self, input_ids, attention_mask, token_type_ids):  # noqa: ANN001 - traced by torch
            output = self.transformer(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)
            return output.last_hidden_state

    axes = {name: {0: "texts", 1: "tokens"} for name in (*INPUTS, "hidden")}
    with tempfile.NamedTemporaryFile(dir=graph.parent, suffix=".onnx.part", delete=False) as part:
        temporary = Path(part.name)
    try:
        torch.onnx.export(
            LastHiddenState(model),
            tuple(sample[name] for name in INPUTS),
            str(temporary),
            input_names=list(INPUTS),
            output_names=["hidden"],
            dynamic_axes=axes,
            opset_version=17,
            dynamo=False,
        )
        os.replace(temporary, graph)  # atomic: two processes exporting at once each leave a whole graph
    finally:
        temporary.unlink(missing_ok=True)


def _pooling_config(folder: Path, modules: list[dict]) -> dict:
    """The Pooling module's settings (which pooling modes are on), from its folder's config.json."""
    for module in modules:
        if module.get("type") == "sentence_transformers.models.Pooling":
            config = folder / module.get("path", "") / "config.json"
            return json.loads(config.read_text()) if config.is_file() else {}
    return {}


def _tokenizer(folder: Path) -> Tokenizer:
    """The folder's fast tokenizer, refused when transformers would read it otherwise (_normalizer_disagrees)."""
    from tokenizers import Tokenizer

    path = folder / "tokenizer.json"
    if not path.is_file():
        raise BotError(
            f"The model in {folder} has no tokenizer.json (a fast tokenizer), which the ONNX runtime needs; {FALLBACK}."
        )
    text = path.read_text(encoding="utf-8")  # read once: parsed by tokenizers, and its normaliser checked here
    tokenizer = Tokenizer.from_str(text)
    if _normalizer_disagrees(json.loads(text).get("normalizer") or {}, folder / "tokenizer_config.json"):
        raise BotError(
            f"The model in {folder} has a tokenizer_config.json whose casing or accent settings differ from its "
            f"tokenizer.json (transformers follows the first, the ONNX runtime reads the second); {FALLBACK}."
        )
    return tokenizer


def _normalizer_disagrees(normalizer: dict, config_path: Path) -> bool:
    """Whether tokenizer_config.json sets a BERT normaliser option otherwise than tokenizer.json has it."""
    if normalizer.get("type") != "BertNormalizer" or not config_path.is_file():
        return False
    config = json.loads(config_path.read_text())
    options = {
        "do_lower_case": "lowercase",
        "strip_accents": "strip_accents",
        "tokenize_chinese_chars": "handle_chinese_chars",
    }
    return any(key in config and config[key] != normalizer.get(option) for key, option in options.items())


def _max_length(folder: Path) -> int:
    """The longest input in tokens, as sentence-transformers reads it (sentence_bert_config.json first)."""
    for name, key in (("sentence_bert_config.json", "max_seq_length"), ("tokenizer_config.json", "model_max_length")):
        path = folder / name
        if path.is_file() and isinstance(value := json.loads(path.read_text()).get(key), int):
            return min(value, 512)
    return 512


def _session(graph: Path, threads: int) -> onnxruntime.InferenceSession:
    """An ONNX Runtime session over the graph on the CPU, with `threads` intra-op threads (0: one a core)."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3  # errors only: not a warning per unused initializer at load
    try:
        return onnxruntime.InferenceSession(str(graph), options, providers=["CPUExecutionProvider"])
    except Exception as err:  # noqa: BLE001 - onnxruntime raises its own kinds for a damaged or foreign graph
        raise BotError(
            f"ONNX Runtime cannot load {graph} ({type(err).__name__}); delete that folder and it is exported again, "
            f"or {FALLBACK}."
        ) from err


if __name__ == "__main__":  # the export's child process: python -m bot.onnx_runtime MODEL_FOLDER GRAPH
    export(Path(sys.argv[1]), Path(sys.argv[2]))
