"""Content updates: incremental, staged, atomic rebuilds; rollback; the running assistant follows the live build."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from bot.assistant import Assistant
from bot.config import Settings
from bot.index import (
    CURRENT,
    STAGED,
    IndexMismatchError,
    IndexMissingError,
    build_index,
    live_build,
    load_index,
    publish_staged,
    restore_knowledge,
    rollback,
    stale_files,
)
from bot.knowledge import load_knowledge

from conftest import ROOT, CountingEmbedder, FakeEmbedder


def build(settings: Settings, embedder=None, publish: bool = True):
    return build_index(
        load_knowledge(settings.knowledge_dir), settings.index_dir, embedder or FakeEmbedder(), publish=publish
    )


def edit(settings: Settings, old: str, new: str) -> None:
    path = settings.knowledge_dir / "garden.md"
    path.write_text(path.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")


def test_a_rebuild_embeds_only_new_or_changed_text(fake_settings: Settings):
    first = build(fake_settings, CountingEmbedder())
    assert 0 < first.embedded <= first.texts
    unchanged = CountingEmbedder()
    again = build(fake_settings, unchanged)
    assert unchanged.seen == [] and again.embedded == 0
    assert (again.changes.reused, again.changes.added, again.changes.changed, again.changes.removed) == (5, 0, 0, 0)
    edit(fake_settings, "Aphids can be washed off", "Aphids can be rinsed off")
    edited = CountingEmbedder()
    summary = build(fake_settings, edited)
    assert summary.changes.changed == 1 and summary.changes.reused == 4
    assert edited.seen and all("rinsed" in text for text in edited.seen), edited.seen


class ModelLess(FakeEmbedder):
    """An embedder whose model must not be needed: everything it would compute is in the cache."""

    @property
    def dimension(self) -> int:
        raise AssertionError("the model was loaded")

    def encode(self, texts: list[str]) -> np.ndarray:
        raise AssertionError(f"{texts[:1]} was embedded again")

    def encode_with_tokens(self, texts: list[str]) -> tuple[np.ndarray, list[np.ndarray]]:
        raise AssertionError(f"{texts[:1]} was embedded again")


def test_a_rebuild_with_nothing_changed_never_loads_the_model(fake_settings: Settings):
    build(fake_settings)
    again = build(fake_settings, ModelLess())  # the model takes seconds to load: a no-op rebuild should not
    assert again.embedded == 0 and again.changes.reused == 5


def test_stage_then_publish_then_rollback(fake_settings: Settings):
    first = build(fake_settings)
    edit(fake_settings, "Prune roses in late winter", "Prune roses in early spring")
    staged = build(fake_settings, publish=False)
    assert live_build(fake_settings.index_dir) == first.name  # not live until published
    assert publish_staged(fake_settings.index_dir) == staged.name
    assert live_build(fake_settings.index_dir) == staged.name
    assert rollback(fake_settings.index_dir) == first.name
    assert load_index(fake_settings.index_dir, FakeEmbedder()).path.name == first.name
    assert rollback(fake_settings.index_dir) == staged.name  # rolling back the rollback


def test_a_rollback_puts_the_knowledge_files_back_and_rolling_back_again_redoes_them(
    fake_settings: Settings, tmp_path: Path
):
    """A rollback moved only the pointers: the folder kept the change, and the next build, which the stale warning
    asks for, published it again."""
    folder = fake_settings.knowledge_dir
    original = (folder / "garden.md").read_bytes()
    build(fake_settings)
    edit(fake_settings, "Prune roses in late winter", "Prune roses in early spring")
    (folder / "extra.md").write_text("# Extra\n\n## Tools\n\nKeep your shears sharp and clean.\n", encoding="utf-8")
    edited = (folder / "garden.md").read_bytes()
    build(fake_settings)
    rollback(fake_settings.index_dir)
    copies = tmp_path / "rolled-back" / "now"
    restored = restore_knowledge(fake_settings.index_dir, folder, copies)
    assert (restored.written, restored.removed, restored.left) == (("garden.md",), ("extra.md",), ())
    assert (folder / "garden.md").read_bytes() == original and not (folder / "extra.md").exists()
    assert (copies / "garden.md").read_bytes() == edited and (copies / "extra.md").is_file()  # nothing is lost
    assert f"the files as they were are kept in {copies}/" in restored.describe()
    assert stale_files(load_index(fake_settings.index_dir, FakeEmbedder()), folder) == []  # the next build: no change
    assert "is back as this build read it (garden.md, extra.md)" in restored.describe()
    rollback(fake_settings.index_dir)
    again = tmp_path / "rolled-back" / "again"  # as the shell and the console roll back: with copies
    assert restore_knowledge(fake_settings.index_dir, folder, again).written == ("extra.md", "garden.md")
    assert (folder / "garden.md").read_bytes() == edited and (folder / "extra.md").is_file()
    assert (again / "garden.md").read_bytes() == original and not (again / "extra.md").exists()  # it was not there


def test_a_rollback_puts_back_a_document_the_rolled_back_build_deleted(fake_settings: Settings, tmp_path: Path):
    """Undoing a deletion: the copy of the file as it was came first, and there was none, so the document stayed
    deleted ("could not be written"), and the next build dropped it again (QA finding of stop 57)."""
    folder = fake_settings.knowledge_dir
    extra = "# Extra\n\n## Tools\n\nKeep your shears sharp and clean.\n"
    (folder / "extra.md").write_text(extra, encoding="utf-8")
    build(fake_settings)
    (folder / "extra.md").unlink()
    edit(fake_settings, "Prune roses in late winter", "Prune roses in early spring")
    build(fake_settings)
    rollback(fake_settings.index_dir)
    copies = tmp_path / "rolled-back" / "now"
    restored = restore_knowledge(fake_settings.index_dir, folder, copies)
    assert (restored.written, restored.failed) == (("extra.md", "garden.md"), ())
    assert (folder / "extra.md").read_text(encoding="utf-8") == extra and (copies / "garden.md").is_file()
    assert not (copies / "extra.md").exists()


def test_a_rollback_leaves_a_file_edited_since_and_one_the_build_kept_no_copy_of(fake_settings: Settings):
    folder = fake_settings.knowledge_dir
    first = build(fake_settings)
    shutil.rmtree(first.path / "knowledge")  # as a build made before builds kept their files
    edit(fake_settings, "Prune roses in late winter", "Prune roses in early spring")
    build(fake_settings)
    rollback(fake_settings.index_dir)
    restored = restore_knowledge(fake_settings.index_dir, folder)
    assert restored.unkept == ("garden.md",) and "early spring" in (folder / "garden.md").read_text(encoding="utf-8")
    assert "kept no copy of garden.md" in restored.describe() and "the next build publishes" in restored.describe()
    rollback(fake_settings.index_dir)  # back to the edit, whose build kept its files: but garden.md changes again
    edit(fake_settings, "Prune roses in early spring", "Prune roses in March")
    restored = restore_knowledge(fake_settings.index_dir, folder)
    assert restored.edited == ("garden.md",) and "in March" in (folder / "garden.md").read_text(encoding="utf-8")
    assert "garden.md changed since the build rolled back, so left as now" in restored.describe()


def test_a_file_saved_while_the_build_reads_the_folder_shows_as_changed_since(fake_settings: Settings, monkeypatch):
    """The build hashed the folder after parsing it, so an edit saved in between was recorded as built, never
    stale, while visitors kept the old text."""
    import bot.knowledge.folder

    parse = bot.knowledge.folder.parse_document

    def saved_meanwhile(path: Path, *args, **kwargs):
        found = parse(path, *args, **kwargs)
        edit(fake_settings, "Prune roses in late winter", "Prune roses in early spring")
        return found

    monkeypatch.setattr(bot.knowledge.folder, "parse_document", saved_meanwhile)
    build(fake_settings)
    monkeypatch.undo()
    assert stale_files(load_index(fake_settings.index_dir, FakeEmbedder()), fake_settings.knowledge_dir) == [
        "garden.md"
    ]


def test_publish_and_rollback_without_builds_say_so(tmp_path: Path):
    with pytest.raises(IndexMissingError, match="--stage"):
        publish_staged(tmp_path)
    with pytest.raises(IndexMissingError, match="no previous build .* nothing to undo yet"):
        rollback(tmp_path)


def test_diff_with_no_question_sets_to_compare_says_so(tmp_path: Path, monkeypatch, capsys):
    """Run outside the project folder, `diff` found no tests/eval/ and said "0 of 0 questions" change."""
    from bot.cli import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("BOT_EVAL_DIR", raising=False)
    assert main(["diff", "--index", str(tmp_path / "index")]) == 2
    assert "error: No question sets in tests/eval/; pass .jsonl files, set BOT_EVAL_DIR" in capsys.readouterr().err


def test_diff_of_a_suite_with_no_answers_to_compare_says_so(tmp_path: Path, capsys):
    """An urgent set's lines test the notice; diff compares only lines with "expect", and "0 of 0" read as "no
    change"."""
    from bot.cli import main

    suite = tmp_path / "urgent.jsonl"
    suite.write_text('{"question": "my chest hurts", "urgent": true}\n', encoding="utf-8")
    assert main(["diff", str(suite), "--index", str(tmp_path / "index")]) == 2
    assert 'urgent.jsonl: no line says what answers it ("expect"); diff compares only those.' in capsys.readouterr().err


