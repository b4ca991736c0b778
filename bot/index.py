"""Index stage: passages → vectors → a FAISS index + passages + manifest, saved as a folder.

Layout of the index folder:

    index/CURRENT, PREVIOUS, STAGED   names of the live build, the one before it (for
                                       rollback) and one built but not yet published
    index/embeddings.sqlite            vectors (and passages' token vectors) cached by model +
                                       text, so a rebuild embeds only new or changed text
    index/builds/<name>/vectors.faiss
    index/builds/<name>/rows.npy       vector row → passage position
    index/builds/<name>/kinds.npy      vector row → what was embedded (passage, sentence, question)
    index/builds/<name>/vocabulary.json + vocabulary.npy   the documents' words and their vectors
    index/builds/<name>/tokens.npy + token_offsets.npy      each passage's token vectors (float16), rows
                                       token_offsets[i]:token_offsets[i + 1] for passage i
    index/builds/<name>/example_tokens.npy + example_token_offsets.npy   the same for site.toml's example
                                       messages (EXAMPLE_LISTS, in that order), which urgent detection compares
    index/builds/<name>/passages.jsonl
    index/builds/<name>/manifest.json  written last: a build without it is incomplete

A build is written beside the live one, loaded back and test-searched, and goes live by
replacing the CURRENT file (os.replace is atomic), so a reader never sees half an index
and a crash at any moment leaves the old one serving.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime
from pathlib import Path

import faiss
import numpy as np
from tqdm import tqdm

from bot.config import EmbedOptions, IndexSettings, Settings
from bot.embedding import Embedder
from bot.errors import BotError
from bot.knowledge import Knowledge, Passage, Problem, Site, Source, hash_files, require_folder
from bot.text import content_words, sentences

PASSAGE, SENTENCE, QUESTION = 0, 1, 2  # kinds of vector rows

FORMAT_VERSION = 3  # 2: passages' token vectors, for late interaction; 3: example messages' token vectors
# site.toml's lists of example messages whose token vectors a build stores, in this order.
EXAMPLE_LISTS = ("urgent_examples", "self_harm_examples", "not_urgent_examples")
CURRENT, PREVIOUS, STAGED = "CURRENT", "PREVIOUS", "STAGED"
BUILDS = "builds"
MANIFEST = "manifest.json"
CACHE = "embeddings.sqlite"
VECTORS = "embeddings"  # cache tables; TOKENS' suffix changes whenever the token vectors change in kind
TOKENS = "token_vectors_v1"
REBUILD = "run `python -m bot build`"
MANIFEST_FIELDS = {
    "model": str,
    "dimension": int,
    "passages": int,
    "vectors": int,
    "faiss": str,
    "files": dict,
    "site": dict,
}
ENCODE_CHUNK = 2048  # texts embedded (and cached) at a time: bounds memory on large folders
ABANDONED_AFTER = 3600  # seconds after which an unfinished build folder is a crash leftover


class IndexMissingError(BotError):
    pass


class IndexMismatchError(BotError):
    pass


class StaleIndexError(BotError):
    pass


@dataclass(frozen=True)
class Changes:
    """How the passages of a new build differ from the live build's."""

    added: int = 0
    changed: int = 0  # same document and heading, different text
    removed: int = 0
    reused: int = 0

    def __str__(self) -> str:
        return f"{self.added} added, {self.changed} changed, {self.removed} removed, {self.reused} unchanged"


@dataclass(frozen=True)
class BuildSummary:
    name: str
    documents: int
    passages: int
    vectors: int
    texts: int  # vector rows, vocabulary words and example messages
    embedded: int  # texts that went through the model; the rest came from the cache
    changes: Changes
    warnings: list[Problem]
    seconds: float
    path: Path
    published: bool


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
    tokens: TokenFile  # every passage's token vectors, one after another (float16)
    token_offsets: np.ndarray  # passage position → its first row in tokens; one more entry at the end
    examples: dict[str, list[np.ndarray]]  # each of EXAMPLE_LISTS → its messages' token vectors (float32)

    @property
    def dimension(self) -> int:
        return int(self.manifest["dimension"])

    def passage_tokens(self, position: int) -> np.ndarray:
        return self.tokens.rows(int(self.token_offsets[position]), int(self.token_offsets[position + 1]))


