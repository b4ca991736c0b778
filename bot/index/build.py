"""Building: embed what the cache lacks, write a new build folder, check it, and (by default) make it live."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import faiss
import numpy as np

from bot.atomic import write_atomically
from bot.config import IndexSettings, Settings
from bot.embedding import Embedder
from bot.errors import BotError
from bot.index.cache import EmbeddingCache
from bot.index.everyday import (
    answered_here,
    calm_fingerprint,
    everyday_fingerprint,
    everyday_questions,
    with_calm_messages,
)
from bot.index.folder import CACHE, MANIFEST, build_folder, one_build_at_a_time
from bot.index.load import Index, load_build, read_passages
from bot.index.manifest import new_manifest
from bot.index.pointers import CURRENT, STAGED, make_live, prune, read_pointer, write_pointer
from bot.index.sources import keep_sources
from bot.index.texts import EXAMPLE_LISTS, TAUGHT, vector_texts, vocabulary
from bot.knowledge import Knowledge, Passage, Problem
from bot.text import counted, listed

# HNSW past exact_limit rows: 32 links per vector, 80 candidates weighed when one is added and 128 at each
# search; benchmarks/scale.py measured recall@10 0.9995 against exact search with them at 50,000 passages.
HNSW_NEIGHBOURS = 32
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 128


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
    everyday_answered: tuple[str, ...] = ()  # built-in everyday questions left to the folder: it speaks to them
    # staff's "not answered here" questions that a passage new or changed in this build comes near: they still get
    # the fallback, which the new text may have made wrong
    not_answered_near_new: tuple[str, ...] = ()
    replaced_staged: str | None = None  # the build that was staged, unpublished, which this one took the place of

    def describe(self) -> str:
        """What was built and how long it took, as `python -m bot build` and the console say it."""
        left = len(self.everyday_answered)
        return (
            (
                f"{counted(self.documents, 'document')}, {counted(self.passages, 'passage')} ({self.changes}), "
                f"{counted(self.vectors, 'vector')}; {self.embedded} of {counted(self.texts, 'text')} embedded, the "
                f"rest from the cache; {counted(len(self.warnings), 'warning')}; {self.seconds:.1f} s."
            )
            + (f" {counted(left, 'everyday question')} left to the documents, which speak to them." if left else "")
            + self._shadowed()
            + (
                f" It replaces build {self.replaced_staged}, which was staged and not published (this build read the "
                "folder as it is now)."
                if self.replaced_staged
                else ""
            )
        )

    def _shadowed(self) -> str:
        near = self.not_answered_near_new
        if not near:
            return ""
        return (
            f' Marked "not answered here", and near what this build adds or changes: {listed(map(repr, near), 3)}. '
            "They still get the "
            "fallback: if the documents answer them now, untaught them (the console's Visitor questions tab, or "
            "delete them from [not_answered] in phrasings.toml)."
        )


def build_index(
    knowledge: Knowledge,
    index_dir: Path,
    embedder: Embedder,
    progress: bool = False,
    settings: IndexSettings | None = None,
    publish: bool = True,
    prepare: Callable[[Index], None] | None = None,
    announce: Callable[[BuildSummary], None] | None = None,
) -> BuildSummary:
    """Embed what the cache lacks, write a new build, check it, and (by default) make it live. `prepare` is called
    with the new build, loaded, once it is checked, before it is staged: a later stage keeps its own files in its
    folder (bot/search.py, the learned ranking), so that nothing loading the build waits to make them. `announce`
    is called with the summary just before the build goes live or is staged: an audit line written then is there
    however the process ends after."""
    index_dir = Path(index_dir)
    if not knowledge.passages:
        raise BotError("The knowledge folder has no passages to index; add text under its headings.")
    index_dir.mkdir(parents=True, exist_ok=True)
    with one_build_at_a_time(index_dir):
        summary = _build(knowledge, index_dir, embedder, progress, settings or Settings().index, publish, prepare)
        if announce is not None:
            announce(summary)
        # a plain build goes live at once: a STAGED pointer written first would outlive a build killed meanwhile
        if publish:
            make_live(index_dir, summary.name, replacing=summary.replaced_staged)
        else:
            write_pointer(index_dir, STAGED, summary.name)
        prune(index_dir)
        return summary


def _build(
    knowledge: Knowledge,
    index_dir: Path,
    embedder: Embedder,
    progress: bool,
    settings: IndexSettings,
    publish: bool,
    prepare: Callable[[Index], None] | None,
) -> BuildSummary:
    """The new build, written and checked: what build_index then makes live or stages."""
    started = time.perf_counter()
    site = with_calm_messages(knowledge.site) if settings.calm_messages else knowledge.site
    calm_list = calm_fingerprint() if site is not knowledge.site else None  # added: a build with another is stale
    knowledge = replace(knowledge, site=site)
    texts, rows, kinds = vector_texts(knowledge.passages, settings.embed)
    words = vocabulary(knowledge.passages)
    passage_texts = texts[: len(knowledge.passages)]  # passage rows come first
    example_texts = [text for name in EXAMPLE_LISTS for text in getattr(knowledge.site, name)]
    taught_texts = [text for text, kind in zip(texts, kinds, strict=True) if kind == TAUGHT]  # in row order
    with EmbeddingCache(index_dir / CACHE, embedder.fingerprint) as cache:
        embedded = cache.embed_passages(passage_texts, embedder, progress)  # their vectors and token vectors
        embedded += cache.embed_passages(example_texts, embedder, progress, "Embedding the urgent check's examples")
        embedded += cache.embed_passages(taught_texts, embedder, progress, "Embedding taught questions")
        everyday = everyday_questions() if settings.everyday_questions else []
        # headings, FAQ questions, taught questions, words, and the not-answered examples: staff's, then built in
        others = texts + words + list(knowledge.not_answered) + everyday
        vectors, rest = cache.embed(others, embedder, progress, "Embedding questions, headings and words")
        embedded += rest
        vectors, word_vectors, not_answered, everyday_vectors = np.split(
            vectors, np.cumsum([len(texts), len(words), len(knowledge.not_answered)])
        )
        name = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        folder = build_folder(index_dir, name)
        search_index = _faiss_index(vectors, settings.exact_limit)
        answered = answered_here(
            everyday_vectors, search_index, settings.everyday_answered_similarity, settings.everyday_same_intent
        )
        manifest = new_manifest(knowledge, embedder, search_index, settings.embed)
        manifest["everyday"] = [q for q, covered in zip(everyday, answered, strict=True) if not covered]
        manifest["everyday_answered"] = [q for q, covered in zip(everyday, answered, strict=True) if covered]
        manifest["everyday_list"] = everyday_fingerprint() if settings.everyday_questions else None
        manifest["calm_list"] = calm_list
        dimension = manifest["dimension"]

        def write_tokens(folder: Path) -> None:
            cache.write_tokens(passage_texts, dimension, folder)
            cache.write_tokens(example_texts, dimension, folder, prefix="example_")
            cache.write_tokens(taught_texts, dimension, folder, prefix="taught_")
            np.save(folder / "not_answered.npy", not_answered.reshape(len(knowledge.not_answered), dimension))
            np.save(folder / "everyday.npy", everyday_vectors[~answered].reshape(-1, dimension))

        _write_build(folder, search_index, rows, kinds, words, word_vectors, knowledge, manifest, write_tokens)
    _validate(folder, embedder, prepare)
    live = _live_passages(index_dir)
    changes = _changes(live, knowledge.passages)
    shadowed = _near_new(knowledge, live, not_answered, vectors, rows, kinds, settings.everyday_answered_similarity)
    replaced = read_pointer(index_dir, STAGED, damaged_as_none=True)  # dropped either way: said in the summary
    return BuildSummary(
        name=name,
        documents=knowledge.documents,
        passages=len(knowledge.passages),
        vectors=int(search_index.ntotal),
        texts=len(texts) + len(words) + len(example_texts) + len(knowledge.not_answered) + len(everyday),
        embedded=embedded,
        changes=changes,
        warnings=knowledge.warnings,
        seconds=time.perf_counter() - started,
        path=folder,
        published=publish,
        everyday_answered=tuple(manifest["everyday_answered"]),
        not_answered_near_new=shadowed,
        replaced_staged=replaced,
    )


def _write_build(
    folder: Path,
    search_index: faiss.Index,
    rows: np.ndarray,
    kinds: np.ndarray,
    words: list[str],
    word_vectors: np.ndarray,
    knowledge: Knowledge,
    manifest: dict,
    write_tokens: Callable[[Path], None],  # the token files, streamed from the embedding cache
) -> None:
    """Every file of a build, the knowledge files it was read from among them (a rollback puts them back); the
    manifest last, so a build without one is known to be unfinished."""
    folder.mkdir(parents=True)
    keep_sources(folder, knowledge.sources)
    faiss.write_index(search_index, str(folder / "vectors.faiss"))
    np.save(folder / "rows.npy", rows)
    np.save(folder / "kinds.npy", kinds)
    np.save(folder / "vocabulary.npy", word_vectors)
    write_tokens(folder)
    (folder / "vocabulary.json").write_text(json.dumps(words, ensure_ascii=False), encoding="utf-8")
    with open(folder / "passages.jsonl", "w", encoding="utf-8") as out:
        for passage in knowledge.passages:
            out.write(json.dumps(asdict(passage), ensure_ascii=False) + "\n")
    write_atomically(folder / MANIFEST, json.dumps(manifest, indent=2, ensure_ascii=False))


def _validate(folder: Path, embedder: Embedder, prepare: Callable[[Index], None] | None) -> None:
    """Load the new build, check that each passage vector finds itself, and hand it to `prepare`, before it goes
    live."""
    index = load_build(folder, embedder)
    try:
        probe = min(index.search_index.ntotal, 3)
        vectors = index.search_index.reconstruct_n(0, probe)
        _, found = index.search_index.search(vectors, 1)
        if [int(row[0]) for row in found] != list(range(probe)):
            raise BotError(f"The new index in {folder} failed its test search; the live index was kept.")
        if prepare is not None:
            prepare(index)
    finally:
        index.close()


def _live_passages(index_dir: Path) -> list[Passage]:
    """The live build's passages, whatever its format or model (they are text); none when there is none."""
    live = read_pointer(index_dir, CURRENT, damaged_as_none=True)
    try:
        return read_passages(build_folder(index_dir, live)) if live else []
    except (OSError, ValueError, KeyError, TypeError):
        return []