def test_a_command_whose_reader_goes_away_ends_without_a_traceback():
    """`python -m bot ask ... | head` printed a BrokenPipeError traceback once head had what it wanted."""
    code = (
        "import sys\nfrom bot.cli import _run\n"
        "def flood(_):\n    for _ in range(100_000):\n        print('x' * 80)\n    return 0\n"
        "sys.exit(_run(flood, None))"
    )
    process = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdout.close()  # the reader is gone before the first line
    errors = process.stderr.read()
    assert process.wait(timeout=60) == 141
    assert errors == b""


def test_every_argument_of_every_command_says_what_it_is_in_help():
    """`ask --help` listed `question` with no word on it, as did evaluate, teach and diff their files."""
    import argparse

    from bot.cli import parser

    def arguments(command: argparse.ArgumentParser, name: str):
        for action in command._actions:
            if isinstance(action, argparse._SubParsersAction):
                for sub, subcommand in action.choices.items():
                    yield from arguments(subcommand, f"{name} {sub}".strip())
            else:
                yield name, action

    for name, action in arguments(parser(), ""):
        assert action.help, f"python -m bot {name}: {action.dest} has no help"


def test_a_running_assistant_switches_to_a_published_build_between_questions(fake_settings: Settings):
    build(fake_settings)
    assistant = Assistant(
        load_index(fake_settings.index_dir, FakeEmbedder()), FakeEmbedder(), fake_settings, follow_live=True
    )
    before = assistant.ask("When should I prune roses?")
    assert "late winter" in before.answer.passage.text
    edit(fake_settings, "Prune roses in late winter", "Prune roses in early spring")
    summary = build(fake_settings)
    after = assistant.ask("When should I prune roses?")
    assert "early spring" in after.answer.passage.text  # the cache of the old index is not used
    assert assistant.index.path.name == summary.name


