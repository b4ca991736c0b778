"""The index stage: save → load → search round trip, and loads that refuse with the fix."""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import time
from pathlib import Path

import numpy as np
import pytest

from bot.config import Settings
from bot.errors import BotError
from bot.index import (
    FORMAT_VERSION,
    STAGED,
    IndexMismatchError,
    IndexMissingError,
    StaleIndexError,
    build_index,
    embedding_text,
    load_index,
    require_fresh,
    stale_files,
)
from bot.index.build import _faiss_index
from bot.knowledge import KnowledgeError, load_knowledge
from bot.search import Searcher

from conftest import FakeEmbedder

TOKEN_FILES = ("tokens.npy", "token_offsets.npy")


def test_round_trip_finds_the_passage_and_its_faq_question(fake_index: Settings):
    index = load_index(fake_index.index_dir, FakeEmbedder())
    assert index.manifest["passages"] == len(index.passages) == 5
    # one row per passage, per sentence of a passage of several sentences (4 + 8 + 2 + 2: see
    # test_the_fixture_corpus_is_what_the_other_tests_assume), per FAQ question
    assert list(np.bincount(index.kinds)) == [5, 16, 2]
    assert index.manifest["vectors"] == index.search_index.ntotal == len(index.rows) == 23
    assert set(index.vocabulary) >= {"tomatoes", "prune", "basil"} and len(index.vocabulary_vectors) == len(
        index.vocabulary
    )
    assert index.site.title == "Garden questions"
    hits = Searcher(index, FakeEmbedder()).search("When should I prune roses?", k=3).hits
    assert hits[0].passage.question == "When should I prune roses?"
    assert hits[0].matched == "question" and hits[0].dense == pytest.approx(1.0, abs=1e-5)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_each_passage_keeps_its_token_vectors_for_late_interaction(fake_index: Settings):
    index = load_index(fake_index.index_dir, FakeEmbedder())
    for position, passage in enumerate(index.passages):
        tokens = index.passage_tokens(position)
        words = re.findall(r"\w+", embedding_text(passage))  # the fake embedder's tokens
        assert tokens.dtype == np.float16 and tokens.shape == (len(words), 256)
        assert np.allclose(np.linalg.norm(tokens.astype(np.float32), axis=1), 1.0, atol=1e-2)
    hits = Searcher(index, FakeEmbedder()).search("When should I prune roses?", k=3).hits
    # every word of the question is in the FAQ entry's heading: each token finds itself
    assert hits[0].passage.question == "When should I prune roses?" and hits[0].late == pytest.approx(1.0, abs=1e-2)
    assert all(0.0 <= h.late <= hits[0].late for h in hits)


def test_k_is_clipped_to_the_corpus_and_empty_queries_find_nothing(fake_index: Settings):
    searcher = Searcher(load_index(fake_index.index_dir, FakeEmbedder()), FakeEmbedder())
    assert len(searcher.search("water", k=50).hits) == 5
    assert searcher.search("   \u200b\t", k=3).hits == []
    assert searcher.search("water", k=0).hits == []


def test_each_progress_bar_of_a_build_names_what_it_embeds(fake_settings: Settings, capsys):
    """A first build showed "Embedding passages" twice (the second over the urgent check's examples, ten times as
    many as there are passages) and then a bare "Embedding"."""
    site = fake_settings.knowledge_dir / "site.toml"
    site.write_text(site.read_text(encoding="utf-8") + 'urgent_examples = ["the shed is on fire"]\n', encoding="utf-8")
    build_index(load_knowledge(fake_settings.knowledge_dir), fake_settings.index_dir, FakeEmbedder(), progress=True)
    bars = re.findall(r"(Embedding[^:]*):", capsys.readouterr().err)
    assert list(dict.fromkeys(bars)) == [
        "Embedding passages",
        "Embedding the urgent check's examples",
        "Embedding questions, headings and words",
    ]


