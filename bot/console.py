"""The staff console: inspect answers, run the test suites, see what visitors asked, rebuild the index.

A Gradio app of its own, on its own port (Settings.console_port), behind Gradio's login: every page,
API and queue route of it needs the staff password, and it refuses to start without one. The visitor
app (bot/ui.py) contains none of this. Start it with `python -m bot console`.
"""

from __future__ import annotations

import asyncio
import atexit
import hmac
import logging
import shutil
import tempfile
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import gradio as gr

from bot.answer import Reply
from bot.assistant import Assistant
from bot.config import Settings
from bot.embedding import Embedder, limit_threads
from bot.errors import BotError
from bot.evaluate import Case, Metrics, Outcome, load_cases, run_case, summarize, what_went_wrong
from bot.index import PREVIOUS, STAGED, BuildSummary, build_index, live_build, load_index, stale_files
from bot.index.pointers import read_pointer
from bot.knowledge import KnowledgeError, load_knowledge
from bot.search import NO_CONFIDENCE, normalize_query
from bot.ui import CSS, VisitorChat, cannot_listen
from bot.visits import DISLIKED, EITHER, UNANSWERED, AskedQuestion, VisitLog, to_csv

log = logging.getLogger(__name__)

INSPECT_DEPTH = 10  # passages listed by the inspector unless staff ask for more
MIN_PASSWORD_CHARS = 8
FAILED_LOGIN_DELAY = 1.0  # seconds before a wrong password is refused: slows guessing
UPLOAD_LIMIT = "5mb"
NO_PASSWORD = (
    "The staff console needs a password: set BOT_STAFF_PASSWORD (at least {n} characters; user name "
    "BOT_STAFF_USER, default 'staff') and start it again."
)

RANKING_HEADERS = [
    "rank",
    "in reply",
    "score",
    "fused",
    "late",
    "dense",
    "lexical (BM25)",
    "matched",
    "heading",
    "id",
    "source",
]
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
FAILURE_HEADERS = ["question", "expected", "what came first", "what went wrong"]
QUESTION_HEADERS = ["question", "asked", "unanswered", "disliked", "liked", "last asked", "passages shown last time"]
LISTS = {"Unanswered or disliked": EITHER, "Unanswered": UNANSWERED, "Disliked": DISLIKED}
# Gradio's login page embeds the API description of public events even for a visitor who is not signed in:
# the console's events are private, so that page names none of them (signed-in calls work as before).
HIDDEN = "private"
# Gradio passes each event its own tracker in place of these defaults (it finds them by their type).
PROGRESS = gr.Progress()
BUILD_PROGRESS = gr.Progress(track_tqdm=True)  # shows build_index's tqdm bar


@dataclass(frozen=True)
class SuiteRun:
    name: str
    metrics: Metrics
    outcomes: list[Outcome]
    cases: list[Case]


