"""Index stage: passages → vectors → a FAISS index + passages + manifest, saved as a folder.

Layout of the index folder:

    index/CURRENT                  the name of the live build (replaced atomically)
    index/builds/<name>/vectors.faiss
    index/builds/<name>/rows.npy   vector row → passage position
    index/builds/<name>/kinds.npy  vector row → what was embedded (passage, sentence, question)
    index/builds/<name>/vocabulary.json + vocabulary.npy   the documents' words and their vectors
    index/builds/<name>/passages.jsonl
    index/builds/<name>/manifest.json   written last: a build without it is incomplete

A build is written beside the live one and goes live by replacing CURRENT, so a
reader never sees half an index and a crash mid-build leaves the old one in place.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import faiss
import numpy as np

from bot.embedding import Embedder
from bot.errors import BotError
from bot.knowledge import Knowledge, Passage, Problem, Site, Source, hash_files
from bot.text import content_words, sentences

PASSAGE, SENTENCE, QUESTION = 0, 1, 2  # kinds of vector rows

FORMAT_VERSION = 1
POINTER = "CURRENT"
BUILDS = "builds"
MANIFEST = "manifest.json"
REBUILD = "run `python -m bot build`"


class IndexMissingError(BotError):
    pass


class IndexMismatchError(BotError):
    pass


class StaleIndexError(BotError):
    pass


@dataclass(frozen=True)
class BuildSummary:
    documents: int
    passages: int
    vectors: int
    warnings: list[Problem]
    seconds: float
    path: Path


@dataclass(frozen=True)
class EmbedOptions:
    """What is embedded for each passage, besides its text."""

    headings: bool = True  # the passage's own heading, as context
    sentences: bool = True  # each sentence alone, so a narrow question meets its sentence
    questions: bool = True  # an FAQ heading alone, so a visitor's question meets the question it paraphrases


@dataclass
class Index:
    path: Path
    manifest: dict
    passages: list[Passage]
    vectors: faiss.Index
    rows: np.ndarray  # vector row → passage position
    kinds: np.ndarray  # vector row → PASSAGE, SENTENCE or QUESTION
    vocabulary: list[str]
    vocabulary_vectors: np.ndarray
    site: Site

    @property
    def dimension(self) -> int:
        return int(self.manifest["dimension"])


def embedding_text(passage: Passage, headings: bool = True) -> str:
    """What is embedded for a passage: its own heading gives the paragraph its context.

    Only the nearest heading: measured on the evaluation set, the whole path (document
    title included) made passages of one document look alike and ranked worse.
    """
    if headings and passage.headings:
        return f"{passage.headings[-1]}\n{passage.text}"
    return passage.text


def vector_texts(passages: list[Passage], options: EmbedOptions) -> tuple[list[str], np.ndarray, np.ndarray]:
    """The texts to embed, with the passage position and the kind of each row. Passage rows come first."""
    texts = [embedding_text(p, options.headings) for p in passages]
    rows = list(range(len(passages)))
    kinds = [PASSAGE] * len(passages)
    for position, passage in enumerate(passages):
        parts = sentences(passage.text) if options.sentences else []
        extra = [(s, SENTENCE) for s in parts if len(parts) > 1]
        if options.questions and passage.question:
            extra.append((passage.question, QUESTION))
        for text, kind in extra:
            texts.append(text)
            rows.append(position)
            kinds.append(kind)
    return texts, np.asarray(rows, dtype=np.int64), np.asarray(kinds, dtype=np.int8)


def vocabulary(passages: list[Passage]) -> list[str]:
    """Every content word of the documents, headings included."""
    return sorted({w for p in passages for w in content_words(" ".join((*p.headings, p.text)))})


def build_index(
    knowledge: Knowledge,
    index_dir: Path,
    embedder: Embedder,
    progress: bool = False,
    options: EmbedOptions | None = None,
) -> BuildSummary:
    started = time.perf_counter()
    options = options or EmbedOptions()
    if not knowledge.passages:
        raise BotError("The knowledge folder has no passages to index; add text under its headings.")
    texts, rows, kinds = vector_texts(knowledge.passages, options)
    words = vocabulary(knowledge.passages)
    vectors = embedder.encode(texts + words, progress=progress)
    vectors, word_vectors = vectors[: len(texts)], vectors[len(texts) :]
    flat = faiss.IndexFlatIP(vectors.shape[1])  # unit vectors: inner product is cosine; exact search
    flat.add(vectors)
    builds = Path(index_dir) / BUILDS
    builds.mkdir(parents=True, exist_ok=True)
    name = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    folder = builds / name
    folder.mkdir()
    faiss.write_index(flat, str(folder / "vectors.faiss"))
    np.save(folder / "rows.npy", rows)
    np.save(folder / "kinds.npy", kinds)
    np.save(folder / "vocabulary.npy", word_vectors)
    (folder / "vocabulary.json").write_text(json.dumps(words, ensure_ascii=False), encoding="utf-8")
    with open(folder / "passages.jsonl", "w", encoding="utf-8") as out:
        for passage in knowledge.passages:
            out.write(json.dumps(asdict(passage), ensure_ascii=False) + "\n")
    manifest = {
        "format": FORMAT_VERSION,
        "model": embedder.model_name,
        "dimension": int(vectors.shape[1]),
        "passages": len(knowledge.passages),
        "vectors": int(flat.ntotal),
        "embedded": asdict(options),
        "files": knowledge.files,
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "site": asdict(knowledge.site),
    }
    _write_atomically(folder / MANIFEST, json.dumps(manifest, indent=2, ensure_ascii=False))
    _validate(folder, embedder.model_name)
    _write_atomically(Path(index_dir) / POINTER, name + "\n")
    _prune(builds, keep={name, *_previous_build(builds, name)})
    return BuildSummary(
        documents=knowledge.documents,
        passages=len(knowledge.passages),
        vectors=int(flat.ntotal),
        warnings=knowledge.warnings,
        seconds=time.perf_counter() - started,
        path=folder,
    )


def load_index(index_dir: Path, model_name: str) -> Index:
    """Load the live build, refusing one made by another model or format."""
    index_dir = Path(index_dir)
    pointer = index_dir / POINTER
    if not pointer.is_file():
        raise IndexMissingError(f"No index in {index_dir}/; {REBUILD} to build it from the knowledge folder.")
    folder = index_dir / BUILDS / pointer.read_text(encoding="utf-8").strip()
    return _load_build(folder, model_name)


def stale_files(index: Index, knowledge_dir: Path) -> list[str]:
    """Knowledge files added, removed or changed since the index was built."""
    built = index.manifest["files"]
    now = hash_files(Path(knowledge_dir))
    return sorted(name for name in built.keys() | now.keys() if built.get(name) != now.get(name))


def require_fresh(index: Index, knowledge_dir: Path) -> None:
    changed = stale_files(index, knowledge_dir)
    if changed:
        shown = ", ".join(changed[:5]) + (f" and {len(changed) - 5} more" if len(changed) > 5 else "")
        raise StaleIndexError(f"{knowledge_dir}/ changed since the index was built ({shown}); {REBUILD}.")


def _load_build(folder: Path, model_name: str) -> Index:
    manifest_path = folder / MANIFEST
    if not manifest_path.is_file():
        raise IndexMissingError(f"The index in {folder} is incomplete (no {MANIFEST}); {REBUILD}.")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except json.JSONDecodeError:
        raise IndexMismatchError(f"{manifest_path} is not valid JSON; {REBUILD}.") from None
    if manifest.get("format") != FORMAT_VERSION:
        raise IndexMismatchError(
            f"The index was built in format {manifest.get('format')}, "
            f"this version reads format {FORMAT_VERSION}; {REBUILD}."
        )
    if manifest.get("model") != model_name:
        raise IndexMismatchError(
            f"The index was built with the model {manifest.get('model')!r} "
            f"but the model in use is {model_name!r}; {REBUILD}."
        )
    with open(folder / "passages.jsonl", encoding="utf-8") as lines:
        passages = [_passage_from_dict(json.loads(line)) for line in lines]
    vectors = faiss.read_index(str(folder / "vectors.faiss"))
    rows = np.load(folder / "rows.npy")
    kinds = np.load(folder / "kinds.npy")
    words = json.loads((folder / "vocabulary.json").read_text(encoding="utf-8"))
    word_vectors = np.load(folder / "vocabulary.npy")
    counts = (len(passages), vectors.ntotal, len(rows), len(kinds), len(words))
    expected = (manifest["passages"], manifest["vectors"], vectors.ntotal, vectors.ntotal, len(word_vectors))
    if counts != expected:
        raise IndexMismatchError(f"The index in {folder} does not match its manifest; {REBUILD}.")
    site = manifest["site"]
    site = Site(**{**site, "examples": tuple(site.get("examples", ()))})
    return Index(folder, manifest, passages, vectors, rows, kinds, words, word_vectors, site)


def _validate(folder: Path, model_name: str) -> None:
    """Load the new build and check that each passage vector finds itself, before it goes live."""
    index = _load_build(folder, model_name)
    probe = min(index.vectors.ntotal, 3)
    vectors = index.vectors.reconstruct_n(0, probe)
    _, found = index.vectors.search(vectors, 1)
    if [int(row[0]) for row in found] != list(range(probe)):
        raise BotError(f"The new index in {folder} failed its test search; the live index was kept.")


def _passage_from_dict(data: dict) -> Passage:
    return Passage(
        id=data["id"],
        text=data["text"],
        headings=tuple(data["headings"]),
        source=Source(**data["source"]),
        line=data["line"],
    )


def _write_atomically(path: Path, content: str) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(temporary, "w", encoding="utf-8") as out:
        out.write(content)
        out.flush()
        os.fsync(out.fileno())
    os.replace(temporary, path)


def _previous_build(builds: Path, current: str) -> list[str]:
    complete = sorted(p.name for p in builds.iterdir() if (p / MANIFEST).is_file() and p.name != current)
    return complete[-1:]


def _prune(builds: Path, keep: set[str]) -> None:
    """Remove builds that are neither live nor the one kept for rollback (and crashed leftovers)."""
    for folder in builds.iterdir():
        if folder.name not in keep:
            shutil.rmtree(folder, ignore_errors=True)