def test_manifest_records_model_fingerprint_dimension_and_file_hashes(fake_index: Settings):
    manifest = load_index(fake_index.index_dir, FakeEmbedder()).manifest
    assert manifest["model"] == "fake-bag-of-words"
    assert manifest["fingerprint"] == FakeEmbedder().fingerprint != FakeEmbedder(fingerprint="retrained").fingerprint
    assert manifest["dimension"] == 256
    assert set(manifest["files"]) == {"garden.md", "site.toml"}
    assert manifest["format"] == FORMAT_VERSION and manifest["built_at"]


def test_missing_index_says_to_build(tmp_path: Path):
    with pytest.raises(IndexMissingError, match=r"run `python -m bot build`"):
        load_index(tmp_path / "index", FakeEmbedder())


def test_an_index_built_with_other_model_files_is_refused_in_one_line(fake_index: Settings):
    """Same name, other files (the fingerprint): the vectors are another model's, whatever the label says."""
    with pytest.raises(IndexMismatchError) as refused:
        load_index(fake_index.index_dir, FakeEmbedder(fingerprint="retrained"))
    message = str(refused.value)
    assert "\n" not in message and re.search(r"built with other model files .*; run `python -m bot build`\.$", message)


def test_an_index_from_before_fingerprints_is_refused_in_one_line(fake_index: Settings):
    """A build of format 4 named its model only by label: it cannot say which files made it."""
    path = load_index(fake_index.index_dir, FakeEmbedder()).path / "manifest.json"
    manifest = json.loads(path.read_text())
    del manifest["fingerprint"]
    path.write_text(json.dumps({**manifest, "format": 4}))
    with pytest.raises(IndexMismatchError) as refused:
        load_index(fake_index.index_dir, FakeEmbedder())
    message = str(refused.value)
    expected = f"format 4, this version reads format {FORMAT_VERSION}; run `python -m bot build`."
    assert "\n" not in message and message.endswith(expected)


def test_the_embedding_cache_never_gives_one_models_vectors_to_another(fake_index: Settings, tmp_path: Path):
    """Another fingerprint embeds every text itself, even with the same name and dimension, and its build loads."""
    knowledge = load_knowledge(fake_index.knowledge_dir)
    from_nothing = build_index(knowledge, tmp_path / "empty", FakeEmbedder()).embedded  # every distinct text
    other = FakeEmbedder(fingerprint="retrained")
    summary = build_index(knowledge, fake_index.index_dir, other)
    assert summary.embedded == from_nothing > 0  # none from the cache the first model filled
    assert load_index(fake_index.index_dir, other).manifest["fingerprint"] == other.fingerprint
    again = build_index(knowledge, fake_index.index_dir, FakeEmbedder())
    assert again.embedded == 0  # the first model's vectors are still cached under its own fingerprint


def test_changed_added_and_removed_files_make_the_index_stale(fake_index: Settings):
    index = load_index(fake_index.index_dir, FakeEmbedder())
    require_fresh(index, fake_index.knowledge_dir)
    knowledge = fake_index.knowledge_dir
    (knowledge / "garden.md").write_text("# Changed\n\nNew text.\n", encoding="utf-8")
    (knowledge / "new.md").write_text("# New\n\nMore.\n", encoding="utf-8")
    (knowledge / "site.toml").unlink()
    assert stale_files(index, knowledge) == ["garden.md", "new.md", "site.toml"]
    with pytest.raises(StaleIndexError, match=r"changed since the index was built .*python -m bot build"):
        require_fresh(index, knowledge)


def test_a_build_made_with_another_version_of_the_everyday_questions_is_stale(fake_index: Settings):
    index = load_index(fake_index.index_dir, FakeEmbedder())
    assert index.manifest["everyday_list"] and stale_files(index, fake_index.knowledge_dir) == []
    index.manifest["everyday_list"] = "made-before-an-edit"
    assert stale_files(index, fake_index.knowledge_dir) == ["bot/everyday_questions.txt"]
    with pytest.raises(StaleIndexError, match=r"\(bot/everyday_questions.txt\); run `python -m bot build`"):
        require_fresh(index, fake_index.knowledge_dir)
    index.manifest["everyday_list"] = None  # built with them turned off: nothing to compare
    assert stale_files(index, fake_index.knowledge_dir) == []