class TokenFile:
    """The rows of a build's tokens.npy, read from the file as searches need them.

    Not memory-mapped: this kernel maps whole large page-cache folios, so each passage read through a mapping
    added about 1 MB to the server's resident memory (1 GB over 200 questions at 50,000 passages)."""

    def __init__(self, path: Path):
        self._file = open(path, "rb")  # noqa: SIM115 - open for the index's life; closed with it
        version = np.lib.format.read_magic(self._file)
        read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        self.shape, fortran_order, self.dtype = read_header(self._file)
        self._start = self._file.tell()
        self._row_bytes = int(np.prod(self.shape[1:], dtype=np.int64)) * self.dtype.itemsize
        size = os.fstat(self._file.fileno()).st_size
        if fortran_order or len(self.shape) != 2 or size != self._start + self.shape[0] * self._row_bytes:
            raise ValueError(f"{path.name} is not a whole 2-D array")

    def __len__(self) -> int:
        return int(self.shape[0])

    def rows(self, start: int, stop: int) -> np.ndarray:
        data = os.pread(self._file.fileno(), (stop - start) * self._row_bytes, self._start + start * self._row_bytes)
        return np.frombuffer(data, dtype=self.dtype).reshape(-1, self.shape[1])


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


def _new_manifest(knowledge: Knowledge, model_name: str, search_index: faiss.Index, options: EmbedOptions) -> dict:
    return {
        "format": FORMAT_VERSION,
        "model": model_name,
        "dimension": int(search_index.d),
        "passages": len(knowledge.passages),
        "vectors": int(search_index.ntotal),
        "faiss": type(search_index).__name__,
        "embedded": asdict(options),
        "files": knowledge.files,
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "site": asdict(knowledge.site),
    }


def build_index(
    knowledge: Knowledge,
    index_dir: Path,
    embedder: Embedder,
    progress: bool = False,
    settings: IndexSettings | None = None,
    publish: bool = True,
) -> BuildSummary:
    """Embed what the cache lacks, write a new build, check it, and (by default) make it live."""
    started = time.perf_counter()
    settings = settings or Settings().index
    index_dir = Path(index_dir)
    if not knowledge.passages:
        raise BotError("The knowledge folder has no passages to index; add text under its headings.")
    texts, rows, kinds = vector_texts(knowledge.passages, settings.embed)
    words = vocabulary(knowledge.passages)
    index_dir.mkdir(parents=True, exist_ok=True)
    passage_texts = texts[: len(knowledge.passages)]  # passage rows come first
    example_texts = [text for name in EXAMPLE_LISTS for text in getattr(knowledge.site, name)]
    with EmbeddingCache(index_dir / CACHE, embedder.model_name) as cache:
        embedded = cache.embed_passages(passage_texts, embedder, progress)  # their vectors and token vectors
        embedded += cache.embed_passages(example_texts, embedder, progress)
        vectors, rest = cache.embed(texts + words, embedder, progress)
        embedded += rest
        name = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        folder = index_dir / BUILDS / name
        vectors, word_vectors = vectors[: len(texts)], vectors[len(texts) :]
        search_index = _faiss_index(vectors, settings.exact_limit)
        manifest = _new_manifest(knowledge, embedder.model_name, search_index, settings.embed)
        dimension = manifest["dimension"]

        def write_tokens(folder: Path) -> None:
            cache.write_tokens(passage_texts, dimension, folder)
            cache.write_tokens(example_texts, dimension, folder, prefix="example_")

        _write_build(folder, search_index, rows, kinds, words, word_vectors, knowledge.passages, manifest, write_tokens)
    _validate(folder, embedder.model_name)
    changes = _changes(index_dir, knowledge.passages)
    _point(index_dir, STAGED, name)
    if publish:
        publish_staged(index_dir)
    _prune(index_dir)
    return BuildSummary(
        name=name,
        documents=knowledge.documents,
        passages=len(knowledge.passages),
        vectors=int(search_index.ntotal),
        texts=len(texts) + len(words) + len(example_texts),
        embedded=embedded,
        changes=changes,
        warnings=knowledge.warnings,
        seconds=time.perf_counter() - started,
        path=folder,
        published=publish,
    )


