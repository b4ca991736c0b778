"""Answer stage: ranked passages → a reply of quoted, cited passages with the disclaimer.

Nothing here writes new sentences: a reply holds passages from the knowledge folder,
or one of the fixed texts of site.toml, always with the disclaimer.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field, replace
from functools import lru_cache

from bot.config import Settings
from bot.embedding import Embedder
from bot.index import Index, load_index, require_fresh
from bot.knowledge import Site
from bot.search import Hit, Results, Searcher, normalize_query

EMPTY_MESSAGE = "Please type a question, for example one of the examples shown."
TOO_LONG_MESSAGE = "Your message is {length:,} characters long; please ask in at most {limit:,} characters."


@dataclass(frozen=True)
class Reply:
    question: str
    answered: bool
    disclaimer: str
    passages: tuple[Hit, ...] = ()  # the answer first, then related passages
    message: str | None = None  # the fallback, or what was wrong with the question
    ranking: tuple[Hit, ...] = field(default=(), repr=False)  # everything considered, best first
    confidence: float = 0.0

    @property
    def answer(self) -> Hit | None:
        return self.passages[0] if self.answered else None

    @property
    def related(self) -> tuple[Hit, ...]:
        return self.passages[1:]

    def to_dict(self) -> dict:
        """The JSON form: the reply's passages, or on a fallback the ranking that was rejected."""
        return {
            "question": self.question,
            "answered": self.answered,
            "passages": [_hit_dict(h) for h in (self.passages or self.ranking)],
            "message": self.message,
            "disclaimer": self.disclaimer,
        }


def _hit_dict(hit: Hit) -> dict:
    p = hit.passage
    return {
        "id": p.id,
        "text": p.text,
        "title": p.source.title,
        "heading": p.heading,
        "source": p.location,
        "credit": p.source.credit,
        "score": round(hit.score, 4),
    }


def compose_reply(question: str, results: Results, site: Site, settings: Settings) -> Reply:
    """Answer with the best passage if confident enough, plus close runners-up as related."""
    ranking = tuple(results.hits)
    if not ranking or results.confidence < settings.min_confidence:
        return Reply(
            question, False, site.disclaimer, message=site.fallback, ranking=ranking, confidence=results.confidence
        )
    best = ranking[0]
    related = [hit for hit in ranking[1:] if hit.score >= best.score - settings.related_margin]
    return Reply(
        question,
        True,
        site.disclaimer,
        passages=(best, *related[: settings.max_related]),
        ranking=ranking,
        confidence=results.confidence,
    )


class Assistant:
    """The whole question → reply path over one loaded index."""

    def __init__(self, index: Index, embedder: Embedder, settings: Settings):
        self.index = index
        self.searcher = Searcher(index, embedder, settings)
        self.settings = settings
        self._answer = lru_cache(maxsize=settings.answer_cache_size)(self._search_and_compose)

    @classmethod
    def load(cls, settings: Settings, check_fresh: bool = True) -> Assistant:
        index = load_index(settings.index_dir, settings.model_name)
        if check_fresh:
            require_fresh(index, settings.knowledge_dir)
        embedder = Embedder(settings.resolved_model_path(), settings.model_name, settings.embed_batch_size)
        return cls(index, embedder, settings)

    @property
    def site(self) -> Site:
        return self.index.site

    def warm_up(self) -> None:
        """Load the model now rather than on the first visitor's question."""
        self.searcher.search("warm up", 1)

    def ask(self, question: str, k: int | None = None) -> Reply:
        problem = self.input_problem(question)
        if problem:
            return Reply(question, False, self.site.disclaimer, message=problem)
        depth = max(k or self.settings.top_k, self.settings.max_related + 1)
        reply = self._answer(normalize_query(question).casefold(), depth)
        return replace(reply, question=question)

    def _search_and_compose(self, query: str, depth: int) -> Reply:
        """Uncached: the example questions and other repeats are served from self._answer's cache."""
        return compose_reply(query, self.searcher.search(query, depth), self.site, self.settings)

    def input_problem(self, question: str) -> str | None:
        if len(question) > self.settings.max_question_chars:
            return TOO_LONG_MESSAGE.format(length=len(question), limit=self.settings.max_question_chars)
        if not normalize_query(question):
            return EMPTY_MESSAGE
        return None


# CommonMark lets a backslash escape any ASCII punctuation; entities keep HTML inert.
_MARKDOWN_PUNCTUATION = re.compile(r"([\\`*_{}\[\]()#+\-.!|~:=\"'$%^/?@,])")


def escape_markdown(text: str) -> str:
    """Show text exactly as written: no HTML, no emphasis, no links, no fake citations."""
    return html.escape(_MARKDOWN_PUNCTUATION.sub(r"\\\1", text), quote=False)


def _quote(text: str) -> str:
    return "\n".join(f"> {escape_markdown(line)}" if line.strip() else ">" for line in text.split("\n"))


def _cited(hit: Hit) -> str:
    return f"{_quote(hit.passage.text)}\n\n<sub>Source: {escape_markdown(hit.passage.citation)}</sub>"


def render_markdown(reply: Reply) -> str:
    """The reply as the chat shows it."""
    parts = [escape_markdown(reply.message)] if reply.message else []
    if reply.answer:
        parts.append(_cited(reply.answer))
    if reply.related:
        parts.append("**Related**")
        parts += [_cited(hit) for hit in reply.related]
    parts.append(f"<sub>*{escape_markdown(reply.disclaimer)}*</sub>")
    return "\n\n".join(parts)


def render_text(reply: Reply) -> str:
    """The reply for a terminal: plain text, citations on their own lines."""
    parts = [reply.message] if reply.message else []
    for number, hit in enumerate(reply.passages):
        label = "Answer" if number == 0 else "Related"
        parts.append(
            f"{label} (score {hit.score:.2f}):\n{hit.passage.text}\n  — {hit.passage.citation} [{hit.passage.location}]"
        )
    parts.append(f"Disclaimer: {reply.disclaimer}")
    return "\n\n".join(parts)