class StaffConsole:
    """The console's functions, plain enough for tests to call without a server."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None, visits: VisitLog | None = None):
        self.settings = settings
        self.embedder = embedder or Embedder.from_settings(settings.model)
        self.visits = visits
        self.exports = Path(tempfile.mkdtemp(prefix="bot-console-"))  # CSV downloads; Gradio serves copies
        atexit.register(shutil.rmtree, self.exports, ignore_errors=True)
        self._assistant: Assistant | None = None
        self._load_lock = threading.Lock()
        self._build_lock = threading.Lock()

    # The live index ------------------------------------------------------------------------------------

    def assistant(self) -> Assistant:
        """The assistant over the live build (switching to newer builds, as the visitor app does)."""
        with self._load_lock:
            if self._assistant is None:
                index = load_index(self.settings.index_dir, self.settings.model_name)
                self._assistant = Assistant(index, self.embedder, self.settings, follow_live=True)
            self._assistant.refresh()
            return self._assistant

    # Inspector -----------------------------------------------------------------------------------------

    def inspect(self, question: str, depth: float = INSPECT_DEPTH) -> tuple[list[dict], str, list[list[Any]]]:
        """The visitor's chat for this question, why it was answered or not, and the ranked passages."""
        question = question or ""
        try:
            assistant = self.assistant()
        except BotError as err:
            return [], f"**Cannot answer:** {err}", []
        chat, _ = VisitorChat(assistant).respond(question, [])  # exactly what the visitor app shows
        reply = assistant.ask(question)
        problem = assistant.input_problem(question)
        if problem:
            urgent = f"\n\n**Urgent notice shown**: {reply.alarm}." if reply.alarm else ""
            return chat, f"**Not searched:** {problem}{urgent}", []
        results = assistant.searcher.search(normalize_query(question).casefold(), max(1, int(depth)))
        shown = {hit.passage.id: ("answer" if n == 0 else "related") for n, hit in enumerate(reply.passages)}
        rows = [
            [
                rank,
                shown.get(hit.passage.id, ""),
                round(hit.score, 4),
                round(hit.fused, 4),
                round(hit.late, 4),
                round(hit.dense, 4),
                round(hit.lexical, 4),
                hit.matched,
                hit.passage.heading,
                hit.passage.id,
                hit.passage.location,
            ]
            for rank, hit in enumerate(results.hits, 1)
        ]
        return chat, self._decision(assistant, reply, results.unknown_words, results.corrections), rows

    def _decision(self, assistant: Assistant, reply: Reply, unknown: tuple[str, ...], corrections: dict) -> str:
        """Why the visitor gets this reply: the confidence against the threshold, and what moved it."""
        s = self.settings
        compared = "≥" if reply.confidence >= s.min_confidence else "<"
        verdict = "Answered" if reply.answered else "Fallback"
        if reply.confidence <= NO_CONFIDENCE:
            lines = [f"**{verdict}**: no word of the question carries meaning, so there is nothing to search for"]
        else:
            lines = [f"**{verdict}**: confidence {reply.confidence:.4f} {compared} threshold {s.min_confidence}"]
        if reply.alarm:
            lines.append(f"**Urgent notice shown**: {reply.alarm}.")
        if unknown:
            lines.append(f"Words the documents do not cover (they lower the confidence): {', '.join(unknown)}")
        if corrections:
            lines.append("Spelling read as: " + ", ".join(f"{k} → {v}" for k, v in corrections.items()))
        total = s.passage_weight + s.sentence_weight + s.question_weight + s.lexical_weight
        lines.append(
            f"Score = {1 - s.late_interaction_weight:g} × fused + {s.late_interaction_weight:g} × late for the best "
            f"{s.rerank_depth} fused; late is each question token's best cosine with the passage's tokens, averaged. "
            f"Fused = ({s.passage_weight} × passage + {s.sentence_weight} × sentence + "
            f"{s.question_weight} × FAQ question cosine + {s.lexical_weight} × log(1 + BM25)) / {total:g}; "
            f"BM25 adds {s.expansion_weight} × the query words' nearest document words. "
            "Dense is the best of the three cosines, from the view under matched. "
            f"Index build {assistant.index.path.name}."
        )
        stale = assistant.stale_files()
        if stale:
            lines.append(f"**The index is out of date** ({', '.join(stale[:5])} changed): rebuild it in the Index tab.")
        return "\n\n".join(lines)

    # Test suites ---------------------------------------------------------------------------------------

    def suites(self) -> list[str]:
        """The evaluation sets in Settings.eval_dir."""
        return sorted(p.name for p in Path(self.settings.eval_dir).glob("*.jsonl"))

    def run_suite(self, path: Path, progress: Any = None) -> SuiteRun:
        """Score one question set with the same code as `python -m bot evaluate`."""
        cases = load_cases(path)
        assistant = self.assistant()
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
            f"(index build {self.assistant().index.path.name})."
        )
        return headline, metrics, failures

    # Visitor questions ---------------------------------------------------------------------------------

    def visitor_questions(self, which: str = "Unanswered or disliked") -> tuple[str, list[list[Any]], str | None]:
        """The chosen list, most frequent first, and the same as a CSV file to download."""
        if self.visits is None:
            return "The visit log is off (BOT_VISIT_LOG=0): no visitor questions are kept.", [], None
        self.visits.purge()
        questions = self.visits.questions(LISTS.get(which, EITHER))
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
            return {p.id: p.heading for p in self.assistant().index.passages}
        except BotError:
            return {}

    # Index ---------------------------------------------------------------------------------------------

    def index_status(self) -> str:
        """When the live build was made, its size, and whether knowledge/ changed since."""
        index_dir = Path(self.settings.index_dir)
        name = live_build(index_dir)
        if name is None:
            return f"**No index** in {index_dir}/ yet: press Rebuild to build it from {self.settings.knowledge_dir}/."
        try:
            index = load_index(index_dir, self.settings.model_name)
        except BotError as err:
            return f"**The live index cannot be used:** {err}"
        manifest = index.manifest
        documents = len({p.source.path for p in index.passages})
        stale = stale_files(index, self.settings.knowledge_dir)
        freshness = (
            f"**Out of date:** changed since the build: {', '.join(stale)}. Press Rebuild."
            if stale
            else f"Up to date with {self.settings.knowledge_dir}/."
        )
        lines = [
            f"**Live build** {name}, built {manifest.get('built_at', '?')} (UTC)",
            f"{documents} documents, {len(index.passages)} passages, {manifest.get('vectors', '?')} vectors; "
            f"model {manifest.get('model', '?')}",
            freshness,
        ]
        for pointer, meaning in ((PREVIOUS, "`python -m bot rollback` puts it back"), (STAGED, "not live yet")):
            other = read_pointer(index_dir, pointer, damaged_as_none=True)
            if other:
                lines.append(f"{pointer.capitalize()} build: {other} ({meaning}).")
        return "\n\n".join(lines)

    def rebuild(self, progress: gr.Progress = BUILD_PROGRESS) -> tuple[str, str]:
        """Build the index from the knowledge folder as `python -m bot build` does and make it live."""
        if not self._build_lock.acquire(blocking=False):
            return "A rebuild is already running; wait for its summary.", self.index_status()
        try:
            return self._rebuild(progress), self.index_status()
        finally:
            self._build_lock.release()

    def _rebuild(self, progress: gr.Progress | None) -> str:
        s = self.settings
        if progress is not None:
            progress(0, desc=f"Reading {s.knowledge_dir}/")
        try:
            knowledge = load_knowledge(s.knowledge_dir, s.passage_max_words, s.passage_min_words)
        except KnowledgeError as err:
            problems = "\n".join(f"- `{p}`" for p in err.problems) or f"- {err}"
            return (
                f"**Not rebuilt**: fix these in {s.knowledge_dir}/ and press Rebuild again; "
                f"the live index is unchanged.\n\n{problems}"
            )
        if progress is not None:
            progress(0.1, desc="Embedding new or changed text")
        try:
            summary = build_index(
                knowledge,
                s.index_dir,
                self.embedder,
                progress=progress is not None,
                settings=s.index,
            )
        except BotError as err:
            return f"**Not rebuilt:** {err} The live index is unchanged."
        return summary_text(summary, s.index_dir)


