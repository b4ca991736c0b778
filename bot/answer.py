"""Answer stage: ranked passages → a reply of quoted, cited passages with the disclaimer.

Nothing here writes new sentences: a reply holds passages from the knowledge folder,
or one of the fixed texts of site.toml, always with the disclaimer.
"""

from __future__ import annotations

import html
import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import lru_cache

from bot.config import AnswerSettings, Settings
from bot.embedding import Embedder
from bot.errors import BotError
from bot.index import CURRENT, Index, live_build, load_index, require_fresh, stale_files
from bot.knowledge import Passage, Site
from bot.search import NO_CONFIDENCE, Hit, Results, Searcher, normalize_query
from bot.urgent import SELF_HARM, Alarm, Examples, by_meaning, detect, stack_examples

log = logging.getLogger(__name__)

EMPTY_MESSAGE = "Please type a question, for example one of the examples shown."
TOO_LONG_MESSAGE = "Your message is {length:,} characters long; please ask in at most {limit:,} characters."
URGENT_SCAN_CHARS = 10  # × max_question_chars of a message read for urgent phrases
URGENT_PART_WORDS = 120  # a message too long to search is read for an emergency in parts of about this many words


@dataclass(frozen=True)
class Reply:
    question: str
    answered: bool
    disclaimer: str
    passages: tuple[Hit, ...] = ()  # the answer first, then related passages
    message: str | None = None  # the fallback, or what was wrong with the question
    ranking: tuple[Hit, ...] = field(default=(), repr=False)  # everything considered, best first
    confidence: float = NO_CONFIDENCE
    notice: str | None = None  # the urgent notice, shown before anything else
    choices: tuple[Passage, ...] = ()  # "did you mean": close matches that answer different needs
    follow_ups: tuple[Passage, ...] = ()  # neighbouring FAQ entries worth asking next
    alarm: Alarm | None = None  # why the message got the urgent notice, for staff

    @property
    def answer(self) -> Hit | None:
        return self.passages[0] if self.answered else None

    @property
    def related(self) -> tuple[Hit, ...]:
        return self.passages[1:]

    def to_dict(self, ranking: int = 0) -> dict:
        """The JSON form: the passages shown (none on a fallback). For staff, ranking > 0 adds the confidence and
        that many of the passages considered, best first, even when all were rejected."""
        data = {
            "question": self.question,
            "answered": self.answered,
            "passages": [_hit_dict(h) for h in self.passages],
            "message": self.message,
            "notice": self.notice,
            "choices": [{"id": p.id, "heading": p.heading} for p in self.choices],
            "follow_ups": [{"id": p.id, "question": p.question} for p in self.follow_ups],
            "disclaimer": self.disclaimer,
        }
        if ranking > 0:
            data["confidence"] = None if self.confidence == NO_CONFIDENCE else round(self.confidence, 4)
            data["ranking"] = [_hit_dict(h) for h in self.ranking[:ranking]]
            data["urgent_because"] = str(self.alarm) if self.alarm else None
        return data


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


def compose_reply(
    question: str, results: Results, site: Site, settings: AnswerSettings, searcher: Searcher | None = None
) -> Reply:
    """Answer with the best passage if confident enough, plus close runners-up as related.

    A runner-up that says nearly the same as a passage already shown (an FAQ answer and the
    body paragraph it summarises) is folded away, so "Related" adds information. Passages
    under other headings that score almost as high as the best are offered as "did you mean".
    """
    ranking = tuple(results.hits)
    if not ranking or results.confidence < settings.min_confidence:
        return Reply(
            question, False, site.disclaimer, message=site.fallback, ranking=ranking, confidence=results.confidence
        )
    best = ranking[0]
    shown = [best]
    for hit in ranking[1:]:
        if len(shown) > settings.max_related or hit.score < best.score - settings.related_margin:
            break
        if searcher and any(
            searcher.similarity(hit.passage, s.passage) >= settings.duplicate_similarity for s in shown
        ):
            continue
        shown.append(hit)
    choices = _choices(ranking, settings, searcher)
    follow_ups = _follow_ups(best.passage, shown, searcher, settings)
    return Reply(
        question,
        True,
        site.disclaimer,
        passages=tuple(shown),
        ranking=ranking,
        confidence=results.confidence,
        choices=choices,
        follow_ups=follow_ups,
    )


def _choices(ranking: tuple[Hit, ...], settings: AnswerSettings, searcher: Searcher | None) -> tuple[Passage, ...]:
    """Close matches under different headings that do not say the same thing."""
    close = [
        h.passage
        for h in ranking[: settings.max_choices + 1]
        if h.score >= ranking[0].score - settings.ambiguity_margin
    ]
    distinct: list[Passage] = []
    for passage in close:
        if all(p.heading != passage.heading and not _same(searcher, p, passage, settings) for p in distinct):
            distinct.append(passage)
    return tuple(distinct[: settings.max_choices]) if len(distinct) > 1 else ()


