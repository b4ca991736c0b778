"""What a reply without an answer offers instead: the passages a misspelt question was after ("did you mean"),
or the documents' main topics to try. Nothing here writes text: both are passages of the documents."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from bot.config import AnswerSettings
from bot.knowledge import Passage, Site
from bot.search import Results
from bot.text import general_frequency, stopwords


@dataclass(frozen=True)
class Topic:
    """A main topic of the documents: a section's heading, and its first passage, quoted when it is chosen."""

    heading: str
    passage: Passage


def main_topics(passages: Iterable[Passage], site: Site, limit: int) -> tuple[Topic, ...]:
    """site.toml's `topics` in its order, or else the `limit` top-level sections with the most passages, in the
    documents' order (a document's title is no section: its headings start below it)."""
    passages = list(passages)
    if site.topics:
        found = (_first_under(passages, topic.strip()) for topic in site.topics)
        return tuple(topic for topic in found if topic is not None)
    sections = Counter((p.source.path, p.headings[0]) for p in passages if p.headings)
    largest = {section for section, _ in sections.most_common(limit)}
    chosen = [section for section in sections if section in largest]  # a Counter keeps the documents' order
    return tuple(topic for path, heading in chosen if (topic := _first_under(passages, heading, path)) is not None)


def _first_under(passages: list[Passage], heading: str, path: str | None = None) -> Topic | None:
    """The first passage under a heading (of one document, when path is given), with the heading as written."""
    wanted = heading.casefold()
    for passage in passages:
        if path is None or passage.source.path == path:
            for written in passage.headings:
                if written.casefold() == wanted:
                    return Topic(written, passage)
    return None


def near_misses(results: Results, vocabulary: list[str], settings: AnswerSettings) -> tuple[Passage, ...]:
    """The best passages under distinct headings when the question was turned away only by slips of the keys
    ("wat are the side efects"), or nothing: a question with a real word the documents lack gets no guess."""
    if not results.hits or not results.uncovered_words:
        return ()
    if not all(_is_slip(word, vocabulary, settings) for word in results.uncovered_words):
        return ()
    best = results.hits[0].score
    chosen: list[Passage] = []
    for hit in results.hits:
        if hit.score < best - settings.related_margin or len(chosen) == settings.max_choices:
            break
        if all(hit.passage.heading != p.heading for p in chosen):
            chosen.append(hit.passage)
    return tuple(chosen)


def _is_slip(word: str, vocabulary: list[str], settings: AnswerSettings) -> bool:
    """A word rare in English that is a letter or two from a word of the documents or a stopword ("wat")."""
    if general_frequency(word) >= settings.typo_max_zipf:
        return False
    known = [w for w in (*vocabulary, *stopwords()) if w != word]
    return process.extractOne(word, known, scorer=fuzz.ratio, score_cutoff=settings.near_miss_similarity) is not None
