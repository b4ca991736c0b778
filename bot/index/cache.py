"""The embedding cache, index/embeddings.sqlite: vectors by model fingerprint and text, so a rebuild embeds only
text it has not seen, and never takes vectors that other model files made."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import numpy as np
from tqdm import tqdm

from bot.embedding import Embedder
from bot.errors import BotError
from bot.index.folder import REBUILD

VECTORS = "embeddings"  # cache tables; TOKENS' suffix changes whenever the token vectors change in kind
TOKENS = "token_vectors_v1"
ENCODE_CHUNK = 2048  # texts embedded (and cached) at a time: bounds memory on large folders
# Keys looked up by one SELECT ... IN (...): SQLite builds before 3.32 refuse more than 999 bound parameters.
LOOKUP_CHUNK = 500


def damaged_cache(path: Path, err: sqlite3.DatabaseError) -> BotError:
    return BotError(f"The embedding cache {path} is damaged ({err}); delete it and {REBUILD} (all is embedded again).")


class EmbeddingCache:
    """Vectors by model fingerprint and text in SQLite: a rebuild embeds only text it has not seen."""

    def __init__(self, path: Path, fingerprint: str):
        self.fingerprint = fingerprint  # Embedder.fingerprint: other model files never meet these vectors
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
        return hashlib.sha256(f"{self.fingerprint}\0{text}".encode()).hexdigest()

    def lookup(self, keys: list[str], table: str = VECTORS, column: str = "vector") -> dict[str, bytes]:
        found: dict[str, bytes] = {}
        for chunk in _chunks(keys, LOOKUP_CHUNK):
            marks = ",".join("?" * len(chunk))
            found.update(self.connection.execute(f"SELECT key, {column} FROM {table} WHERE key IN ({marks})", chunk))
        return found

    def embed(
        self, texts: list[str], embedder: Embedder, progress: bool, label: str = "Embedding"
    ) -> tuple[np.ndarray, int]:
        """Vectors for all texts (cached ones reused, the rest embedded in chunks and cached); and how many
        were embedded. `label` names them on the progress bar."""
        embedded = self._fill(texts, lambda chunk: (embedder.encode(chunk),), (VECTORS,), progress, label)
        keys = [self.key(t) for t in texts]
        found = self.lookup(list(dict.fromkeys(keys)))
        return np.stack([np.frombuffer(found[k], dtype=np.float32) for k in keys]), embedded

    def embed_passages(
        self, texts: list[str], embedder: Embedder, progress: bool, label: str = "Embedding passages"
    ) -> int:
        """Cache the vectors and the token vectors (float16) of passage texts, both from one pass through the
        model; how many were embedded. write_tokens then copies the token vectors into a build."""

        def encode(chunk: list[str]) -> tuple[np.ndarray, list[np.ndarray]]:
            vectors, tokens = embedder.encode_with_tokens(chunk)
            return vectors, [t.astype(np.float16) for t in tokens]

        return self._fill(texts, encode, (VECTORS, TOKENS), progress, label)

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
            for chunk in _chunks(keys, LOOKUP_CHUNK):
                found = self.lookup(list(dict.fromkeys(chunk)), TOKENS)
                file.writelines(found[key] for key in chunk)
        np.save(folder / f"{prefix}token_offsets.npy", offsets)

    def _fill(
        self,
        texts: list[str],
        encode: Callable[[list[str]], Sequence[Sequence[np.ndarray]]],
        tables: tuple[str, ...],
        progress: bool,
        label: str,
    ) -> int:
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
