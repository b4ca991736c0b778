"""Console content changes: a staged build, the suite answers it changes, publish and roll back, each audited."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from bot.audit import AuditLog
from bot.config import Settings
from bot.console import StaffConsole
from bot.console.activity import ActivityTab
from bot.console.publishing import Publishing
from bot.index import PREVIOUS, live_build
from bot.index.pointers import read_pointer

from conftest import FakeEmbedder


@pytest.fixture
def console(fake_index: Settings, tmp_path: Path) -> StaffConsole:
    (tmp_path / "eval").mkdir()
    roses = {"question": "When should I prune roses?", "expect": ["Prune roses"]}
    cases = [roses, {"question": "aphids?", "expect": None}]
    (tmp_path / "eval" / "garden.jsonl").write_text("\n".join(json.dumps(c) for c in cases), encoding="utf-8")
    settings = fake_index.replace(eval_dir=tmp_path / "eval", data_dir=tmp_path / "data")
    return StaffConsole(settings, embedder=FakeEmbedder())


def test_a_change_is_staged_compared_published_and_rolled_back_with_an_audit_trail(console: StaffConsole):
    live = live_build(console.settings.index_dir)
    garden = Path(console.settings.knowledge_dir) / "garden.md"
    text = garden.read_text(encoding="utf-8")
    garden.write_text(text.replace("### When should I prune roses?", "### Caring for roses"), "utf-8")
    publishing = Publishing(console)
    staged = publishing.stage("alice", "edited garden.md")
    assert staged.ok and "ready but not live" in staged.text
    assert live_build(console.settings.index_dir) == live  # staging changes nothing live
    assert [question for question, _, _ in staged.changes] == ["When should I prune roses?"]
    assert publishing.publish("alice").startswith("**Build ") and live_build(console.settings.index_dir) != live
    assert read_pointer(console.settings.index_dir, PREVIOUS) == live
    assert "live again" in publishing.roll_back("bob") and live_build(console.settings.index_dir) == live
    actions = [(e.user, e.action) for e in console.audit.entries(newest_first=False)]
    assert actions == [("alice", "build (staged)"), ("alice", "publish"), ("bob", "rollback")]
    assert ActivityTab(console).activity()[0][1:3] == ["bob", "rollback"]


def test_a_broken_knowledge_file_is_not_staged_and_nothing_is_audited(console: StaffConsole):
    (Path(console.settings.knowledge_dir) / "broken.md").write_text("---\ntitle: [unclosed\n---\ntext\n", "utf-8")
    staged = Publishing(console).stage("alice", "added broken.md")
    assert not staged.ok and "broken.md" in staged.text and "the live index is unchanged" in staged.text
    assert console.audit.entries() == []
    assert Publishing(console).publish("alice").startswith("**Not published:**")


def test_the_audit_log_is_private_and_skips_damaged_lines(tmp_path: Path):
    log = AuditLog.in_folder(tmp_path / "data")
    log.record("carol", "teach", "'is it safe?' → Safety")
    with open(log.path, "a", encoding="utf-8") as out:
        out.write("not json\n")
    log.record("dave", "publish", "20261130T000000Z")
    assert [e.user for e in log.entries()] == ["dave", "carol"]
    assert stat.S_IMODE(os.stat(log.path).st_mode) == 0o600
