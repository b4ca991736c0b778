"""The Inspector tab: a question's ranked passages with every score, why it was answered or not, and exactly
the reply a visitor gets."""

from __future__ import annotations

from typing import Any

import gradio as gr

from bot.answer import Reply, unrelated
from bot.assistant import Assistant
from bot.console.staff import HIDDEN, Tab, table
from bot.errors import BotError
from bot.search import NO_CONFIDENCE
from bot.ui import chat_turn

INSPECT_DEPTH = 10  # passages listed unless staff ask for more
RANKING_COLUMNS = {  # header → width
    "rank": "5%",
    "in reply": "6%",
    "score": "6%",
    "fused": "6%",
    "late (std.)": "7%",
    "dense": "6%",
    "lexical (BM25)": "7%",
    "matched": "7%",
    "heading": "26%",
    "id": "11%",
    "source": "13%",
}


class InspectorTab(Tab):
    title = "Inspector"

    def inspect(self, question: str, depth: float = INSPECT_DEPTH) -> tuple[list[dict], str, list[list[Any]]]:
        """The visitor's chat for this question, why it was answered or not, and the ranked passages."""
        question = question or ""
        try:
            assistant = self.console.assistant()
        except BotError as err:
            return [], f"**Cannot answer:** {err}", []
        reply = assistant.ask(question, k=max(1, int(depth)))  # one search: the visitor's reply and a deeper ranking
        chat = chat_turn(question, reply)  # exactly what the visitor app shows
        problem = assistant.input_problem(question)
        if problem:
            urgent = f"\n\n**Urgent notice shown**: {reply.alarm}." if reply.alarm else ""
            return chat, f"**Not searched:** {problem}{urgent}", []
        shown = {hit.passage.id: ("answer" if n == 0 else "related") for n, hit in enumerate(reply.passages)}
        rows = [
            [
                rank,
                shown.get(hit.passage.id, ""),
                round(hit.score, 4),
                round(hit.fused, 4),
                round(hit.rerank, 4),
                round(hit.dense, 4),
                round(hit.lexical, 4),
                hit.matched,
                hit.passage.heading,
                hit.passage.id,
                hit.passage.location,
            ]
            for rank, hit in enumerate(reply.ranking[: max(1, int(depth))], 1)
        ]
        return chat, self._decision(assistant, reply), rows

    def _decision(self, assistant: Assistant, reply: Reply) -> str:
        """Why the visitor gets this reply: the confidence against the threshold, and what moved it."""
        s = self.settings
        compared = "≥" if reply.confidence >= s.min_confidence else "<"
        verdict = "Answered" if reply.answered else "Fallback"
        if reply.confidence <= NO_CONFIDENCE:
            lines = [f"**{verdict}**: no word of the question carries meaning, so there is nothing to search for"]
        else:
            lines = [f"**{verdict}**: confidence {reply.confidence:.4f} {compared} threshold {s.min_confidence}"]
        if reply.confidence > NO_CONFIDENCE and unrelated(reply.ranking, s.answer):
            lines.append(
                f"The best passage's cosine with the question, {reply.ranking[0].dense:.3f}, is under "
                f"{s.min_answer_similarity} "
                "(BOT_MIN_ANSWER_SIMILARITY): unrelated in meaning, so no passage is shown whatever the confidence."
            )
        if reply.alarm:
            lines.append(f"**Urgent notice shown**: {reply.alarm}.")
        if reply.uncovered_words:
            uncovered = ", ".join(reply.uncovered_words)
            lines.append(f"Words the documents do not cover (they lower the confidence): {uncovered}")
        if reply.corrections:
            lines.append("Spelling read as: " + ", ".join(f"{k} → {v}" for k, v in reply.corrections.items()))
        question = assistant.searcher.question_weight  # this folder's (bot/search.py question_weight)
        total = s.passage_weight + s.sentence_weight + question + s.lexical_weight
        lines.append(
            f"Score = {1 - s.late_interaction_weight:g} × fused + {s.late_interaction_weight:g} × late for the best "
            f"{s.rerank_depth} fused; late is each question token's best cosine with the passage's tokens (for an FAQ "
            f"entry {s.late_question_share:g} of it with its question's tokens), weighted by how few of those passages "
            "match the token, standardised over them. "
            + (
                "An FAQ entry's or a thread's further parts rank after the other reranked passages, whatever their "
                "score (BOT_ENTRIES_FIRST). "
                if s.entries_first
                else ""
            )
            + f"Fused = ({s.passage_weight} × passage + {s.sentence_weight} × sentence + "
            f"{question:g} × FAQ question cosine + {s.lexical_weight} × log(1 + BM25)) / {total:g}, each "
            "standardised over the candidates (less the mean, over the standard deviation); "
            f"BM25 adds {s.expansion_weight} × the query words' nearest document words. "
            "Dense is the best of the three cosines, from the view under matched. "
            f"Index build {assistant.index.path.name}."
        )
        stale = assistant.stale_files()
        if stale:
            lines.append(f"**The index is out of date** ({', '.join(stale[:5])} changed): rebuild it in the Index tab.")
        return "\n\n".join(lines)

    def render(self, app: gr.Blocks) -> None:
        gr.Markdown("Type a question to see the passages ranked for it, every score, and the visitor's reply.")
        with gr.Row():
            question = gr.Textbox(label="Question", scale=5, max_lines=4)
            depth = gr.Number(label="Passages listed", value=INSPECT_DEPTH, minimum=1, maximum=50, scale=1)
            inspect = gr.Button("Inspect", variant="primary", scale=1)
        decision = gr.Markdown()
        ranking = table(RANKING_COLUMNS, "Passages, best first")
        visitor_view = gr.Chatbot(label="What the visitor sees", height=420, elem_id="answers", buttons=[])
        gr.on(
            [question.submit, inspect.click],
            self.inspect,
            [question, depth],
            [visitor_view, decision, ranking],
            api_name="inspect",
            api_visibility=HIDDEN,
        )
