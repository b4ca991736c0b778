"""The Visitor questions tab: the questions the documents did not answer and the answers visitors disliked,
most frequent first, with a CSV download."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import gradio as gr

from bot.console.staff import HIDDEN, StaffConsole, Tab, table
from bot.console.teach import Teacher
from bot.errors import BotError
from bot.visits import DISLIKED, EITHER, UNANSWERED, AskedQuestion, to_csv

LISTS = {"Unanswered or disliked": EITHER, "Unanswered": UNANSWERED, "Disliked": DISLIKED}
QUESTION_COLUMNS = {  # header → width
    "question": "40%",
    "asked": "7%",
    "unanswered": "10%",
    "disliked": "8%",
    "liked": "6%",
    "last asked": "11%",
    "passages shown last time": "18%",
}


class VisitorQuestionsTab(Tab):
    title = "Visitor questions"

    def __init__(self, console: StaffConsole):
        super().__init__(console)
        self.exports = Path(tempfile.mkdtemp(prefix="bot-console-"))  # CSV downloads; Gradio serves copies
        atexit.register(shutil.rmtree, self.exports, ignore_errors=True)

    def visitor_questions(self, which: str = "Unanswered or disliked") -> tuple[str, list[list[Any]], str | None]:
        """The chosen list, most frequent first, and the same as a CSV file to download."""
        visits = self.console.visits
        if visits is None:
            return "The visit log is off (BOT_VISIT_LOG=0): no visitor questions are kept.", [], None
        visits.purge()
        questions = visits.questions(LISTS.get(which, EITHER))
        rows = [_question_row(q, self._headings()) for q in questions]
        stamp = datetime.now(UTC).strftime("%Y-%m-%d")
        for old in self.exports.glob("*.csv"):  # Gradio serves its own copy (deleted within two hours)
            old.unlink(missing_ok=True)
        export = self.exports / f"visitor-questions-{LISTS.get(which, EITHER)}-{stamp}.csv"
        export.write_text(to_csv(questions), encoding="utf-8")
        summary = (
            f"{len(questions)} different questions ({which.lower()}), most frequent first; from the last "
            f"{self.settings.retention_days} days. Personal numbers and e-mail addresses were redacted before "
            "storing. These are the questions the next content update should answer."
        )
        return summary, rows, str(export)

    def _headings(self) -> dict[str, str]:
        """Passage id → heading in the live build (a passage since removed keeps showing its id)."""
        try:
            return {p.id: p.heading for p in self.console.assistant().index.passages}
        except BotError:
            return {}

    def render(self, app: gr.Blocks) -> None:
        which = gr.Radio(list(LISTS), value="Unanswered or disliked", label="Show")
        summary = gr.Markdown()
        questions = table(QUESTION_COLUMNS, "Questions")
        with gr.Row():
            refresh = gr.Button("Refresh")
            download = gr.DownloadButton("Download CSV", value=None)
        outputs = [summary, questions, download]
        teacher = Teacher(self.console)
        teacher.render()
        questions.select(_picked, None, [teacher.question], api_name="pick_question", api_visibility=HIDDEN)
        which.change(self.visitor_questions, [which], outputs, api_name="visitor_questions", api_visibility=HIDDEN)
        refresh.click(self.visitor_questions, [which], outputs, api_name="refresh_questions", api_visibility=HIDDEN)
        app.load(self.visitor_questions, [which], outputs, api_name="load_questions", api_visibility=HIDDEN)


def _picked(selection: gr.SelectData) -> str:
    """The question of the table row clicked (whichever cell of it)."""
    row = selection.row_value or []
    return str(row[0]) if row else ""


def _question_row(q: AskedQuestion, headings: dict[str, str]) -> list[Any]:
    shown = "; ".join(headings.get(p, p) for p in q.passages)
    return [q.question, q.asked, q.unanswered, q.disliked, q.liked, q.last_asked, shown]