def test_the_built_in_calm_messages_join_the_not_urgent_examples_of_a_site_with_urgent_ones(fake_index: Settings):
    from dataclasses import replace

    from bot.index.everyday import with_calm_messages
    from bot.knowledge import Site

    site = Site(urgent_examples=("my shed is on fire",), not_urgent_examples=("how do I prune roses",))
    calm = with_calm_messages(replace(site, urgent_examples=("goodbye", "my shed is on fire")))
    assert calm.not_urgent_examples[0] == "how do I prune roses" and "ok bye" in calm.not_urgent_examples
    assert "goodbye" not in calm.not_urgent_examples  # the site gives it as urgent: the site's word holds
    assert with_calm_messages(Site()) == Site()  # no urgent examples: no message is read for meaning
    index = load_index(fake_index.index_dir, FakeEmbedder())  # the garden site has urgent phrases, no examples
    assert index.manifest["calm_list"] is None and stale_files(index, fake_index.knowledge_dir) == []


def test_a_build_made_with_another_version_of_the_calm_messages_is_stale(fake_index: Settings):
    index = load_index(fake_index.index_dir, FakeEmbedder())
    index.manifest["calm_list"] = "made-before-an-edit"
    assert stale_files(index, fake_index.knowledge_dir) == ["bot/calm_messages.txt"]


def test_a_build_older_than_the_knowledge_folder_serves_as_published_and_warns_staff(
    fake_index: Settings, caplog: pytest.LogCaptureFixture
):
    from bot.assistant import Assistant

    garden = fake_index.knowledge_dir / "garden.md"
    garden.write_text(garden.read_text(encoding="utf-8").replace("twice a week", "once a week"), encoding="utf-8")
    with caplog.at_level("WARNING", logger="bot.assistant"):
        assistant = Assistant.load(fake_index, embedder=FakeEmbedder())
    reply = assistant.ask("how often should I water tomatoes")
    assert reply.answered and "twice a week" in reply.answer.passage.text  # the published text, not the edit
    [warning] = [r.getMessage() for r in caplog.records]
    assert "is older than" in warning and "(garden.md changed since)" in warning and "python -m bot build" in warning


def test_a_knowledge_folder_that_does_not_exist_is_named_not_called_changed(
    fake_index: Settings, caplog: pytest.LogCaptureFixture, tmp_path: Path
):
    """`ask --knowledge` with a typo answered under a warning that every file had changed; `build` then failed."""
    from dataclasses import replace

    from bot.assistant import Assistant

    mistyped = replace(fake_index, knowledge_dir=tmp_path / "knowledg")
    with caplog.at_level("WARNING", logger="bot.assistant"):
        assistant = Assistant.load(mistyped, embedder=FakeEmbedder())
    assert assistant.ask("how often should I water tomatoes").answered  # the build still serves
    [warning] = [r.getMessage() for r in caplog.records]
    assert f"{mistyped.knowledge_dir}/ does not exist" in warning and "pass --knowledge DIR" in warning
    assert "changed" not in warning


def test_a_build_that_died_before_its_manifest_leaves_the_live_index(fake_index: Settings):
    live = load_index(fake_index.index_dir, FakeEmbedder())
    crashed = fake_index.index_dir / "builds" / "99999999T000000000000Z"
    crashed.mkdir()
    (crashed / "passages.jsonl").write_text("half", encoding="utf-8")
    assert load_index(fake_index.index_dir, FakeEmbedder()).path == live.path
    # the next build leaves a recent one alone (another build may be writing it) and clears an old one
    build_index(load_knowledge(fake_index.knowledge_dir), fake_index.index_dir, FakeEmbedder())
    assert crashed.exists()
    os.utime(crashed, (time.time() - 7200, time.time() - 7200))
    build_index(load_knowledge(fake_index.knowledge_dir), fake_index.index_dir, FakeEmbedder())
    assert not crashed.exists()