def summary_text(summary: BuildSummary, index_dir: Path) -> str:
    """The build summary, in the words of `python -m bot build`, with its warnings."""
    text = (
        f"**Built {index_dir}/ ({summary.name})**: {summary.documents} documents, {summary.passages} passages "
        f"({summary.changes}), {summary.vectors} vectors; {summary.embedded} of {summary.texts} texts embedded, "
        f"the rest from the cache; {len(summary.warnings)} warnings; {summary.seconds:.1f} s. "
        + ("It is live: the visitor chat switches to it before its next question." if summary.published else "")
    )
    if summary.warnings:  # folded: the same warnings come back on every build until the file is fixed
        listed = "\n".join(f"- `{w}`" for w in summary.warnings)
        folded = f"<summary>{len(summary.warnings)} warnings, with file:line</summary>\n\n{listed}\n\n"
        text += f"\n\n<details>{folded}</details>"
    return text


def _metric(value: float | int) -> str:
    return str(value) if isinstance(value, int) else f"{value:.3f}"


def _expected(case: Case) -> str:
    if not case.ranked:
        return "(the urgent notice)" if case.urgent else "(no urgent notice)"
    return "(the fallback)" if case.expect is None else " | ".join(case.expect)


def _question_row(q: AskedQuestion, headings: dict[str, str]) -> list[Any]:
    shown = "; ".join(headings.get(p, p) for p in q.passages)
    return [q.question, q.asked, q.unanswered, q.disliked, q.liked, q.last_asked, shown]


