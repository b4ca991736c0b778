"""The Test suites tab: an evaluation set from Settings.eval_dir, or an uploaded one, scored against the live
index with the same code as `python -m bot evaluate`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gradio as gr

from bot.console.staff import HIDDEN, Tab, table
from bot.errors import BotError
from bot.evaluate import Case, Metrics, Outcome, load_cases, run_case, summarize, what_went_wrong

METRIC_ROWS = [
    ("questions", "questions"),
    ("in scope", "in_scope"),
    ("out of scope", "out_of_scope"),
    ("hit@1", "hit_at_1"),
    ("hit@3", "hit_at_3"),
    ("MRR@10", "mrr_at_10"),
    ("out-of-scope rejected", "out_of_scope_rejected"),
    ("in-scope false rejection", "in_scope_false_rejection"),
    ("urgent messages", "urgent"),
    ("urgent caught", "urgent_caught"),
    ("calm messages", "calm"),
    ("false alarms", "false_alarms"),
]
URGENT_METRICS = {"urgent", "urgent_caught", "calm", "false_alarms"}  # shown for suites with urgent labels
METRIC_COLUMNS = {"metric": "70%", "value": "30%"}  # header → width
FAILURE_COLUMNS = {"question": "27%", "expected": "30%", "what came first": "30%", "what went wrong": "13%"}
# Gradio passes the event its own tracker in place of this default (it finds it by its type).
PROGRESS = gr.Progress()


@dataclass(frozen=True)
class SuiteRun:
    name: str
    metrics: Metrics
    outcomes: list[Outcome]
    cases: list[Case]


class SuitesTab(Tab):
    title = "Test suites"

    def suites(self) -> list[str]:
        """The evaluation sets in Settings.eval_dir."""
        return sorted(p.name for p in Path(self.settings.eval_dir).glob("*.jsonl"))

    def run_suite(self, path: Path, progress: Any = None) -> SuiteRun:
        """Score one question set with the same code as `python -m bot evaluate`."""
        cases = load_cases(path)
        assistant = self.console.assistant()
        steps = progress.tqdm(cases, desc="Asking") if progress is not None else cases
        outcomes = [run_case(assistant, case) for case in steps]
        return SuiteRun(Path(path).name, summarize(outcomes), outcomes, cases)

    def test_suite(
        self, name: str | None, upload: str | None, progress: gr.Progress = PROGRESS
    ) -> tuple[str, list[list[Any]], list[list[Any]]]:
        """Run the chosen (or uploaded) suite: a headline, the metrics and the table of failures."""
        if upload:
            path = Path(upload)
        elif name:
            if name not in self.suites():
                return f"**No suite {name}** in {self.settings.eval_dir}/; choose one from the list.", [], []
            path = Path(self.settings.eval_dir) / name
        else:
            return "Choose a test suite or upload a .jsonl file, then press Run.", [], []
        try:
            run = self.run_suite(path, progress)
        except BotError as err:
            return f"**Cannot run {path.name}:** {str(err).replace(str(path), path.name)}", [], []
        urgent_labelled = run.metrics.urgent + run.metrics.calm > 0
        rows = [(label, name) for label, name in METRIC_ROWS if urgent_labelled or name not in URGENT_METRICS]
        metrics = [[label, _metric(getattr(run.metrics, name))] for label, name in rows]
        failures = [
            [o.question, _expected(c), o.first or "(nothing)", what_went_wrong(o)]
            for o, c in zip(run.outcomes, run.cases, strict=True)
            if not o.correct
        ]
        headline = (
            f"**{run.name}**: {run.metrics.questions} questions, {len(failures)} not right "
            f"(index build {self.console.assistant().index.path.name})."
        )
        return headline, metrics, failures

    def render(self, app: gr.Blocks) -> None:
        gr.Markdown(
            f"Run an evaluation set from {self.settings.eval_dir}/ or your own .jsonl file (lines of "
            '`{"question": "...", "expect": ["a phrase of the right passage"]}` or `"expect": null`) '
            "against the live index: the same scoring as `python -m bot evaluate`."
        )
        with gr.Row():
            suite = gr.Dropdown(self.suites(), label="Test suite", value=None, scale=3)
            upload = gr.File(label="…or upload a .jsonl file", file_types=[".jsonl"], type="filepath", scale=3)
            run = gr.Button("Run", variant="primary", scale=1)
        headline = gr.Markdown()
        metrics = table(METRIC_COLUMNS, "Metrics", wrap=False)
        failures = table(FAILURE_COLUMNS, "Not right")
        run.click(
            self.test_suite,
            [suite, upload],
            [headline, metrics, failures],
            api_name="run_suite",
            api_visibility=HIDDEN,
        )


def _metric(value: float | int) -> str:
    return str(value) if isinstance(value, int) else f"{value:.3f}"


def _expected(case: Case) -> str:
    if not case.ranked:
        return "(the urgent notice)" if case.urgent else "(no urgent notice)"
    return "(the fallback)" if case.expect is None else " | ".join(case.expect)
