"""Teaching from the Visitor questions tab: a visitor's question is taught to a passage, marked "not answered
here" or urgent, or untaught; the change is written into the knowledge folder, built as a staged build with the
test-suite answers it changes, and published with one click. Every step is in the audit log with the signed-in
name."""

from __future__ import annotations

from typing import Any

import gradio as gr

from bot.console.index import BUILD_PROGRESS
from bot.console.publishing import DIFF_COLUMNS, Publishing, staff_name
from bot.console.staff import HIDDEN, StaffConsole, table
from bot.errors import BotError
from bot.knowledge import KnowledgeError, Passage, load_knowledge
from bot.knowledge.phrasings import PhrasingsFile, reference
from bot.knowledge.site import add_example
from bot.render import escape_markdown
from bot.search import normalize_query
from bot.teaching import too_long
from bot.text import WORD, counted

CHOICES_RANKED = 8  # passages offered for a question: the ones the inspector ranks first, best first


def label(passage: Passage) -> str:
    """How staff pick a passage: its heading path and its first words."""
    words = passage.text.split()
    start = " ".join(words[:12]) + (" …" if len(words) > 12 else "")
    return f"{reference(passage)} — “{start}”"


def quoted(question: str) -> str:
    """A visitor's question inside a Markdown message: text, never a link, an image or emphasis, since anyone
    can type one (an image would be fetched from the writer's server when staff open the tab)."""
    return f"“{escape_markdown(question)}”"