def _write_build(
    folder: Path,
    search_index: faiss.Index,
    rows: np.ndarray,
    kinds: np.ndarray,
    words: list[str],
    word_vectors: np.ndarray,
    passages: list[Passage],
    manifest: dict,
    write_tokens: Callable[[Path], None],  # the token files, streamed from the embedding cache
) -> None:
    """Every file of a build; the manifest last, so a build without one is known to be unfinished."""
    folder.mkdir(parents=True)
    faiss.write_index(search_index, str(folder / "vectors.faiss"))
    np.save(folder / "rows.npy", rows)
    np.save(folder / "kinds.npy", kinds)
    np.save(folder / "vocabulary.npy", word_vectors)
    write_tokens(folder)
    (folder / "vocabulary.json").write_text(json.dumps(words, ensure_ascii=False), encoding="utf-8")
    with open(folder / "passages.jsonl", "w", encoding="utf-8") as out:
        for passage in passages:
            out.write(json.dumps(asdict(passage), ensure_ascii=False) + "\n")
    _write_atomically(folder / MANIFEST, json.dumps(manifest, indent=2, ensure_ascii=False))


def publish_staged(index_dir: Path) -> str:
    """Make the staged build live; the live one becomes the previous (for rollback)."""
    staged = _pointed(index_dir, STAGED)
    if staged is None:
        raise IndexMissingError(f"No build is waiting in {index_dir}/; run `python -m bot build --stage` first.")
    _manifest(Path(index_dir) / BUILDS / staged)  # one from an older version would not load
    _switch(index_dir, staged)
    (Path(index_dir) / STAGED).unlink(missing_ok=True)
    return staged


def rollback(index_dir: Path) -> str:
    """Put the previous build back live; the rolled-back one becomes the previous (so it can be redone)."""
    previous = _pointed(index_dir, PREVIOUS)
    if previous is None:
        raise IndexMissingError(f"There is no previous build in {index_dir}/ to roll back to.")
    try:
        _manifest(Path(index_dir) / BUILDS / previous)
    except BotError as err:
        raise IndexMismatchError(f"Cannot roll back to build {previous}: {err}") from None
    _switch(index_dir, previous)
    return previous


def live_build(index_dir: Path) -> str | None:
    """The name of the live build: cheap enough to check before every request."""
    return _pointed(index_dir, CURRENT)


def load_index(index_dir: Path, model_name: str, which: str = CURRENT) -> Index:
    """Load the live (or previous, or staged) build, refusing one made by another model or format."""
    index_dir = Path(index_dir)
    name = _pointed(index_dir, which)
    if name is None:
        if which != CURRENT:
            how = {STAGED: "run `python -m bot build --stage` to make one"}.get(which, "one appears after a rebuild")
            raise IndexMissingError(f"There is no {which.lower()} build in {index_dir}/; {how}.")
        raise IndexMissingError(f"No index in {index_dir}/; {REBUILD} to build it from the knowledge folder.")
    return _load_build(index_dir / BUILDS / name, model_name)


def stale_files(index: Index, knowledge_dir: Path) -> list[str]:
    """Knowledge files added, removed or changed since the index was built."""
    built = index.manifest["files"]
    now = hash_files(Path(knowledge_dir))
    return sorted(name for name in built.keys() | now.keys() if built.get(name) != now.get(name))


def require_fresh(index: Index, knowledge_dir: Path) -> None:
    require_folder(knowledge_dir)
    changed = stale_files(index, knowledge_dir)
    if changed:
        shown = ", ".join(changed[:5]) + (f" and {len(changed) - 5} more" if len(changed) > 5 else "")
        raise StaleIndexError(f"{knowledge_dir}/ changed since the index was built ({shown}); {REBUILD}.")