def test_rebuild_keeps_the_previous_build_for_rollback(fake_index: Settings):
    first = load_index(fake_index.index_dir, FakeEmbedder()).path
    for _ in range(2):
        build_index(load_knowledge(fake_index.knowledge_dir), fake_index.index_dir, FakeEmbedder())
    builds = sorted(p.name for p in (fake_index.index_dir / "builds").iterdir())
    assert len(builds) == 2 and first.name not in builds


def test_two_builds_of_one_index_folder_take_turns_and_both_are_kept(fake_index: Settings):
    """Run side by side, one build's prune deleted the other's finished folder before its pointer named it."""
    import threading

    from bot.index.folder import one_build_at_a_time

    knowledge = load_knowledge(fake_index.knowledge_dir)
    summaries = []
    with one_build_at_a_time(fake_index.index_dir):  # a build already running
        waiting = threading.Thread(
            target=lambda: summaries.append(build_index(knowledge, fake_index.index_dir, FakeEmbedder(), publish=False))
        )
        waiting.start()
        waiting.join(timeout=1.0)
        assert waiting.is_alive() and not summaries  # it waits for the running one
    waiting.join(timeout=30)
    [staged] = summaries
    assert load_index(fake_index.index_dir, FakeEmbedder(), which=STAGED).path == staged.path  # whole, and named


def test_an_incompatible_format_is_refused(fake_index: Settings):
    index = load_index(fake_index.index_dir, FakeEmbedder())
    manifest = json.loads((index.path / "manifest.json").read_text())
    (index.path / "manifest.json").write_text(json.dumps({**manifest, "format": 0}))
    with pytest.raises(IndexMismatchError, match="format 0"):
        load_index(fake_index.index_dir, FakeEmbedder())


@pytest.mark.parametrize("damage", ["missing", "truncated", "not an array", "wrong width", "offsets past the end"])
@pytest.mark.parametrize("of", ["passages", "taught questions"])
def test_damaged_token_vectors_are_refused_with_the_fix(fake_index: Settings, damage: str, of: str):
    folder = load_index(fake_index.index_dir, FakeEmbedder()).path
    tokens, offsets = [folder / f"{'taught_' if of == 'taught questions' else ''}{name}" for name in TOKEN_FILES]
    if damage == "missing":
        tokens.unlink()
    elif damage == "truncated":
        data = tokens.read_bytes()
        tokens.write_bytes(data[: len(data) - 10])
    elif damage == "not an array":
        tokens.write_bytes(b"\x00" * 200)
    elif damage == "wrong width":
        np.save(tokens, np.zeros((5, 3), dtype=np.float16))
    else:
        np.save(offsets, np.load(offsets) + 1)
    with pytest.raises(IndexMismatchError, match=r"run `python -m bot build`"):
        load_index(fake_index.index_dir, FakeEmbedder())


def test_token_vectors_read_from_the_file_are_the_ones_stored(fake_index: Settings):
    index = load_index(fake_index.index_dir, FakeEmbedder())
    stored = np.load(index.path / "tokens.npy")
    for position in range(len(index.passages)):
        start, stop = index.token_offsets[position], index.token_offsets[position + 1]
        assert np.array_equal(index.passage_tokens(position), stored[start:stop])


@pytest.mark.parametrize("damage", ["pointer is a folder", "pointer is binary", "index is a file"])
def test_damaged_build_pointers_are_refused_with_the_fix(fake_index: Settings, damage: str):
    index_dir = fake_index.index_dir
    if damage == "pointer is a folder":
        (index_dir / "CURRENT").unlink()
        (index_dir / "CURRENT").mkdir()
    elif damage == "pointer is binary":
        (index_dir / "CURRENT").write_bytes(b"\xff\xfe\x00build")
    else:
        index_dir = index_dir / "CURRENT"  # a file where the index folder should be
    with pytest.raises(IndexMismatchError, match=r"is not a build pointer .*run `python -m bot build`"):
        load_index(index_dir, FakeEmbedder())


