"""A build's manifest.json: what the build was made from and with. Written last, read first."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from bot.config import EmbedOptions
from bot.index.folder import MANIFEST, REBUILD, IndexMismatchError, IndexMissingError
from bot.knowledge import Knowledge

if TYPE_CHECKING:
    import faiss

    from bot.embedding import Embedder

# 2: passages' token vectors, for late interaction; 3: example messages' token vectors; 4: taught phrasings and
# the not-answered questions' vectors; 5: the model's fingerprint; 6: taught phrasings are rows of their own kind
# (TAUGHT), no longer FAQ questions; 7: taught phrasings' token vectors, for late interaction; 8: the built-in
# everyday questions kept as not answered here, and their vectors; 9: the built-in calm messages among a site's
# not-urgent examples
FORMAT_VERSION = 9
MANIFEST_FIELDS = {
    "model": str,
    "fingerprint": str,
    "dimension": int,
    "passages": int,
    "vectors": int,
    "faiss": str,
    "files": dict,
    "site": dict,
}


def new_manifest(knowledge: Knowledge, embedder: Embedder, search_index: faiss.Index, options: EmbedOptions) -> dict:
    return {
        "format": FORMAT_VERSION,
        "model": embedder.name,
        "fingerprint": embedder.fingerprint,  # of the files that made the vectors: load_build compares it
        "runtime": getattr(embedder, "runtime", None),  # what ran the model, named when another one is asked
        "dimension": int(search_index.d),
        "passages": len(knowledge.passages),
        "vectors": int(search_index.ntotal),
        "faiss": type(search_index).__name__,
        "embedded": asdict(options),
        "files": knowledge.files,
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "site": asdict(knowledge.site),
        "not_answered": list(knowledge.not_answered),
    }


def read_manifest(folder: Path) -> dict:
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
