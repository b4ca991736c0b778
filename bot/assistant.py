"""The question → reply service over the live index: loading, telling staff when knowledge/ changed since the
build being served, switching to a newly published build, the reply cache and urgent messages. The chat, the
console and the CLI all ask through it."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

from bot.answer import Reply, compose_reply, fallback_reply, follow_ups_for
from bot.batching import expecting
from bot.config import Settings
from bot.embedding import Embedder, SentenceEmbedder
from bot.errors import BotError
from bot.fallback import Topic, main_topics
from bot.index import CURRENT, Index, live_build, load_index, stale_files, stale_warning
from bot.knowledge import Site
from bot.other_languages import ExampleVectors, across_languages, example_vectors
from bot.redact import clean_text
from bot.search import Hit, Searcher, normalize_query
from bot.urgent import SELF_HARM, Alarm, Examples, by_meaning, detect, ruled_out, stack_examples

log = logging.getLogger(__name__)

EMPTY_MESSAGE = "Please type a question, for example one of the examples shown."
TOO_LONG_MESSAGE = "Your message is {length:,} characters long; please ask in at most {limit:,} characters."
URGENT_SCAN_CHARS = 10  # × max_question_chars of a message read for urgent phrases
URGENT_PART_WORDS = 120  # a message too long to search is read for an emergency in parts of about this many words


@dataclass(frozen=True)
class _Serving:
    """One loaded index with its searcher and reply cache: swapped whole on reload."""

    index: Index
    searcher: Searcher
    answer: Callable[[str, int], Reply]
    examples: Examples
    topics: tuple[Topic, ...]  # offered with the fallback
    other_languages: ExampleVectors | None  # the examples as the multilingual model reads them (None: not read)


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
        cls,
        settings: Settings,
        warn_stale: bool = True,
        which: str = CURRENT,
        follow_live: bool = False,
        embedder: Embedder | None = None,
    ) -> Assistant:
        """The assistant over a build; embedder: the model to ask through (by default the configured one).

        A build missing, damaged or made by other model files is refused with what to run. One older than the
        knowledge folder is served all the same, as published, with a warning in the log when warn_stale:
        visitors keep their answers while staff edit, stage and publish."""
        # Not loaded yet: its fingerprint reads the model's files.
        embedder = embedder or SentenceEmbedder.from_settings(settings.model)
        assistant = cls(load_index(settings.index_dir, embedder, which), embedder, settings, follow_live)
        if warn_stale:
            assistant.warn_if_stale()
        return assistant

    @property
    def visitor_depth(self) -> int:
        """How many passages a visitor's reply is chosen from: the answer, related ones and "did you mean"."""
        return max(self.settings.top_k, self.settings.max_related + 1)

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
        """The reply a visitor gets, whatever k; its ranking, for staff, lists at least k passages (default top_k)."""
        question = clean_text(question)  # a lone surrogate can be neither stored nor printed, nor sent as JSON
        with expecting(self.embedder):  # a batching embedder's next pass may wait for this question (bot/batching.py)
            return self._ask(question, k)

    def _ask(self, question: str, k: int | None) -> Reply:
        serving = self.refresh() if self.follow_live else self._serving
        problem = self.input_problem(question)
        if problem:
            reply = Reply(question, False, serving.index.site.disclaimer, message=problem)
            # Even a message too long to search gets the notice; a flood is read only as far as a person would type.
            alarm = self._alarm_in_long(serving, question[: URGENT_SCAN_CHARS * self.settings.max_question_chars])
        else:
            reply = serving.answer(normalize_query(question).casefold(), max(k or 0, self.visitor_depth))
            alarm = reply.alarm
        if alarm:
            reply = self._urgent(serving, reply, alarm)
        return replace(reply, question=question)

    def urgent_reply(self, question: str) -> Reply | None:
        """The urgent reply to a message that is not searched (its client is over its questions per minute), by the
        rules that need no pass through the model: a phrase, a temperature, an overdose. None for any other."""
        question = clean_text(question)
        serving = self._serving
        message = normalize_query(question[: URGENT_SCAN_CHARS * self.settings.max_question_chars]).casefold()
        alarm = detect(message, serving.index.site, None)
        return self._urgent(serving, Reply(question, False, serving.index.site.disclaimer), alarm) if alarm else None

    def show(self, passage_id: str, question: str = "") -> Reply:
        """A reply quoting one passage chosen by the visitor (a "did you mean" or follow-up click)."""
        serving = self.refresh() if self.follow_live else self._serving
        passage = next((p for p in serving.index.passages if p.id == passage_id), None)
        if passage is None:  # the index changed since the choice was offered
            return fallback_reply(question, serving.index.site, serving.topics)
        hit = Hit(passage=passage, score=1.0, dense=1.0)
        follow_ups = follow_ups_for(passage, [hit], serving.searcher, self.settings.answer)
        return Reply(
            question or passage.question or passage.heading,
            True,
            serving.index.site.disclaimer,
            passages=(hit,),
            confidence=1.0,
            follow_ups=follow_ups,
        )

    def _urgent(self, serving: _Serving, reply: Reply, alarm: Alarm) -> Reply:
        """The urgent notice, then only the passage on what to report (not to a message of self-harm: it speaks of
        reactions to treatment): nothing else may draw the eye from it."""
        site = serving.index.site
        wanted = site.urgent_passage if alarm.kind != SELF_HARM else ""
        report = next((p for p in serving.index.passages if wanted and wanted in p.text), None)
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
            topics=(),
            contact=None,
            alarm=alarm,
            emergency_contact=site.emergency_contact.strip() or None,
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
        site = serving.index.site
        settings = self.settings.urgent
        left_out = ruled_out(encoded, site)
        meaning = by_meaning(encoded, serving.examples, tokens, spans, settings, left_out)
        if serving.other_languages and not (meaning and meaning.margin >= meaning.needed):
            # the visitor's own words: a spelling correction leans toward the documents' English
            said = left_out if message == encoded else ruled_out(message, site)
            meaning = across_languages(message, serving.other_languages, settings, said) or meaning
        return detect(message, site, meaning)

    def refresh(self) -> _Serving:
        """Switch to the live build if it changed since the last question; keep serving if it cannot load."""
        try:  # a damaged pointer or a build that does not load: answering goes on with what is loaded
            if live_build(self.settings.index_dir) in (None, self._serving.index.path.name):
                return self._serving
            with self._reload_lock:
                if live_build(self.settings.index_dir) != self._serving.index.path.name:
                    self._serving = self._serve(load_index(self.settings.index_dir, self.embedder))
                    log.info("now serving index build %s", self._serving.index.path.name)
                    self.warn_if_stale()
        except BotError as err:
            log.error("kept the index in use: %s", err)
        return self._serving

    def stale_files(self) -> list[str]:
        """Knowledge files added, removed or changed since the build being served."""
        return stale_files(self.index, self.settings.knowledge_dir)

    def warn_if_stale(self) -> list[str]:
        """Log a warning for staff when the build being served is older than the knowledge folder; the files."""
        folder = self.settings.knowledge_dir
        if not Path(folder).is_dir():  # a mistyped --knowledge: every file would look removed
            log.warning(
                f"{folder}/ does not exist, so the live index (build {self.index.path.name}) cannot be compared with "
                "the knowledge folder; pass --knowledge DIR (or set BOT_KNOWLEDGE_DIR) to the folder it was built from"
            )
            return []
        try:
            changed = self.stale_files()
        except OSError as err:  # a file being written or unreadable: the build still serves
            log.warning("could not compare the knowledge folder with the live index: %s", err)
            return []
        if changed:
            log.warning(stale_warning(self.index, self.settings.knowledge_dir, changed))
        return changed

    def _serve(self, index: Index) -> _Serving:
        searcher = Searcher(index, self.embedder, self.settings.search)
        texts = {name: getattr(index.site, name) for name in index.examples}
        examples = stack_examples(texts, index.examples)
        wanted = texts and self.settings.urgent.other_languages
        other_languages = example_vectors(texts, self.settings.calm_messages) if wanted else None
        topics = main_topics(index.passages, index.site, self.settings.max_topics)

        def search_and_compose(query: str, depth: int) -> Reply:
            """One search as deep as asked, and at least as deep as the rerank; the reply from its first
            visitor_depth hits and the further parts of their entries (Searcher.with_further_parts), which
            a deeper search never changes (Searcher.search), so staff asking for more see the visitor's reply."""
            results = searcher.search(query, max(depth, self.settings.search.rerank_depth))
            shown = replace(results, hits=searcher.with_further_parts(results.hits, self.visitor_depth))
            reply = compose_reply(query, shown, index.site, self.settings.answer, searcher, topics)
            alarm = self._alarm(serving, query, results.encoded, results.tokens)
            if alarm is None and results.corrections:
                # A correction toward the documents' words can change what the visitor said ("seeing things" →
                # "seeking things"): the urgent check reads their own words too, encoded in the search's own pass.
                alarm = self._alarm(serving, query, query, results.typed_tokens)
            return replace(reply, ranking=tuple(results.hits[:depth]), alarm=alarm)

        cached = lru_cache(maxsize=self.settings.answer_cache_size)(search_and_compose)
        serving = _Serving(index, searcher, cached, examples, topics, other_languages)
        return serving

    def input_problem(self, question: str) -> str | None:
        if len(question) > self.settings.max_question_chars:
            return TOO_LONG_MESSAGE.format(length=len(question), limit=self.settings.max_question_chars)
        if not normalize_query(question):
            return EMPTY_MESSAGE
        return None


def _parts(text: str, words: int) -> list[str]:
    """The text in runs of whole sentences of about `words` words (a longer sentence on its own)."""
    parts: list[str] = []
    for sentence in re.split(r"(?<=[.?!;\n])\s+", text):
        if parts and len(parts[-1].split()) + len(sentence.split()) <= words:
            parts[-1] = f"{parts[-1]} {sentence}"
        else:
            parts.append(sentence)
    return [p for p in parts if p.strip()]