@pytest.mark.parametrize("edit", [{"site": None}, {"files": []}, {"dimension": "384"}, "a list", {"site": {"x": 1}}])
def test_a_hand_damaged_manifest_is_refused_with_the_fix(fake_index: Settings, edit):
    path = load_index(fake_index.index_dir, FakeEmbedder()).path / "manifest.json"
    manifest = json.loads(path.read_text())
    path.write_text(json.dumps([manifest] if edit == "a list" else {**manifest, **edit}))
    with pytest.raises(IndexMismatchError, match=r"run `python -m bot build`"):
        load_index(fake_index.index_dir, FakeEmbedder())


def test_a_damaged_embedding_cache_says_to_delete_it(fake_index: Settings):
    (fake_index.index_dir / "embeddings.sqlite").write_bytes(b"not a database, " * 100)
    for leftover in ("embeddings.sqlite-wal", "embeddings.sqlite-shm"):
        (fake_index.index_dir / leftover).unlink(missing_ok=True)
    knowledge = load_knowledge(fake_index.knowledge_dir)
    with pytest.raises(BotError, match=r"embeddings.sqlite is damaged .*delete it and run `python -m bot build`"):
        build_index(knowledge, fake_index.index_dir, FakeEmbedder())
    assert load_index(fake_index.index_dir, FakeEmbedder()).passages  # the live build is untouched


def test_missing_staged_build_and_knowledge_folder_say_what_to_do(fake_index: Settings, tmp_path: Path):
    with pytest.raises(IndexMissingError, match=r"no staged build .*run `python -m bot build --stage`"):
        load_index(fake_index.index_dir, FakeEmbedder(), which="STAGED")
    index = load_index(fake_index.index_dir, FakeEmbedder())
    with pytest.raises(KnowledgeError, match="does not exist; create it or pass --knowledge DIR"):
        require_fresh(index, tmp_path / "nowhere")


@pytest.mark.parametrize("damage", ["binary", "folder"])
def test_a_build_over_a_damaged_live_pointer_writes_a_new_one_or_says_to_delete_it(fake_index: Settings, damage: str):
    current = fake_index.index_dir / "CURRENT"
    knowledge = load_knowledge(fake_index.knowledge_dir)
    if damage == "binary":
        current.write_bytes(b"\xff\xfe junk")
        summary = build_index(knowledge, fake_index.index_dir, FakeEmbedder())
        assert load_index(fake_index.index_dir, FakeEmbedder()).path.name == summary.name
    else:
        current.unlink()
        current.mkdir()
        with pytest.raises(IndexMismatchError, match=r"CURRENT is a folder, not a build pointer; delete it"):
            build_index(knowledge, fake_index.index_dir, FakeEmbedder())


def test_damage_deep_in_the_embedding_cache_says_to_delete_it(fake_index: Settings):
    cache = fake_index.index_dir / "embeddings.sqlite"
    sqlite3.connect(cache).execute("PRAGMA wal_checkpoint(TRUNCATE)").close()
    data = bytearray(cache.read_bytes())
    page = 4096
    assert len(data) > 3 * page
    data[page:] = b"\x07" * (len(data) - page)  # the header page stays readable
    cache.write_bytes(bytes(data))
    with pytest.raises(BotError, match=r"embeddings.sqlite is damaged .*delete it and run `python -m bot build`"):
        build_index(load_knowledge(fake_index.knowledge_dir), fake_index.index_dir, FakeEmbedder())


def test_a_token_file_longer_than_its_header_says_is_refused(fake_index: Settings):
    folder = load_index(fake_index.index_dir, FakeEmbedder()).path
    with open(folder / "tokens.npy", "ab") as tokens:
        tokens.write(b"\x00" * 64)
    with pytest.raises(IndexMismatchError, match=r"run `python -m bot build`"):
        load_index(fake_index.index_dir, FakeEmbedder())