def build_console_app(console: StaffConsole) -> gr.Blocks:
    settings = console.settings
    with gr.Blocks(title="Staff console", delete_cache=(3600, 3600)) as app:
        with gr.Row():
            gr.Markdown(f"# Staff console\n\nSigned in as **{settings.staff_user}**.")
            gr.Button("Log out", link="/logout", size="sm", scale=0)
        with gr.Tabs():
            with gr.Tab("Inspector"):
                gr.Markdown("Type a question to see the passages ranked for it, every score, and the visitor's reply.")
                with gr.Row():
                    question = gr.Textbox(label="Question", scale=5, max_lines=4)
                    depth = gr.Number(label="Passages listed", value=INSPECT_DEPTH, minimum=1, maximum=50, scale=1)
                    inspect = gr.Button("Inspect", variant="primary", scale=1)
                decision = gr.Markdown()
                ranking = gr.Dataframe(
                    headers=RANKING_HEADERS,
                    label="Passages, best first",
                    interactive=False,
                    wrap=True,
                    column_widths=["5%", "7%", "8%", "7%", "8%", "8%", "31%", "12%", "14%"],
                )
                visitor_view = gr.Chatbot(label="What the visitor sees", height=420, elem_id="answers", buttons=[])
                gr.on(
                    [question.submit, inspect.click],
                    console.inspect,
                    [question, depth],
                    [visitor_view, decision, ranking],
                    api_name="inspect",
                    api_visibility=HIDDEN,
                )
            with gr.Tab("Test suites"):
                gr.Markdown(
                    f"Run an evaluation set from {settings.eval_dir}/ or your own .jsonl file (lines of "
                    '`{"question": "...", "expect": ["a phrase of the right passage"]}` or `"expect": null`) '
                    "against the live index: the same scoring as `python -m bot evaluate`."
                )
                with gr.Row():
                    suite = gr.Dropdown(console.suites(), label="Test suite", value=None, scale=3)
                    upload = gr.File(label="…or upload a .jsonl file", file_types=[".jsonl"], type="filepath", scale=3)
                    run = gr.Button("Run", variant="primary", scale=1)
                headline = gr.Markdown()
                metrics = gr.Dataframe(
                    headers=["metric", "value"], label="Metrics", interactive=False, column_widths=["70%", "30%"]
                )
                failures = gr.Dataframe(
                    headers=FAILURE_HEADERS,
                    label="Not right",
                    interactive=False,
                    wrap=True,
                    column_widths=["27%", "30%", "30%", "13%"],
                )
                run.click(
                    console.test_suite,
                    [suite, upload],
                    [headline, metrics, failures],
                    api_name="run_suite",
                    api_visibility=HIDDEN,
                )
            with gr.Tab("Visitor questions"):
                which = gr.Radio(list(LISTS), value="Unanswered or disliked", label="Show")
                summary = gr.Markdown()
                table = gr.Dataframe(
                    headers=QUESTION_HEADERS,
                    label="Questions",
                    interactive=False,
                    wrap=True,
                    column_widths=["40%", "7%", "10%", "8%", "6%", "11%", "18%"],
                )
                with gr.Row():
                    refresh = gr.Button("Refresh")
                    download = gr.DownloadButton("Download CSV", value=None)
                outputs = [summary, table, download]
                which.change(
                    console.visitor_questions, [which], outputs, api_name="visitor_questions", api_visibility=HIDDEN
                )
                refresh.click(
                    console.visitor_questions, [which], outputs, api_name="refresh_questions", api_visibility=HIDDEN
                )
            with gr.Tab("Index"):
                status = gr.Markdown()
                rebuild = gr.Button("Rebuild the index", variant="primary")
                built = gr.Markdown()
                rebuild.click(
                    console.rebuild,
                    None,
                    [built, status],
                    api_name="rebuild",
                    api_visibility=HIDDEN,
                    concurrency_limit=1,
                )
        app.load(console.index_status, None, [status], api_name="index_status", api_visibility=HIDDEN)
        app.load(console.visitor_questions, [which], outputs, api_name="load_questions", api_visibility=HIDDEN)
    return app


def check_login(settings: Settings):
    """Gradio's auth function: the configured user and password, compared in constant time; a wrong
    guess waits FAILED_LOGIN_DELAY seconds."""
    user, password = settings.staff_user.encode(), settings.staff_password.encode()

    async def check(username: str, given: str) -> bool:
        right = hmac.compare_digest(username.encode(), user) & hmac.compare_digest(given.encode(), password)
        if not right:
            log.warning("staff console: a failed login")
            await asyncio.sleep(FAILED_LOGIN_DELAY)
        return bool(right)

    return check


def require_password(settings: Settings) -> None:
    if len(settings.staff_password) < MIN_PASSWORD_CHARS:
        raise BotError(NO_PASSWORD.format(n=MIN_PASSWORD_CHARS))


def serve(settings: Settings) -> None:
    """Start the console (blocking); refuses to without a staff password."""
    require_password(settings)
    limit_threads(settings.serve)
    console = StaffConsole(settings, visits=VisitLog.open(settings))
    try:
        console.assistant().warm_up()
    except BotError as err:  # no index yet: the console is where it gets built
        log.warning("%s", err)
    try:
        build_console_app(console).queue(default_concurrency_limit=2).launch(
            server_name=settings.console_host,
            server_port=settings.console_port,
            auth=check_login(settings),
            auth_message="Staff console of the FAQ assistant. Sign in with the staff user name and password.",
            css=CSS,
            footer_links=[],
            run_history=False,
            max_file_size=UPLOAD_LIMIT,
        )
    except (OSError, OverflowError) as err:
        raise cannot_listen(settings.console_host, settings.console_port, err, "BOT_CONSOLE") from None
