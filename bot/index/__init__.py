"""Index stage: passages → vectors → a FAISS index + passages + manifest, saved as a folder.

Layout of the index folder:

    index/CURRENT, PREVIOUS, STAGED   names of the live build, the one before it (for
                                       rollback) and one built but not yet published
    index/build.lock                   held by the build running, so that two never run at once
    index/embeddings.sqlite            vectors (and passages' token vectors) cached by the model's
                                       fingerprint + text, so a rebuild embeds only new or changed text
    index/builds/<name>/vectors.faiss
    index/builds/<name>/rows.npy       vector row → passage position
    index/builds/<name>/kinds.npy      vector row → what was embedded (passage, sentence, question)
    index/builds/<name>/vocabulary.json + vocabulary.npy   the documents' words and their vectors
    index/builds/<name>/tokens.npy + token_offsets.npy      each passage's token vectors (float16), rows
                                       token_offsets[i]:token_offsets[i + 1] for passage i
    index/builds/<name>/example_tokens.npy + example_token_offsets.npy   the same for site.toml's example
                                       messages (EXAMPLE_LISTS, in that order), which urgent detection compares
    index/builds/<name>/not_answered.npy + everyday.npy   the vectors of the questions staff marked not
                                       answered here, and of the built-in everyday questions kept for this folder
    index/builds/<name>/passages.jsonl
    index/builds/<name>/knowledge/     the knowledge files the build read, byte for byte: a rollback puts
                                       them back (sources), so the folder and the live build agree again
    index/builds/<name>/manifest.json  written last: a build without it is incomplete
    index/builds/<name>/learned_ranking.json   not this stage's: the search stage keeps the ranking it learned
                                       from the build's taught questions beside it (build_index's `prepare`)

A build is written beside the live one, loaded back and test-searched, and goes live by
replacing the CURRENT file (os.replace is atomic), so a reader never sees half an index
and a crash at any moment leaves the old one serving.

Modules: texts (what is embedded), build (writing a build), cache (the embedding cache),
tokens (reading token vectors), everyday (the built-in everyday questions), manifest, pointers
(which build is live), sources (the knowledge files a build read, put back by a rollback), load (reading a
build back and checking it against the knowledge folder), folder (names and errors).
"""

from bot.config import EmbedOptions
from bot.index.build import BuildSummary, Changes, build_index
from bot.index.folder import IndexMismatchError, IndexMissingError, StaleIndexError
from bot.index.load import Index, check_build, load_build, load_index, require_fresh, stale_files, stale_warning
from bot.index.manifest import FORMAT_VERSION
from bot.index.pointers import CURRENT, PREVIOUS, STAGED, discard_staged, live_build, publish_staged, rollback
from bot.index.sources import Restored, restore_knowledge
from bot.index.texts import EXAMPLE_LISTS, PASSAGE, QUESTION, SENTENCE, TAUGHT, embedding_text, vector_texts, vocabulary

__all__ = [
    "CURRENT",
    "EXAMPLE_LISTS",
    "FORMAT_VERSION",
    "PASSAGE",
    "PREVIOUS",
    "QUESTION",
    "TAUGHT",
    "SENTENCE",
    "STAGED",
    "BuildSummary",
    "Changes",
    "EmbedOptions",
    "Index",
    "IndexMismatchError",
    "Restored",
    "IndexMissingError",
    "StaleIndexError",
    "build_index",
    "check_build",
    "discard_staged",
    "embedding_text",
    "live_build",
    "load_build",
    "load_index",
    "publish_staged",
    "require_fresh",
    "restore_knowledge",
    "rollback",
    "stale_files",
    "stale_warning",
    "vector_texts",
    "vocabulary",
]
