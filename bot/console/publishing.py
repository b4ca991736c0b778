"""Every content change made in the console goes the same way: a staged build of the knowledge folder, the test
suites' answers that would change, then publish with one click (or roll back), each step in the audit log."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import gradio as gr

from bot.assistant import Assistant
from bot.console.staff import StaffConsole
from bot.errors import BotError
from bot.evaluate import answer_changes, suite_questions
from bot.index import (
    STAGED,
    BuildSummary,
    build_index,
    check_build,
    discard_staged,
    load_index,
    publish_staged,
    restore_knowledge,
    rollback,
)
from bot.index.pointers import read_pointer
from bot.index.sources import rolled_back_copies
from bot.knowledge import KnowledgeError, load_knowledge

DIFF_COLUMNS = {"question": "40%", "live answer": "30%", "staged answer": "30%"}


@dataclass(frozen=True)
class Staged:
    """What a staged build would change: a summary for staff, and (question, live, staged) for each changed answer."""

    ok: bool
    text: str
    changes: list[tuple[str, str, str]]
    build: str | None = None  # the staged build's name, when one was made


def staff_name(console: StaffConsole, request: gr.Request | None) -> str:
    """Who is signed in (Gradio's login), for the audit log; the configured user outside a server."""
    return getattr(request, "username", None) or console.settings.staff_user


class Publishing:
    def __init__(self, console: StaffConsole):
        self.console = console
        self.settings = console.settings

    def stage(self, user: str, why: str) -> Staged:
        """Build the knowledge folder without making it live, and compare the suites' first answers with the live
        build's. `why` says what changed, for the audit log."""
        s = self.settings
        if not self.console.build_lock.acquire(blocking=False):
            return Staged(False, "A build is already running; wait for it and try again.", [])
        try:
            knowledge = load_knowledge(s.knowledge_dir, s.passage_max_words, s.passage_min_words)
            summary = build_index(
                knowledge,
                s.index_dir,
                self.console.embedder,
                settings=s.index,
                publish=False,
                prepare=self.console.prepare_build,
                announce=lambda summary: self._audit_staged(user, why, summary),  # before STAGED names it
            )
        except KnowledgeError as err:
            problems = "\n".join(f"- `{p}`" for p in err.problems) or f"- {err}"
            return Staged(False, f"**Not built**: fix these; the live index is unchanged.\n\n{problems}", [])
        except BotError as err:
            return Staged(False, f"**Not built:** {err} The live index is unchanged.", [])
        finally:
            self.console.build_lock.release()
        try:
            changes = self.changes()
        except BotError as err:  # a test suite staff can fix: the build is staged all the same
            text = f"**Staged build {summary.name}** ({summary.describe()}) is ready but not live. {err}"
            return Staged(True, text + " Publish to make it live.", [], summary.name)
        text = (
            f"**Staged build {summary.name}** ({summary.describe()}) is ready but not live. "
            f"{len(changes)} test-suite questions would get a different first passage. Publish to make it live."
        )
        return Staged(True, text, changes, summary.name)

    def _audit_staged(self, user: str, why: str, summary: BuildSummary) -> None:
        replaced = f"; replaces staged build {summary.replaced_staged}" if summary.replaced_staged else ""
        self.console.audit.record(user, "build (staged)", f"{summary.name}: {why}{replaced}")

    def changes(self) -> list[tuple[str, str, str]]:
        """(question, live first passage, staged first passage) for each suite question whose answer changes."""
        live = self.console.assistant()
        index = load_index(self.settings.index_dir, live.embedder, STAGED)
        staged = Assistant(index, live.embedder, self.settings)
        suites = sorted(Path(self.settings.eval_dir).glob("*.jsonl"))
        questions = suite_questions(suites)
        try:
            return answer_changes(live, staged, questions)
        finally:
            staged.index.close()

    def publish(self, user: str, compared: str | None = None) -> str:
        """Make the staged build live: only the one `compared` (the build this page staged and showed), when given,
        not one staged since by someone else, unseen."""
        waiting = read_pointer(self.settings.index_dir, STAGED, damaged_as_none=True)
        if waiting is None:
            # the command line's message names a shell command; staff here stage with the console's own buttons
            return "**Not published:** no change is staged. Stage one first (Stage and compare, or Add and stage)."
        if compared is not None and waiting != compared:
            return (
                f"**Not published:** the build waiting now is {waiting}{self.staged_by(waiting)}, not {compared}, "
                "which you compared. Stage and compare again to see what it would change."
            )
        try:
            name = publish_staged(self.settings.index_dir, check=self._loads)
        except BotError as err:
            return f"**Not published:** {err}"
        self.console.audit.record(user, "publish", name)
        return f"**Build {name} is live.** The chat answers from it from its next question; Roll back undoes it."

    def staged_by(self, name: str) -> str:
        """ " by NAME (why)" for the staged build `name`, as the audit log has it; "" when it does not say."""
        entry = next(
            (e for e in self.console.audit.entries() if e.action == "build (staged)" and e.detail.startswith(name)),
            None,
        )
        return f" by {entry.user} ({entry.detail.removeprefix(name).lstrip(': ')})" if entry else ""

    def roll_back(self, user: str) -> str:
        """Put the previous build back live, and the knowledge files it read back in the folder."""
        try:
            name = rollback(self.settings.index_dir, check=self._loads)
        except BotError as err:
            return f"**Not rolled back:** {err}"
        copies = rolled_back_copies(self.settings.data_dir)
        restored = restore_knowledge(self.settings.index_dir, self.settings.knowledge_dir, copies)
        self.console.audit.record(user, "rollback", f"{name}: {restored.describe()}")
        return f"**Build {name} is live again.** {restored.describe()} Roll back once more to undo both."

    def _loads(self, folder: Path) -> None:
        """A build must load with the chat's model before it goes live."""
        check_build(folder, self.console.embedder)  # not the live build's: it need not load for another to go live

    def discard(self, user: str) -> str:
        """Forget the staged build: Publish will not make it live."""
        name = discard_staged(self.settings.index_dir)
        if name is None:
            return "No build is staged."
        self.console.audit.record(user, "discard", name)
        return f"**Staged build {name} discarded.** The live build is unchanged."