def _load_build(folder: Path, model_name: str) -> Index:
    manifest = _manifest(folder)
    if manifest.get("model") != model_name:
        raise IndexMismatchError(
            f"The index was built with the model {manifest.get('model')!r} "
            f"but the model in use is {model_name!r}; {REBUILD}."
        )
    try:
        passages = _read_passages(folder)
        vectors = faiss.read_index(str(folder / "vectors.faiss"))
        rows = np.load(folder / "rows.npy")
        kinds = np.load(folder / "kinds.npy")
        words = json.loads((folder / "vocabulary.json").read_text(encoding="utf-8"))
        word_vectors = np.load(folder / "vocabulary.npy")
        tokens = TokenFile(folder / "tokens.npy")
        token_offsets = np.load(folder / "token_offsets.npy")
        example_tokens = np.load(folder / "example_tokens.npy").astype(np.float32)
        example_offsets = np.load(folder / "example_token_offsets.npy")
    except (OSError, ValueError, KeyError, TypeError, RuntimeError) as err:  # faiss raises RuntimeError
        raise IndexMismatchError(f"The index in {folder} is damaged or incomplete ({err}); {REBUILD}.") from None
    counts = (len(passages), vectors.ntotal, len(rows), len(kinds), len(words), len(token_offsets))
    expected = (manifest["passages"], manifest["vectors"], vectors.ntotal, vectors.ntotal, len(word_vectors))
    tokens_fit = (
        tokens.shape[1] == manifest["dimension"]
        and token_offsets[0] == 0
        and token_offsets[-1] == len(tokens)
        and bool(np.all(np.diff(token_offsets) >= 0))
    )
    if counts != (*expected, len(passages) + 1) or not tokens_fit:
        raise IndexMismatchError(f"The index in {folder} does not match its manifest; {REBUILD}.")
    site = manifest["site"]
    try:
        lists = {f.name: tuple(site.get(f.name, ())) for f in fields(Site) if isinstance(f.default, tuple)}
        site = Site(**{**site, **lists})
    except TypeError:
        raise IndexMismatchError(f"The site texts in {folder / MANIFEST} are garbled; {REBUILD}.") from None
    examples = _split_examples(site, example_tokens, example_offsets)
    if examples is None:
        raise IndexMismatchError(f"The example messages in {folder} do not match its manifest; {REBUILD}.")
    return Index(
        folder, manifest, passages, vectors, rows, kinds, words, word_vectors, site, tokens, token_offsets, examples
    )


def _split_examples(site: Site, tokens: np.ndarray, offsets: np.ndarray) -> dict[str, list[np.ndarray]] | None:
    """Each example list's token vectors, or None when the stored rows do not fit the site's lists."""
    counts = [len(getattr(site, name)) for name in EXAMPLE_LISTS]
    fits = len(offsets) == sum(counts) + 1 and offsets[0] == 0 and offsets[-1] == len(tokens)
    if not fits or bool(np.any(np.diff(offsets) < 0)):
        return None
    rows = [tokens[offsets[i] : offsets[i + 1]] for i in range(len(offsets) - 1)]
    starts = np.cumsum([0, *counts])
    return {name: rows[starts[i] : starts[i + 1]] for i, name in enumerate(EXAMPLE_LISTS)}


def _manifest(folder: Path) -> dict:
    """A finished build's manifest, refusing one this version cannot read."""
    manifest_path = folder / MANIFEST
    if not manifest_path.is_file():
        raise IndexMissingError(f"The index in {folder} is incomplete (no {MANIFEST}); {REBUILD}.")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise IndexMismatchError(f"{manifest_path} is not valid JSON; {REBUILD}.") from None
    if not isinstance(manifest, dict):
        raise IndexMismatchError(f"{manifest_path} is not a build manifest; {REBUILD}.")
    if manifest.get("format") != FORMAT_VERSION:
        raise IndexMismatchError(
            f"The index was built in format {manifest.get('format')}, "
            f"this version reads format {FORMAT_VERSION}; {REBUILD}."
        )
    damaged = [key for key, kind in MANIFEST_FIELDS.items() if not isinstance(manifest.get(key), kind)]
    if damaged:
        raise IndexMismatchError(f"{manifest_path} lacks or garbles {', '.join(damaged)}; {REBUILD}.")
    return manifest


def _read_passages(folder: Path) -> list[Passage]:
    with open(folder / "passages.jsonl", encoding="utf-8") as lines:
        return [_passage_from_dict(json.loads(line)) for line in lines]


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


