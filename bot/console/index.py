"""The Index tab: the live build, whether the knowledge folder changed since, and a Rebuild button that runs
the same build as `python -m bot build`."""

from __future__ import annotations

from pathlib import Path

import gradio as gr

from bot.console.publishing import staff_name
from bot.console.staff import HIDDEN, Tab
from bot.errors import BotError
from bot.index import PREVIOUS, STAGED, TAUGHT, BuildSummary, build_index, live_build, load_index, stale_files
from bot.index.pointers import read_pointer
from bot.knowledge import KnowledgeError, load_knowledge
from bot.search import faq_share, folder_taught_reliability, question_weight
from bot.text import counted

# Gradio passes the event its own tracker in place of this default (it finds it by its type); it shows
# build_index's tqdm bar.
BUILD_PROGRESS = gr.Progress(track_tqdm=True)


class IndexTab(Tab):
    title = "Index"

    def index_status(self) -> str:
        """When the live build was made, its size, and whether knowledge/ changed since."""
        index_dir = Path(self.settings.index_dir)
        name = live_build(index_dir)
        if name is None:
            return f"**No index** in {index_dir}/ yet: press Rebuild to build it from {self.settings.knowledge_dir}/."
        try:
            index = load_index(index_dir, self.console.embedder)
        except BotError as err:
            return f"**The live index cannot be used:** {err}"
        manifest = index.manifest
        documents = len({p.source.path for p in index.passages})
        stale = stale_files(index, self.settings.knowledge_dir)
        taught = int((index.kinds == TAUGHT).sum())
        teaching = self._teaching(taught, folder_taught_reliability(index))
        faq_view = self._faq_view(faq_share(index))
        index.close()
        if taught:
            teaching.append(self._learned_ranking(taught))
        freshness = (
            f"**Out of date:** changed since the build: {', '.join(stale)}. Press Rebuild."
            if stale
            else f"Up to date with {self.settings.knowledge_dir}/."
        )
        lines = [
            f"**Live build** {name}, built {manifest.get('built_at', '?')} (UTC)",
            f"{counted(documents, 'document')}, {counted(len(index.passages), 'passage')}, "
            f"{manifest.get('vectors', '?')} vectors; "
            f"model {manifest.get('model', '?')}",
            freshness,
            faq_view,
            *teaching,
        ]
        for pointer, meaning in ((PREVIOUS, "`python -m bot rollback` puts it back"), (STAGED, "not live yet")):
            other = read_pointer(index_dir, pointer, damaged_as_none=True)
            if other:
                lines.append(f"{pointer.capitalize()} build: {other} ({meaning}).")
        return "\n\n".join(lines)

    def _faq_view(self, share: float) -> str:
        """How much the FAQ questions count in this folder, and why: staff see the ranking adapt to its shape."""
        s = self.settings.search
        return (
            f"{share:.0%} of passages are FAQ entries with a question of their own; a visitor's question is matched "
            f"with those questions at weight {question_weight(share, s):g} beside the passages' own text at "
            f"{s.passage_weight:g} (from {s.question_weight:g} where few passages are FAQ entries to "
            f"{s.faq_question_weight:g} where {s.faq_share_full:.0%} are)."
        )

    def _teaching(self, taught: int, share: float) -> list[str]:
        """What staff taught, and how much the ranking trusts it: staff see why a question taught once helps
        only when asked again."""
        if not taught:
            return []
        s = self.settings
        return [
            f"{counted(taught, 'taught question')}; {share:.0%} of them have a nearest other taught question taught "
            f"to the same passage. Taught questions guide the ranking from {s.taught_reliability_from:.0%}, fully "
            f"from {s.taught_reliability_full:.0%}; below that only a taught question asked again goes to its "
            "passage. Teaching several ways of asking to the passages visitors ask about most raises it."
        ]

    def _learned_ranking(self, taught: int) -> str:
        """Whether the live searcher learned a ranking from the taught questions (bot/ranker.py), and why not."""
        s = self.settings
        learned = self.console.assistant().searcher.learned_ranking
        if learned is not None:
            shipped, better = learned.mrr
            return (
                f"A ranking learned from {counted(learned.questions, 'taught question')} ranks them better than the "
                f"shipped one in cross-validation (MRR {shipped:.3f} -> {better:.3f}); it counts where teaching is "
                "not trusted."
            )
        if s.learned_ranking_min_taught <= 0:
            return "No ranking is learned from taught questions (BOT_LEARNED_RANKING_MIN_TAUGHT=0)."
        if taught < s.learned_ranking_min_taught:
            return f"A ranking is learned from {s.learned_ranking_min_taught} taught questions on; {taught} so far."
        return "No ranking was learned from the taught questions: the teaching is trusted, or none ranked them better."

    def rebuild(self, request: gr.Request | None = None, progress: gr.Progress = BUILD_PROGRESS) -> tuple[str, str]:
        """Build the index from the knowledge folder as `python -m bot build` does and make it live; the audit log
        records who did."""
        if not self.console.build_lock.acquire(blocking=False):
            return "A rebuild is already running; wait for its summary.", self.index_status()
        try:
            return self._rebuild(progress, staff_name(self.console, request)), self.index_status()
        finally:
            self.console.build_lock.release()

    def _rebuild(self, progress: gr.Progress | None, user: str) -> str:
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
                self.console.embedder,
                progress=progress is not None,
                settings=s.index,
                prepare=self.console.prepare_build,
                # before it goes live: a process killed then leaves the line
                announce=lambda summary: self.console.audit.record(
                    user, "build", f"{summary.name}: {summary.describe()}"
                ),
            )
        except BotError as err:
            return f"**Not rebuilt:** {err} The live index is unchanged."
        return summary_text(summary, s.index_dir)

    def render(self, app: gr.Blocks) -> None:
        status = gr.Markdown()
        rebuild = gr.Button("Rebuild the index", variant="primary")
        built = gr.Markdown()
        rebuild.click(
            self.rebuild, None, [built, status], api_name="rebuild", api_visibility=HIDDEN, concurrency_limit=1
        )
        app.load(self.index_status, None, [status], api_name="index_status", api_visibility=HIDDEN)


def summary_text(summary: BuildSummary, index_dir: Path) -> str:
    """The build summary, in the words of `python -m bot build`, with its warnings."""
    text = f"**Built {index_dir}/ ({summary.name})**: {summary.describe()} " + (
        "It is live: the visitor chat switches to it before its next question." if summary.published else ""
    )
    if summary.warnings:  # folded: the same warnings come back on every build until the file is fixed
        listed = "\n".join(f"- `{w}`" for w in summary.warnings)
        folded = f"<summary>{counted(len(summary.warnings), 'warning')}, with file:line</summary>\n\n{listed}\n\n"
        text += f"\n\n<details>{folded}</details>"
    return text
