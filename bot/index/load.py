"""Reading a build back: the live (or previous, or staged) one, checked against its manifest, and whether
the knowledge folder changed since it was built."""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from pathlib import Path

import faiss
import numpy as np

from bot.embedding import Embedder
from bot.index.everyday import CALM_PATH, EVERYDAY_PATH, calm_fingerprint, everyday_fingerprint
from bot.index.folder import (
    MANIFEST,
    REBUILD,
    IndexMismatchError,
    IndexMissingError,
    StaleIndexError,
    build_folder,
)
from bot.index.manifest import read_manifest
from bot.index.pointers import CURRENT, STAGED, read_pointer
from bot.index.texts import EXAMPLE_LISTS, TAUGHT
from bot.index.tokens import TokenFile
from bot.knowledge import Passage, Site, Source, hash_files, require_folder
from bot.text import listed


@dataclass
class Index:
    path: Path
    manifest: dict
    passages: list[Passage]
    search_index: faiss.Index  # every vector row, searched by cosine
    rows: np.ndarray  # vector row → passage position
    kinds: np.ndarray  # vector row → PASSAGE, SENTENCE or QUESTION
    vocabulary: list[str]
    vocabulary_vectors: np.ndarray
    site: Site
    tokens: TokenFile  # every passage's token vectors, one after another (float16)
    token_offsets: np.ndarray  # passage position → its first row in tokens; one more entry at the end
    examples: dict[str, list[np.ndarray]]  # each of EXAMPLE_LISTS → its messages' token vectors (float32)
    not_answered: list[str]  # questions staff marked as not answered here (phrasings.toml)
    not_answered_vectors: np.ndarray  # their unit vectors, one row each
    everyday: list[str]  # built-in everyday questions this folder does not answer (bot/index/everyday.py)
    everyday_vectors: np.ndarray  # their unit vectors, one row each
    taught_tokens: TokenFile  # every taught question's token vectors, in the order of the TAUGHT rows (float16)
    taught_token_offsets: np.ndarray  # taught question (its TAUGHT row's rank) → its first row; one more at the end

    @property
    def dimension(self) -> int:
        return int(self.manifest["dimension"])

    def passage_tokens(self, position: int) -> np.ndarray:
        return self.tokens.rows(int(self.token_offsets[position]), int(self.token_offsets[position + 1]))

    def close(self) -> None:
        """Close the token files; the rest lives in memory and goes with the object."""
        self.tokens.close()
        self.taught_tokens.close()


def load_index(index_dir: Path, embedder: Embedder, which: str = CURRENT) -> Index:
    """Load the live (or previous, or staged) build, refusing one made by other model files or format."""
    index_dir = Path(index_dir)
    name = read_pointer(index_dir, which)
    if name is None:
        if which != CURRENT:
            how = {STAGED: "run `python -m bot build --stage` to make one"}.get(which, "one appears after a rebuild")
            raise IndexMissingError(f"There is no {which.lower()} build in {index_dir}/; {how}.")
        raise IndexMissingError(f"No index in {index_dir}/; {REBUILD} to build it from the knowledge folder.")
    return load_build(build_folder(index_dir, name), embedder)


def stale_files(index: Index, knowledge_dir: Path) -> list[str]:
    """Knowledge files added, removed or changed since the index was built; and the built-in everyday questions
    and calm messages, when the build used another version of them."""
    built = index.manifest["files"]
    now = hash_files(Path(knowledge_dir))
    changed = sorted(name for name in built.keys() | now.keys() if built.get(name) != now.get(name))
    if index.manifest.get("everyday_list") not in (None, everyday_fingerprint()):
        changed.append(EVERYDAY_PATH)
    if index.manifest.get("calm_list") not in (None, calm_fingerprint()):
        changed.append(CALM_PATH)
    return changed


def require_fresh(index: Index, knowledge_dir: Path) -> None:
    """Refuse a build older than the knowledge folder: for `build --if-needed`, which then rebuilds."""
    require_folder(knowledge_dir)
    changed = stale_files(index, knowledge_dir)
    if changed:
        raise StaleIndexError(f"{knowledge_dir}/ changed since the index was built ({listed(changed)}); {REBUILD}.")


def stale_warning(index: Index, knowledge_dir: Path, changed: list[str]) -> str:
    """What staff read when the build being served is older than the knowledge folder."""
    return (
        f"the live index (build {index.path.name}) is older than {knowledge_dir}/ ({listed(changed)} changed "
        f"since); answers come from that build until you {REBUILD} (or `build --stage`, then `python -m bot publish`)"
    )