def _pointed(index_dir: Path, pointer: str, damaged_as_none: bool = False) -> str | None:
    """The build a pointer file names. A build, which writes a new pointer, reads a damaged one as none."""
    path = Path(index_dir) / pointer
    try:
        name = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as err:  # a folder, a file where the index folder should be, binary
        if damaged_as_none and path.parent.is_dir():
            return None
        raise IndexMismatchError(f"{path} is not a build pointer ({err}); {REBUILD} to write a new one.") from None
    return name or None


def _point(index_dir: Path, pointer: str, name: str) -> None:
    path = Path(index_dir) / pointer
    if path.is_dir():
        raise IndexMismatchError(f"{path} is a folder, not a build pointer; delete it and {REBUILD}.")
    _write_atomically(path, name + "\n")


def _switch(index_dir: Path, name: str) -> None:
    live = _pointed(index_dir, CURRENT, damaged_as_none=True)
    if live and live != name:
        _point(index_dir, PREVIOUS, live)
    _point(index_dir, CURRENT, name)


def _prune(index_dir: Path) -> None:
    """Remove builds no pointer names, and unfinished ones old enough to be crash leftovers."""
    try:
        keep = {_pointed(index_dir, p) for p in (CURRENT, PREVIOUS, STAGED)}
    except IndexMismatchError:  # a pointer is damaged: which builds are still named is unknown, so keep them all
        return
    for folder in (Path(index_dir) / BUILDS).iterdir():
        finished = (folder / MANIFEST).is_file()
        abandoned = time.time() - folder.stat().st_mtime > ABANDONED_AFTER
        if folder.name not in keep and (finished or abandoned):
            shutil.rmtree(folder, ignore_errors=True)


def _changes(index_dir: Path, passages: list[Passage]) -> Changes:
    """Compared with the live build's passages, whatever its format or model: they are text."""
    live = _pointed(index_dir, CURRENT, damaged_as_none=True)
    try:
        old = _read_passages(Path(index_dir) / BUILDS / live) if live else []
    except (OSError, ValueError, KeyError, TypeError):
        old = []
    if not old:
        return Changes(added=len(passages))
    old_ids = {p.id for p in old}
    new_ids = {p.id for p in passages}
    gone = {(p.source.path, p.headings) for p in old if p.id not in new_ids}
    fresh = [p for p in passages if p.id not in old_ids]
    changed = sum(1 for p in fresh if (p.source.path, p.headings) in gone)
    return Changes(
        added=len(fresh) - changed,
        changed=changed,
        removed=len(old_ids - new_ids) - changed,
        reused=len(new_ids & old_ids),
    )