def _near_new(
    knowledge: Knowledge,
    old: list[Passage],
    not_answered: np.ndarray,
    vectors: np.ndarray,
    rows: np.ndarray,
    kinds: np.ndarray,
    similarity: float,
) -> tuple[str, ...]:
    """Staff's "not answered here" questions that a row of a passage new to this build (its text, a sentence, its
    FAQ question; not what was taught) comes within `similarity` of, as the built-in everyday ones are judged."""
    if not old or not len(not_answered):  # a first build adds everything: what was marked was marked against it
        return ()
    known = {p.id for p in old}
    fresh = np.array([p.id not in known for p in knowledge.passages])
    near = vectors[fresh[rows] & (kinds != TAUGHT)]
    if not len(near):
        return ()
    close = (not_answered @ near.T).max(axis=1) >= similarity
    return tuple(q for q, c in zip(knowledge.not_answered, close, strict=True) if c)


def _changes(old: list[Passage], passages: list[Passage]) -> Changes:
    """Compared with the live build's passages."""
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
    whose recall@10 against exact search `python benchmarks/scale.py` measures."""
    dimension = vectors.shape[1]
    if len(vectors) <= exact_limit:
        index = faiss.IndexFlatIP(dimension)
    else:
        index = faiss.IndexHNSWFlat(dimension, HNSW_NEIGHBOURS, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        index.hnsw.efSearch = HNSW_EF_SEARCH
    index.add(vectors)
    return index