def check_build(folder: Path, embedder: Embedder) -> None:
    """Load a build and let it go: what publish and rollback ask of one before it goes live."""
    load_build(folder, embedder).close()


def load_build(folder: Path, embedder: Embedder) -> Index:
    """One build folder, refusing one made by other model files, and one whose files disagree with its manifest."""
    manifest = read_manifest(folder)
    if manifest["fingerprint"] != embedder.fingerprint:
        built_by, running = manifest.get("runtime") or "torch", getattr(embedder, "runtime", None)  # torch before
        if running and built_by != running:
            raise IndexMismatchError(
                f"The index was built by the {built_by} model runtime, and BOT_MODEL_RUNTIME is {running}; {REBUILD} "
                f"(or set BOT_MODEL_RUNTIME={built_by})."
            )
        raise IndexMismatchError(
            f"The index was built with other model files ({manifest['model']!r}, fingerprint "
            f"{manifest['fingerprint'][:12]}) than those in use ({embedder.name!r}, {embedder.fingerprint[:12]}); "
            f"{REBUILD}."
        )
    try:
        passages = read_passages(folder)
        search_index = faiss.read_index(str(folder / "vectors.faiss"))
        rows = np.load(folder / "rows.npy")
        kinds = np.load(folder / "kinds.npy")
        words = json.loads((folder / "vocabulary.json").read_text(encoding="utf-8"))
        word_vectors = np.load(folder / "vocabulary.npy")
        tokens = TokenFile(folder / "tokens.npy")
        token_offsets = np.load(folder / "token_offsets.npy")
        taught_tokens = TokenFile(folder / "taught_tokens.npy")
        taught_offsets = np.load(folder / "taught_token_offsets.npy")
        example_tokens = np.load(folder / "example_tokens.npy").astype(np.float32)
        example_offsets = np.load(folder / "example_token_offsets.npy")
        not_answered_vectors = np.load(folder / "not_answered.npy")
        everyday_vectors = np.load(folder / "everyday.npy")
    except (OSError, ValueError, KeyError, TypeError, RuntimeError) as err:  # faiss raises RuntimeError
        raise IndexMismatchError(f"The index in {folder} is damaged or incomplete ({err}); {REBUILD}.") from None
    counts = (len(passages), search_index.ntotal, len(rows), len(kinds), len(words), len(token_offsets))
    expected = (manifest["passages"], manifest["vectors"], search_index.ntotal, search_index.ntotal, len(word_vectors))
    taught_fit = len(taught_offsets) == int(np.sum(kinds == TAUGHT)) + 1
    tokens_fit = _offsets_fit(tokens, token_offsets, manifest["dimension"])
    taught_tokens_fit = _offsets_fit(taught_tokens, taught_offsets, manifest["dimension"])
    if counts != (*expected, len(passages) + 1) or not (tokens_fit and taught_fit and taught_tokens_fit):
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
    not_answered = manifest.get("not_answered", [])
    everyday = manifest.get("everyday", [])
    if len(not_answered) != len(not_answered_vectors) or len(everyday) != len(everyday_vectors):
        raise IndexMismatchError(f"The not-answered questions in {folder} do not match its manifest; {REBUILD}.")
    return Index(
        folder,
        manifest,
        passages,
        search_index,
        rows,
        kinds,
        words,
        word_vectors,
        site,
        tokens,
        token_offsets,
        examples,
        not_answered,
        not_answered_vectors.astype(np.float32).reshape(len(not_answered), manifest["dimension"]),
        everyday,
        everyday_vectors.astype(np.float32).reshape(len(everyday), manifest["dimension"]),
        taught_tokens,
        taught_offsets,
    )


def _offsets_fit(tokens: TokenFile, offsets: np.ndarray, dimension: int) -> bool:
    """Whether a token file's rows are as wide as the model's vectors and its offsets cover them, in order."""
    return (
        tokens.shape[1] == dimension
        and offsets[0] == 0
        and offsets[-1] == len(tokens)
        and bool(np.all(np.diff(offsets) >= 0))
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


def read_passages(folder: Path) -> list[Passage]:
    with open(folder / "passages.jsonl", encoding="utf-8") as lines:
        return [_passage_from_dict(json.loads(line)) for line in lines]


def _passage_from_dict(data: dict) -> Passage:
    return Passage(
        id=data["id"],
        text=data["text"],
        headings=tuple(data["headings"]),
        source=Source(**data["source"]),
        line=data["line"],
        phrasings=tuple(data.get("phrasings", ())),
    )