def _faiss_index(vectors: np.ndarray, exact_limit: int) -> faiss.Index:
    """Unit vectors, so inner product is cosine. Exact search up to exact_limit rows; HNSW beyond,
    whose recall@10 against exact search `python -m bot scale` measures."""
    dimension = vectors.shape[1]
    if len(vectors) <= exact_limit:
        index = faiss.IndexFlatIP(dimension)
    else:
        index = faiss.IndexHNSWFlat(dimension, 32, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = 80
        index.hnsw.efSearch = 128
    index.add(vectors)
    return index


def damaged_cache(path: Path, err: sqlite3.DatabaseError) -> BotError:
    return BotError(f"The embedding cache {path} is damaged ({err}); delete it and {REBUILD} (all is embedded again).")


class EmbeddingCache:
    """Vectors by model and text in SQLite: a rebuild embeds only text it has not seen."""

    def __init__(self, path: Path, model_name: str):
        self.model_name = model_name
        self.path = path
        try:
            self.connection = sqlite3.connect(path, timeout=30)
            self.connection.execute("PRAGMA journal_mode=WAL")
            for table in (VECTORS, TOKENS):
                create = f"CREATE TABLE IF NOT EXISTS {table} (key TEXT PRIMARY KEY, vector BLOB NOT NULL)"
                self.connection.execute(create)
        except sqlite3.OperationalError as err:  # locked or unreadable, not damaged
            raise BotError(f"The embedding cache {path} cannot be opened ({err}); is another build running?") from None
        except sqlite3.DatabaseError as err:
            raise damaged_cache(path, err) from None

    def __enter__(self) -> EmbeddingCache:
        return self

    def __exit__(self, _kind, error, _trace) -> None:
        self.connection.close()
        if isinstance(error, sqlite3.DatabaseError) and not isinstance(error, sqlite3.OperationalError):
            raise damaged_cache(self.path, error) from None  # damage past the first page shows only when read

    def key(self, text: str) -> str:
        return hashlib.sha256(f"{self.model_name}\0{text}".encode()).hexdigest()

    def lookup(self, keys: list[str], table: str = VECTORS, column: str = "vector") -> dict[str, bytes]:
        found: dict[str, bytes] = {}
        for chunk in _chunks(keys, 500):
            marks = ",".join("?" * len(chunk))
            found.update(self.connection.execute(f"SELECT key, {column} FROM {table} WHERE key IN ({marks})", chunk))
        return found

    def embed(self, texts: list[str], embedder: Embedder, progress: bool) -> tuple[np.ndarray, int]:
        """Vectors for all texts (cached ones reused, the rest embedded in chunks and cached); and how many
        were embedded."""
        embedded = self._fill(texts, lambda chunk: (embedder.encode(chunk),), (VECTORS,), progress, "Embedding")
        keys = [self.key(t) for t in texts]
        found = self.lookup(list(dict.fromkeys(keys)))
        return np.stack([np.frombuffer(found[k], dtype=np.float32) for k in keys]), embedded

    def embed_passages(self, texts: list[str], embedder: Embedder, progress: bool) -> int:
        """Cache the vectors and the token vectors (float16) of passage texts, both from one pass through the
        model; how many were embedded. write_tokens then copies the token vectors into a build."""

        def encode(chunk: list[str]) -> tuple[np.ndarray, list[np.ndarray]]:
            vectors, tokens = embedder.encode_with_tokens(chunk)
            return vectors, [t.astype(np.float16) for t in tokens]

        return self._fill(texts, encode, (VECTORS, TOKENS), progress, "Embedding passages")

    def write_tokens(self, texts: list[str], dimension: int, folder: Path, prefix: str = "") -> None:
        """tokens.npy and token_offsets.npy of a build, copied from the cache a chunk at a time, so memory stays
        small however many passages there are. The dimension is given: a rebuild with everything cached never
        loads the model."""
        keys = [self.key(t) for t in texts]
        sizes = self.lookup(list(dict.fromkeys(keys)), TOKENS, column="length(vector)")
        if any(int(size) % (2 * dimension) for size in sizes.values()):  # not whole rows of float16
            raise damaged_cache(self.path, sqlite3.DatabaseError(f"a token vector entry is not {dimension} wide"))
        offsets = np.cumsum([0, *(int(sizes[k]) // (2 * dimension) for k in keys)])
        header = {"descr": np.lib.format.dtype_to_descr(np.dtype(np.float16)), "fortran_order": False}
        with open(folder / f"{prefix}tokens.npy", "wb") as file:  # in order, not through a memory map (see TokenFile)
            np.lib.format.write_array_header_2_0(file, {**header, "shape": (int(offsets[-1]), dimension)})
            for chunk in _chunks(keys, 500):
                found = self.lookup(list(dict.fromkeys(chunk)), TOKENS)
                file.writelines(found[key] for key in chunk)
        np.save(folder / f"{prefix}token_offsets.npy", offsets)

    def _fill(self, texts: list[str], encode, tables: tuple[str, ...], progress: bool, label: str) -> int:
        """Encode the texts that any of the tables lacks, in chunks, and store what encode returns for each table
        (one sequence per table); how many there were."""
        keys = [self.key(t) for t in texts]
        unique = list(dict.fromkeys(keys))
        present = [self.lookup(unique, table, column="1") for table in tables]
        missing = [k for k in unique if not all(k in found for found in present)]
        text_of = dict(zip(keys, texts, strict=True))
        bar = tqdm(total=len(missing), desc=label, unit="text", disable=not progress or not missing)
        for chunk in _chunks(missing, ENCODE_CHUNK):
            encoded = encode([text_of[k] for k in chunk])
            with self.connection:  # one transaction a chunk: a killed build keeps what it embedded
                for table, values in zip(tables, encoded, strict=True):
                    rows = [(k, v.tobytes()) for k, v in zip(chunk, values, strict=True)]
                    self.connection.executemany(f"INSERT OR REPLACE INTO {table} VALUES (?, ?)", rows)
            bar.update(len(chunk))
        bar.close()
        return len(missing)


def _chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