def test_past_the_exact_limit_hnsw_finds_what_exact_search_finds():
    """Recall@10 of the HNSW index against exact search, on unit vectors of an awkward count; at the limit itself
    the search is still exact."""
    rng = np.random.default_rng(7)
    vectors = rng.standard_normal((3001, 64)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    queries = vectors[:200] + 0.5 * rng.standard_normal((200, 64)).astype(np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    exact, hnsw = _faiss_index(vectors, exact_limit=3001), _faiss_index(vectors, exact_limit=3000)
    assert (type(exact).__name__, type(hnsw).__name__) == ("IndexFlatIP", "IndexHNSWFlat")
    _, expected = exact.search(queries, 10)
    _, found = hnsw.search(queries, 10)
    recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(found, expected, strict=True)])
    assert recall >= 0.99


def test_a_search_over_an_hnsw_build_ranks_as_over_an_exact_one(fake_index: Settings, tmp_path: Path):
    """The searcher reads vectors back from the FAISS index (reconstruct), which HNSW must answer as exact does."""
    hnsw_dir = tmp_path / "hnsw"
    settings = fake_index.replace(exact_limit=10).index  # the fixture's 23 rows are past it
    build_index(load_knowledge(fake_index.knowledge_dir), hnsw_dir, FakeEmbedder(), settings=settings)
    exact, hnsw = load_index(fake_index.index_dir, FakeEmbedder()), load_index(hnsw_dir, FakeEmbedder())
    assert (exact.manifest["faiss"], hnsw.manifest["faiss"]) == ("IndexFlatIP", "IndexHNSWFlat")
    for question in ("When should I prune roses?", "water tomatoes in the morning", "aphids", "basil light"):
        a, b = (Searcher(index, FakeEmbedder()).search(question, k=5) for index in (exact, hnsw))
        assert [h.passage.id for h in a.hits] == [h.passage.id for h in b.hits]
        assert [h.score for h in a.hits] == pytest.approx([h.score for h in b.hits], abs=1e-5)
        assert a.confidence == pytest.approx(b.confidence)


@pytest.mark.parametrize("name", ["../../outside", "../../../../etc", "..", "/etc", "a b", ".hidden", "x/y"])
def test_a_pointer_naming_anything_but_a_plain_build_is_refused(fake_index: Settings, tmp_path: Path, name: str):
    """CURRENT holding "../../../../etc" was followed outside index/builds/ (issue 15, finding 9)."""
    outside = tmp_path / "outside"
    outside.mkdir()
    live = load_index(fake_index.index_dir, FakeEmbedder()).path
    shutil.copytree(live, outside, dirs_exist_ok=True)  # a complete build beyond builds/, which a pointer would load
    (fake_index.index_dir / "CURRENT").write_text(name + "\n", encoding="utf-8")
    with pytest.raises(IndexMismatchError, match=r"is not a build name .*run `python -m bot build`"):
        load_index(fake_index.index_dir, FakeEmbedder())
    summary = build_index(load_knowledge(fake_index.knowledge_dir), fake_index.index_dir, FakeEmbedder())
    assert load_index(fake_index.index_dir, FakeEmbedder()).path.name == summary.name  # a build writes a new one


def test_a_build_names_the_questions_marked_not_answered_that_new_text_comes_near(fake_index: Settings):
    """Staff marked parking "not answered here"; a page on parking is added later, and the question still got the
    fallback with no word said. The build now says so, and of the new text only."""
    from bot.evaluate import Case
    from bot.teaching import teach_cases

    folder = Path(fake_index.knowledge_dir)
    marked = ["is there parking at the garden", "can i bring my dog"]
    teach_cases(folder, [Case(q, None) for q in marked], load_knowledge(folder).passages)
    before = build_index(load_knowledge(folder), fake_index.index_dir, FakeEmbedder())
    assert before.not_answered_near_new == ()  # nothing new: what was marked was marked against this text
    page = "---\ntitle: Visiting\n---\n\n## Parking\n\nFree parking is available at the garden gate.\n"
    (folder / "visiting.md").write_text(page, encoding="utf-8")
    after = build_index(load_knowledge(folder), fake_index.index_dir, FakeEmbedder())
    assert after.not_answered_near_new == ("is there parking at the garden",)
    said = "Marked \"not answered here\", and near what this build adds or changes: 'is there parking at the garden'."
    assert said in after.describe()