def test_a_build_that_fails_to_load_is_not_switched_to(fake_settings: Settings):
    first = build(fake_settings)
    assistant = Assistant(
        load_index(fake_settings.index_dir, FakeEmbedder()), FakeEmbedder(), fake_settings, follow_live=True
    )
    (fake_settings.index_dir / CURRENT).write_text("no-such-build\n")
    assert assistant.ask("When should I prune roses?").answered
    assert assistant.index.path.name == first.name
    (fake_settings.index_dir / CURRENT).write_bytes(b"\xff\xfe damaged pointer")
    assert assistant.ask("When should I prune roses?").answered  # not an error for the visitor
    assert assistant.index.path.name == first.name


def run_bot(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_counts_are_said_as_people_say_them():
    """ "1 documents, 5 passages, 1 warnings" and "1 error(s)" in check's, build's and import's summaries."""
    from bot.text import counted

    said = [counted(n, "warning") for n in (0, 1, 2, 1000)]
    assert said == ["0 warnings", "1 warning", "2 warnings", "1,000 warnings"]


def test_check_reports_problems_with_file_and_line_and_builds_nothing(knowledge_dir: Path, tmp_path: Path):
    ok = run_bot("check", "--knowledge", str(knowledge_dir), "--index", str(tmp_path / "index"))
    assert ok.returncode == 0 and "is fine to build: 1 document, 5 passages, 1 warning" in ok.stdout
    assert "garden.md:15: warning: line ends with ':'" in ok.stderr
    (knowledge_dir / "broken.md").write_bytes(b"---\ntitle: [oops\n---\n\nText.\n")
    bad = run_bot("check", "--knowledge", str(knowledge_dir), "--index", str(tmp_path / "index"))
    assert bad.returncode == 2
    assert "broken.md:3: error: front matter is not valid YAML" in bad.stderr
    assert bad.stderr.strip().endswith("1 error in " + str(knowledge_dir) + "/ (listed above); fix it and run again.")
    assert not (tmp_path / "index").exists()


def test_a_build_from_an_older_version_is_not_rolled_back_to_and_its_passages_still_count(fake_settings: Settings):
    old = build(fake_settings)
    manifest = old.path / "manifest.json"
    manifest.write_text(json.dumps({**json.loads(manifest.read_text()), "format": 1}))
    new = build(fake_settings)
    assert (new.changes.reused, new.changes.added) == (5, 0)  # compared by text, whatever the old format
    with pytest.raises(
        IndexMismatchError,
        match=r"Cannot roll back to build .*format 1, .*unchanged; to undo the change, put the knowledge files back",
    ):
        rollback(fake_settings.index_dir)
    assert live_build(fake_settings.index_dir) == new.name  # the live build is untouched


def test_a_build_that_would_not_load_is_neither_published_nor_rolled_back_to(
    fake_settings: Settings, monkeypatch, capsys
):
    """publish and rollback read only the manifest: a damaged build was announced live, and the next start failed."""
    from bot.cli import main
    from bot.embedding import SentenceEmbedder

    monkeypatch.setattr(SentenceEmbedder, "from_settings", staticmethod(lambda _: FakeEmbedder()))
    where = ["--knowledge", str(fake_settings.knowledge_dir), "--index", str(fake_settings.index_dir)]
    first = build(fake_settings)
    edit(fake_settings, "Prune roses in late winter", "Prune roses in early spring")
    staged = build(fake_settings, publish=False)
    vocabulary = staged.path / "vocabulary.npy"
    vocabulary.write_bytes(vocabulary.read_bytes()[:100])
    assert main(["publish", *where]) == 2
    said = capsys.readouterr().err
    assert f"Cannot publish build {staged.name}: The index in {staged.path} is damaged" in said
    assert said.strip().endswith(
        "The live build is unchanged; stage a new one (`python -m bot build --stage`, or the "
        "console's Stage and compare)."
    )
    assert live_build(fake_settings.index_dir) == first.name

    second = build(fake_settings)  # first is now the previous build
    (first.path / "vectors.faiss").unlink()
    assert main(["rollback", *where]) == 2
    said = capsys.readouterr().err
    assert f"Cannot roll back to build {first.name}: The index in {first.path} is damaged" in said
    assert "python -m bot build`" not in said  # building again would build what is live
    assert live_build(fake_settings.index_dir) == second.name
    shutil.rmtree(first.path)
    assert main(["rollback", *where]) == 2
    assert (
        f"Cannot roll back to build {first.name}: its folder {first.path} no longer exists." in capsys.readouterr().err
    )
    assert "early spring" in (fake_settings.knowledge_dir / "garden.md").read_text(encoding="utf-8")


def test_a_build_killed_as_it_goes_live_is_in_the_audit_log(fake_settings: Settings, monkeypatch, tmp_path: Path):
    """The audit line was written after the build went live: killed then (2 kills in 10), a live build had none."""
    import bot.index.pointers
    from bot.audit import AuditLog
    from bot.cli import main
    from bot.embedding import SentenceEmbedder

    monkeypatch.setattr(SentenceEmbedder, "from_settings", staticmethod(lambda _: FakeEmbedder()))
    monkeypatch.setenv("BOT_DATA_DIR", str(tmp_path / "data"))
    real_switch = bot.index.pointers._switch

    def live_then_killed(index_dir: Path, name: str) -> None:
        real_switch(index_dir, name)
        raise KeyboardInterrupt

    monkeypatch.setattr(bot.index.pointers, "_switch", live_then_killed)
    where = ["--knowledge", str(fake_settings.knowledge_dir), "--index", str(fake_settings.index_dir)]
    assert main(["build", "--quiet", *where]) == 130
    [entry] = AuditLog.in_folder(tmp_path / "data").entries()
    assert (entry.action, entry.detail.split(":")[0]) == ("build", live_build(fake_settings.index_dir))


def test_a_build_says_which_staged_build_it_replaces(fake_settings: Settings, monkeypatch, tmp_path: Path, capsys):
    """A plain build over a staged one dropped it without a word, a colleague's compared build among them."""
    from bot.audit import AuditLog
    from bot.cli import main
    from bot.embedding import SentenceEmbedder

    monkeypatch.setattr(SentenceEmbedder, "from_settings", staticmethod(lambda _: FakeEmbedder()))
    monkeypatch.setenv("BOT_DATA_DIR", str(tmp_path / "data"))
    build(fake_settings)
    edit(fake_settings, "Prune roses in late winter", "Prune roses in early spring")
    staged = build(fake_settings, publish=False)
    assert staged.replaced_staged is None
    edit(fake_settings, "Prune roses in early spring", "Prune roses in March")
    where = ["--knowledge", str(fake_settings.knowledge_dir), "--index", str(fake_settings.index_dir)]
    assert main(["build", "--quiet", *where]) == 0
    assert f"It replaces build {staged.name}, which was staged and not published" in capsys.readouterr().out
    [entry] = AuditLog.in_folder(tmp_path / "data").entries()
    assert entry.detail.endswith(f"; replaces staged build {staged.name}")
    assert not (fake_settings.index_dir / STAGED).exists()


def test_a_build_a_colleague_stages_while_another_is_published_stays_staged(fake_settings: Settings):
    """Publishing removed the STAGED pointer whatever it named by then: a build staged during the publish's load
    check was dropped without a word."""
    from bot.index.pointers import read_pointer

    build(fake_settings)
    mine = build(fake_settings, publish=False)
    shutil.copytree(mine.path, mine.path.parent / "theirs")  # the colleague's, staged while mine is checked

    def a_colleague_stages(folder: Path) -> None:
        (fake_settings.index_dir / STAGED).write_text("theirs\n")

    assert publish_staged(fake_settings.index_dir, check=a_colleague_stages) == mine.name
    assert live_build(fake_settings.index_dir) == mine.name
    assert read_pointer(fake_settings.index_dir, STAGED) == "theirs"


def test_a_build_killed_as_it_goes_live_leaves_nothing_staged(fake_settings: Settings, monkeypatch):
    """A plain build wrote STAGED, then published: killed between the two, it left a build nobody asked for staged,
    which the console offered and `publish` made live."""
    import bot.index.pointers

    build(fake_settings)
    edit(fake_settings, "Prune roses in late winter", "Prune roses in early spring")

    def killed(*_):
        raise KeyboardInterrupt

    monkeypatch.setattr(bot.index.pointers, "_switch", killed)
    with pytest.raises(KeyboardInterrupt):
        build(fake_settings)
    assert not (fake_settings.index_dir / STAGED).exists()


def test_builds_publishes_and_rollbacks_from_the_shell_are_in_the_audit_log(
    fake_settings: Settings, monkeypatch, tmp_path: Path
):
    """The console's Activity tab showed no trace of a live build changed from the command line."""
    from bot.audit import AuditLog
    from bot.cli import main
    from bot.embedding import SentenceEmbedder

    monkeypatch.setattr(SentenceEmbedder, "from_settings", staticmethod(lambda _: FakeEmbedder()))
    monkeypatch.setenv("BOT_DATA_DIR", str(tmp_path / "data"))
    where = ["--knowledge", str(fake_settings.knowledge_dir), "--index", str(fake_settings.index_dir)]
    assert main(["build", "--quiet", *where]) == 0
    edit(fake_settings, "Prune roses in late winter", "Prune roses in early spring")
    assert main(["build", "--stage", "--quiet", *where]) == 0
    assert main(["publish", *where]) == 0 and main(["rollback", *where]) == 0
    assert "late winter" in (fake_settings.knowledge_dir / "garden.md").read_text(encoding="utf-8")
    entries = AuditLog.in_folder(tmp_path / "data").entries(newest_first=False)
    assert [(e.user, e.action) for e in entries] == [
        ("cli", "build"),
        ("cli", "build (staged)"),
        ("cli", "publish"),
        ("cli", "rollback"),
    ]
    assert ": 0 added, 1 changed, 0 removed, 4 unchanged (" in entries[1].detail  # and the build's folder
    assert entries[2].detail.endswith(f"({fake_settings.index_dir})")