def _follow_ups(
    answer: Passage, shown: list[Hit], searcher: Searcher | None, settings: AnswerSettings
) -> tuple[Passage, ...]:
    if searcher is None:
        return ()
    exclude = {h.passage.id for h in shown}
    candidates = searcher.neighbouring_questions(answer, exclude, settings.max_follow_ups + len(shown) + 2)
    fresh = [p for p in candidates if not any(_same(searcher, p, h.passage, settings) for h in shown)]
    return tuple(fresh[: settings.max_follow_ups])


def _same(searcher: Searcher | None, a: Passage, b: Passage, settings: AnswerSettings) -> bool:
    """Two passages that say nearly the same (an FAQ answer and the paragraph it summarises)."""
    return searcher is not None and searcher.similarity(a, b) >= settings.duplicate_similarity


@dataclass(frozen=True)
class _Serving:
    """One loaded index with its searcher and reply cache: swapped whole on reload."""

    index: Index
    searcher: Searcher
    answer: Callable[[str, int], Reply]
    examples: Examples


class Assistant:
    """The whole question → reply path over the live index.

    With follow_live, each question first checks which build is live (one small file read)
    and switches to a newly published one; a question already running finishes on the index
    it started with, so no request ever mixes two indexes.
    """

    def __init__(self, index: Index, embedder: Embedder, settings: Settings, follow_live: bool = False):
        self.embedder = embedder
        self.settings = settings
        self.follow_live = follow_live
        self._reload_lock = threading.Lock()
        self._serving = self._serve(index)

    @classmethod
    def load(
        cls, settings: Settings, check_fresh: bool = True, which: str = CURRENT, follow_live: bool = False
    ) -> Assistant:
        index = load_index(settings.index_dir, settings.model_name, which)
        if check_fresh:
            require_fresh(index, settings.knowledge_dir)
        embedder = Embedder.from_settings(settings.model)
        return cls(index, embedder, settings, follow_live)

    @property
    def index(self) -> Index:
        return self._serving.index

    @property
    def searcher(self) -> Searcher:
        return self._serving.searcher

    @property
    def site(self) -> Site:
        return self.index.site

    def warm_up(self) -> None:
        """Load the model now rather than on the first visitor's question."""
        self.searcher.search("warm up", 1)

    def ask(self, question: str, k: int | None = None) -> Reply:
        serving = self.refresh() if self.follow_live else self._serving
        problem = self.input_problem(question)
        if problem:
            reply = Reply(question, False, serving.index.site.disclaimer, message=problem)
            # Even a message too long to search gets the notice; a flood is read only as far as a person would type.
            alarm = self._alarm_in_long(serving, question[: URGENT_SCAN_CHARS * self.settings.max_question_chars])
        else:
            depth = max(k or self.settings.top_k, self.settings.max_related + 1)
            reply = serving.answer(normalize_query(question).casefold(), depth)
            alarm = reply.alarm
        if alarm:
            reply = self._urgent(serving, reply, alarm)
        return replace(reply, question=question)

    def show(self, passage_id: str, question: str = "") -> Reply:
        """A reply quoting one passage chosen by the visitor (a "did you mean" or follow-up click)."""
        serving = self.refresh() if self.follow_live else self._serving
        passage = next((p for p in serving.index.passages if p.id == passage_id), None)
        if passage is None:  # the index changed since the choice was offered
            return Reply(question, False, serving.index.site.disclaimer, message=serving.index.site.fallback)
        hit = Hit(passage=passage, score=1.0, dense=1.0)
        follow_ups = _follow_ups(passage, [hit], serving.searcher, self.settings.answer)
        return Reply(
            question or passage.question or passage.heading,
            True,
            serving.index.site.disclaimer,
            passages=(hit,),
            confidence=1.0,
            follow_ups=follow_ups,
        )

    def _urgent(self, serving: _Serving, reply: Reply, alarm: Alarm) -> Reply:
        """The urgent notice, then only the passage on what to report: nothing else may draw the eye from it."""
        site = serving.index.site
        report = next(
            (p for p in serving.index.passages if site.urgent_passage and site.urgent_passage in p.text), None
        )
        passages = (Hit(passage=report, score=1.0, dense=1.0),) if report else ()
        notice = site.self_harm_notice if alarm.kind == SELF_HARM and site.self_harm_notice else site.urgent_notice
        return replace(
            reply,
            answered=bool(passages),
            passages=passages,
            notice=notice,
            message=None,
            choices=(),
            follow_ups=(),
            alarm=alarm,
        )

    def _alarm_in_long(self, serving: _Serving, message: str) -> Alarm | None:
        """The alarm a message too long to search raises, read in parts the model can take whole."""
        text = normalize_query(message)
        if not text:
            return None
        parts = _parts(text, URGENT_PART_WORDS)
        _, tokens = self.embedder.encode_with_tokens([p.casefold() for p in parts])
        for part, part_tokens in zip(parts, tokens, strict=True):
            alarm = self._alarm(serving, part, part.casefold(), part_tokens)
            if alarm:
                return alarm
        return None

    def _alarm(self, serving: _Serving, message: str, encoded: str, tokens) -> Alarm | None:
        """The alarm of a message, given the text that went through the model and its token vectors."""
        spans = self.embedder.token_spans(encoded) if len(tokens) else []
        meaning = by_meaning(encoded, serving.examples, tokens, spans, self.settings.urgent)
        return detect(message, serving.index.site, meaning, self.settings.urgent)

    def refresh(self) -> _Serving:
        """Switch to the live build if it changed since the last question; keep serving if it cannot load."""
        try:  # a damaged pointer or a build that does not load: answering goes on with what is loaded
            if live_build(self.settings.index_dir) in (None, self._serving.index.path.name):
                return self._serving
            with self._reload_lock:
                if live_build(self.settings.index_dir) != self._serving.index.path.name:
                    self._serving = self._serve(load_index(self.settings.index_dir, self.settings.model_name))
                    log.info("now serving index build %s", self._serving.index.path.name)
        except BotError as err:
            log.error("kept the index in use: %s", err)
        return self._serving

    def stale_files(self) -> list[str]:
        return stale_files(self.index, self.settings.knowledge_dir)

    def _serve(self, index: Index) -> _Serving:
        searcher = Searcher(index, self.embedder, self.settings.search)
        examples = stack_examples({name: getattr(index.site, name) for name in index.examples}, index.examples)

        def search_and_compose(query: str, depth: int) -> Reply:
            results = searcher.search(query, depth)
            reply = compose_reply(query, results, index.site, self.settings.answer, searcher)
            return replace(reply, alarm=self._alarm(serving, query, results.encoded, results.tokens))

        cached = lru_cache(maxsize=self.settings.answer_cache_size)(search_and_compose)
        serving = _Serving(index, searcher, cached, examples)
        return serving

    def input_problem(self, question: str) -> str | None:
        if len(question) > self.settings.max_question_chars:
            return TOO_LONG_MESSAGE.format(length=len(question), limit=self.settings.max_question_chars)
        if not normalize_query(question):
            return EMPTY_MESSAGE
        return None