class Teacher:
    """The tab's teaching functions, plain enough for tests to call without a server."""

    def __init__(self, console: StaffConsole):
        self.console = console
        self.settings = console.settings
        self.publishing = Publishing(console)

    def passages(self) -> list[Passage]:
        """The knowledge folder's passages as they are now (what a phrasing can be taught to)."""
        s = self.settings
        return load_knowledge(s.knowledge_dir, s.passage_max_words, s.passage_min_words).passages

    def choices(self, question: str, search: str = "") -> list[str]:
        """Passages to teach a question to: those whose heading holds `search`, or else the best ranked for it."""
        try:
            passages = self.passages()
        except (KnowledgeError, BotError):
            return []
        if search.strip():
            return [label(p) for p in passages if search.casefold().strip() in reference(p).casefold()]
        if not normalize_query(question):
            return []
        try:
            hits = self.console.assistant().searcher.search(normalize_query(question).casefold(), CHOICES_RANKED).hits
        except BotError:
            return [label(p) for p in passages]
        ranked = [label(h.passage) for h in hits]
        return ranked + [label(p) for p in passages if label(p) not in ranked]

    def teach(self, question: str, choice: str, request: gr.Request | None = None) -> str:
        question = question.strip()
        passages = self._passages_or_none()
        if not question or passages is None:
            return "Pick a question first (click it in the table)." if not question else self._unreadable()
        if len(question) > self.settings.max_question_chars:
            return self._too_long(question, "taught")
        passage = next((p for p in passages if label(p) == choice), None)
        if passage is None:
            return "Pick the passage that answers it from the list (or find it by heading)."
        with PhrasingsFile(self.settings.knowledge_dir) as phrasings:
            done = phrasings.decide(question, passage, passages)
        added, unmarked = done.added, done.replaced > 0
        instead = " It was marked not answered here; that mark is removed." if unmarked else ""
        if not added and not unmarked:
            return f"{quoted(question)} is already taught to {reference(passage)}."
        detail = f"{question!r} → {reference(passage)}" + (" (was marked not answered here)" if unmarked else "")
        self.console.audit.record(staff_name(self.console, request), "teach", detail)
        return f"Taught {quoted(question)} to **{reference(passage)}**.{instead} Stage the change to see what it does."

    def not_answered(self, question: str, request: gr.Request | None = None) -> str:
        question = question.strip()
        if not question:
            return "Pick a question first (click it in the table)."
        if len(question) > self.settings.max_question_chars:
            return self._too_long(question, "marked")
        with PhrasingsFile(self.settings.knowledge_dir) as phrasings:
            done = phrasings.decide(question, None, [])
        added, untaught = done.added, done.replaced
        instead = f" It was taught to {counted(untaught, 'passage')}; that is removed." if untaught else ""
        if not added and not untaught:
            return f"{quoted(question)} is already marked not answered here."
        detail = repr(question) + (f" (was taught to {untaught})" if untaught else "")
        self.console.audit.record(staff_name(self.console, request), "not answered", detail)
        return (
            f"Marked {quoted(question)} as **not answered here**: such questions will get the fallback once published."
            + instead
        )

    def urgent(self, question: str, request: gr.Request | None = None) -> str:
        question = question.strip()
        if not question:
            return "Pick a question first (click it in the table)."
        if not WORD.search(question):  # site.toml refuses such an example: every build after would fail on it
            return f"{quoted(question)} has no words for messages to be matched by; it was not added."
        if not add_example(self.settings.knowledge_dir, "urgent_examples", question):
            return f"{quoted(question)} is already an urgent example."
        self.console.audit.record(staff_name(self.console, request), "urgent", repr(question))
        return f"Added {quoted(question)} to the **urgent examples**: messages like it will get the urgent notice."

    def untaught(self, question: str, request: gr.Request | None = None) -> str:
        question = question.strip()
        if not question:
            return "Pick a question first (click it in the table)."
        with PhrasingsFile(self.settings.knowledge_dir) as phrasings:
            removed = phrasings.untaught(question)
        if not removed:
            return f"{quoted(question)} was not taught or marked."
        self.console.audit.record(staff_name(self.console, request), "untaught", repr(question))
        return f"Removed {quoted(question)} from what was taught ({removed} place{'s' * (removed > 1)})."

    def stage(
        self,
        request: gr.Request | None = None,
        progress: gr.Progress = BUILD_PROGRESS,  # the comparison's tqdm bar
    ) -> tuple[str, list[list[str]], str | None]:
        """Stage the knowledge folder and compare it: the summary, the changed answers, and the build's name (the
        one Publish here makes live)."""
        staged = self.publishing.stage(staff_name(self.console, request), "taught from visitor questions")
        return staged.text, [list(change) for change in staged.changes], staged.build

    def publish(self, compared: str | None, request: gr.Request | None = None) -> str:
        """Publish the build staged and compared on this page, not one staged elsewhere since."""
        if compared is None:
            return "**Not published:** nothing was staged on this page. Stage and compare first."
        return self.publishing.publish(staff_name(self.console, request), compared)

    def roll_back(self, request: gr.Request | None = None) -> str:
        return self.publishing.roll_back(staff_name(self.console, request))

    def _passages_or_none(self) -> list[Passage] | None:
        try:
            return self.passages()
        except (KnowledgeError, BotError):
            return None

    def _too_long(self, question: str, done: str) -> str:
        return f"Not {done}: the question is {too_long(question, self.settings.max_question_chars)}."

    def _unreadable(self) -> str:
        return f"The knowledge folder {self.settings.knowledge_dir}/ has errors; fix them (python -m bot check) first."

    def render(self) -> None:
        """The teaching panel, under the questions table; a click on a row picks its question."""
        gr.Markdown("### Teach the assistant\nClick a question in the table, then say what answers it.")
        question = gr.Textbox(label="Visitor question", elem_id="teach-question")
        with gr.Row():
            search = gr.Textbox(label="Find a passage by heading (optional)", scale=1)
            passage = gr.Dropdown(label="Passage that answers it", choices=[], scale=3, elem_id="teach-passage")
        with gr.Row():
            teach = gr.Button("Teach to this passage", variant="primary")
            not_answered = gr.Button("Not answered here")
            urgent = gr.Button("Mark urgent")
            untaught = gr.Button("Untaught")
        done = gr.Markdown(elem_id="teach-status")
        with gr.Row():
            stage = gr.Button("Stage and compare", variant="primary")
            publish = gr.Button("Publish")
            roll_back = gr.Button("Roll back")
        staged = gr.Markdown(elem_id="teach-staged")
        changes = table(DIFF_COLUMNS, "Test-suite answers the staged build changes")

        def pick(question: str, search: str) -> Any:
            """The passages to choose from: the best ranked for the question, none chosen (the first is often one
            the documents do not answer it with, and a click on Teach taught it there), or a heading's matches."""
            options = self.choices(question, search)
            return gr.Dropdown(choices=options, value=options[0] if options and search.strip() else None)

        def pick_for(question: str) -> tuple[Any, str]:
            """Another question: its own ranked passages, and the heading search emptied (left in the box, it chose
            the first heading found for the next question clicked)."""
            return pick(question, ""), ""

        question.change(pick_for, [question], [passage, search], api_name="teach_choices", api_visibility=HIDDEN)
        search.submit(pick, [question, search], [passage], api_name="find_passage", api_visibility=HIDDEN)
        for button, action, inputs, name in (
            (teach, self.teach, [question, passage], "teach"),
            (not_answered, self.not_answered, [question], "not_answered"),
            (urgent, self.urgent, [question], "mark_urgent"),
            (untaught, self.untaught, [question], "untaught"),
        ):
            button.click(action, inputs, [done], api_name=name, api_visibility=HIDDEN)
        compared = gr.State(None)  # the build this page staged and showed: the one Publish makes live
        stage.click(
            self.stage, None, [staged, changes, compared], api_name="stage", api_visibility=HIDDEN, concurrency_limit=1
        )
        publish.click(self.publish, [compared], [staged], api_name="publish", api_visibility=HIDDEN)
        roll_back.click(self.roll_back, None, [staged], api_name="roll_back", api_visibility=HIDDEN)
        self.question = question  # the questions table fills it on a row click
