"""What every tab of the staff console shares: the settings, the model, the visit log, the assistant over
the live build and the one-build-at-a-time lock; and Tab, the base class of the tabs."""

from __future__ import annotations

import threading

import gradio as gr

from bot.assistant import Assistant
from bot.audit import AuditLog
from bot.config import Settings
from bot.embedding import Embedder, SentenceEmbedder
from bot.index import Index, load_index
from bot.search import prepare_build
from bot.visits import VisitLog

# Gradio's login page embeds the API description of public events even for a visitor who is not signed in:
# the console's events are private, so that page names none of them (signed-in calls work as before).
HIDDEN = "private"


def table(columns: dict[str, str], label: str, wrap: bool = True) -> gr.Dataframe:
    """A read-only table whose columns (header → width) are given together, so they cannot drift apart."""
    return gr.Dataframe(
        headers=list(columns), label=label, interactive=False, wrap=wrap, column_widths=list(columns.values())
    )


class StaffConsole:
    """The state the tabs share, plain enough for tests to use without a server."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None, visits: VisitLog | None = None):
        self.settings = settings
        self.embedder = embedder or SentenceEmbedder.from_settings(settings.model)
        self.visits = visits  # None: the visit log is off
        self.audit = AuditLog.in_folder(settings.data_dir)
        self.build_lock = threading.Lock()  # one build at a time, whichever tab starts it
        self._assistant: Assistant | None = None
        self._load_lock = threading.Lock()

    def prepare_build(self, index: Index) -> None:
        """build_index's `prepare`: what a build's first load fits, fitted before the build is staged or live."""
        prepare_build(index, self.embedder, self.settings.search)

    def assistant(self) -> Assistant:
        """The assistant over the live build (switching to newer builds, as the visitor app does)."""
        with self._load_lock:
            if self._assistant is None:
                index = load_index(self.settings.index_dir, self.embedder)
                self._assistant = Assistant(index, self.embedder, self.settings, follow_live=True)
            self._assistant.refresh()
            return self._assistant


class Tab:
    """One tab of the console: its title, the functions its events call (plain enough for tests to call without
    a server), and render(), which lays it out."""

    title = ""

    def __init__(self, console: StaffConsole):
        self.console = console
        self.settings = console.settings

    def render(self, app: gr.Blocks) -> None:
        """Lay out the tab's components and wire their events (called inside its gr.Tab); `app` is the whole page,
        for events on page load."""
        raise NotImplementedError