# CommonMark lets a backslash escape any ASCII punctuation; entities keep HTML inert.
_LINE_BREAK = re.compile(r"\r\n?")
_LEADING_SPACE = re.compile(r"^[ \t]+", re.MULTILINE)  # four of them would make a line a code block
_MARKDOWN_PUNCTUATION = re.compile(r"([\\`*_{}\[\]()#+\-.!|~:=\"'$%^/?@,])")


def escape_markdown(text: str) -> str:
    """Show text exactly as written: no HTML, no emphasis, no links, no fake citations, no code blocks."""
    text = _LINE_BREAK.sub("\n", text)  # Markdown also breaks lines at a lone \r, which ^ would not see
    escaped = html.escape(_MARKDOWN_PUNCTUATION.sub(r"\\\1", text), quote=False)
    return _LEADING_SPACE.sub(lambda m: "&nbsp;" * len(m.group(0).expandtabs(4)), escaped)


def _quote(text: str) -> str:
    return "\n".join(f"> {escape_markdown(line)}" if line.strip() else ">" for line in text.split("\n"))


def _cited(hit: Hit) -> str:
    return f"{_quote(hit.passage.text)}\n\n<sub>Source: {escape_markdown(hit.passage.citation)}</sub>"


def render_markdown(reply: Reply) -> str:
    """The reply as the chat shows it."""
    parts = [f"**{escape_markdown(reply.notice)}**"] if reply.notice else []
    parts += [escape_markdown(reply.message)] if reply.message else []
    if reply.answer:
        parts.append(_cited(reply.answer))
    if reply.related:
        parts.append("**Related**")
        parts += [_cited(hit) for hit in reply.related]
    parts.append(f"<sub>*{escape_markdown(reply.disclaimer)}*</sub>")
    return "\n\n".join(parts)


def _parts(text: str, words: int) -> list[str]:
    """The text in runs of whole sentences of about `words` words (a longer sentence on its own)."""
    parts: list[str] = []
    for sentence in re.split(r"(?<=[.?!;\n])\s+", text):
        if parts and len(parts[-1].split()) + len(sentence.split()) <= words:
            parts[-1] = f"{parts[-1]} {sentence}"
        else:
            parts.append(sentence)
    return [p for p in parts if p.strip()]


def render_text(reply: Reply) -> str:
    """The reply for a terminal: plain text, citations on their own lines."""
    parts = [f"URGENT: {reply.notice}"] if reply.notice else []
    parts += [reply.message] if reply.message else []
    for number, hit in enumerate(reply.passages):
        label = "Answer" if number == 0 else "Related"
        parts.append(
            f"{label} (score {hit.score:.2f}):\n{hit.passage.text}\n  — {hit.passage.citation} [{hit.passage.location}]"
        )
    if reply.choices:
        parts.append("Did you mean:\n" + "\n".join(f"  - {p.heading}" for p in reply.choices))
    if reply.follow_ups:
        parts.append("You might also ask:\n" + "\n".join(f"  - {p.question}" for p in reply.follow_ups))
    parts.append(f"Disclaimer: {reply.disclaimer}")
    return "\n\n".join(parts)
