"""Answer stage: ranked passages → a reply of quoted, cited passages with the disclaimer.

Nothing here writes new sentences: a reply holds passages from the knowledge folder,
or one of the fixed texts of site.toml, always with the disclaimer.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.config import AnswerSettings
from bot.fallback import Topic, near_misses
from bot.knowledge import Passage, Site
from bot.knowledge.site import Contact
from bot.search import NO_CONFIDENCE, Hit, Results, Searcher
from bot.urgent import Alarm


@dataclass(frozen=True)
class Reply:
    question: str
    answered: bool
    disclaimer: str
    passages: tuple[Hit, ...] = ()  # the answer first, then related passages
    message: str | None = None  # the fallback, or what was wrong with the question
    ranking: tuple[Hit, ...] = field(default=(), repr=False)  # everything considered, in rank order
    confidence: float = NO_CONFIDENCE
    notice: str | None = None  # the urgent notice, shown before anything else
    choices: tuple[Passage, ...] = ()  # "did you mean": close matches not shown, or what a misspelt question meant
    follow_ups: tuple[Passage, ...] = ()  # neighbouring FAQ entries worth asking next
    alarm: Alarm | None = None  # why the message got the urgent notice, for staff
    topics: tuple[Topic, ...] = ()  # with the fallback: the documents' main topics, to try instead
    contact: Contact | None = None  # with the fallback: how to reach the clinic, when site.toml says
    emergency_contact: str | None = None  # with the urgent notice: whom to call, when site.toml says
    uncovered_words: tuple[str, ...] = ()  # the question's words the documents do not cover, for staff
    corrections: dict[str, str] = field(default_factory=dict)  # misspelt word → the document word read, for staff

    @property
    def answer(self) -> Hit | None:
        return self.passages[0] if self.answered else None

    @property
    def related(self) -> tuple[Hit, ...]:
        return self.passages[1:]

    def to_dict(self, ranking: int = 0) -> dict:
        """The JSON form: the passages shown (none on a fallback), each citing its document by title and URL.
        The staff form (ranking > 0) cites file:line instead and adds the confidence and that many of the passages
        considered, best first, even when all were rejected."""
        staff = ranking > 0
        data = {
            "question": self.question,
            "answered": self.answered,
            "passages": [_hit_dict(h, staff) for h in self.passages],
            "message": self.message,
            "notice": self.notice,
            "choices": [{"id": p.id, "heading": p.heading} for p in self.choices],
            "follow_ups": [{"id": p.id, "question": p.question} for p in self.follow_ups],
            "topics": [{"id": t.passage.id, "heading": t.heading} for t in self.topics],
            "contact": vars(self.contact).copy() if self.contact else None,
            "emergency_contact": self.emergency_contact,
            "disclaimer": self.disclaimer,
        }
        if staff:
            data["confidence"] = None if self.confidence == NO_CONFIDENCE else round(self.confidence, 4)
            data["ranking"] = [_hit_dict(h, staff) for h in self.ranking[:ranking]]
            data["urgent_because"] = str(self.alarm) if self.alarm else None
        return data


def _hit_dict(hit: Hit, staff: bool) -> dict:
    """One passage as JSON; `source` is file:line for staff, the document's title (and URL when known) for
    visitors, who have no use for the server's file names."""
    p = hit.passage
    public = f"{p.source.title} ({p.source.url})" if p.source.url else p.source.title
    return {
        "id": p.id,
        "text": p.text,
        "title": p.source.title,
        "heading": p.heading,
        "source": p.location if staff else public,
        "url": p.source.url,
        "credit": p.source.credit,
        "score": round(hit.score, 4),
    }


def compose_reply(
    question: str,
    results: Results,
    site: Site,
    settings: AnswerSettings,
    searcher: Searcher | None = None,
    topics: tuple[Topic, ...] = (),
) -> Reply:
    """Answer with the best passage if confident enough, plus close runners-up as related.

    A runner-up that says nearly the same as a passage already shown (an FAQ answer and the
    body paragraph it summarises) is folded away, so "Related" adds information. Passages
    under other headings that score almost as high as the best, and are not shown, are offered
    as "did you mean". Without an answer: the fallback, with what a misspelt question was after
    or else the main topics, and the contact details.
    """
    ranking = tuple(results.hits)
    confident = bool(ranking) and results.confidence >= settings.min_confidence
    if not confident or results.not_answered or unrelated(ranking, settings):
        vocabulary = searcher.index.vocabulary if searcher else []
        # A question staff marked as not answered here gets no guess at what it meant.
        guesses = () if results.not_answered else near_misses(results, vocabulary, settings)
        return fallback_reply(question, site, topics, guesses, results)
    best = ranking[0]
    shown = [best]
    # best first: where entries come first (SearchSettings.entries_first), an answer's next part may follow others
    for hit in sorted(ranking[1:], key=lambda h: -h.score):
        if len(shown) > settings.max_related or hit.score < best.score - settings.related_margin:
            break
        if searcher and any(
            searcher.similarity(hit.passage, s.passage) >= settings.duplicate_similarity for s in shown
        ):
            continue
        shown.append(hit)
    follow_ups = follow_ups_for(best.passage, shown, searcher, settings)
    on_screen = [h.passage for h in shown] + list(follow_ups)
    choices = tuple(
        p for p in _choices(ranking, settings, searcher) if not any(_is(searcher, p, s, settings) for s in on_screen)
    )
    return Reply(
        question,
        True,
        site.disclaimer,
        passages=tuple(shown),
        ranking=ranking,
        confidence=results.confidence,
        choices=choices,
        follow_ups=follow_ups,
        uncovered_words=results.uncovered_words,
        corrections=results.corrections,
    )


def unrelated(ranking: tuple[Hit, ...], settings: AnswerSettings) -> bool:
    """Whether the best passage is unrelated in meaning to the question (its cosine under min_answer_similarity),
    whatever the confidence: it is then not shown."""
    return bool(ranking) and ranking[0].dense < settings.min_answer_similarity


def fallback_reply(
    question: str,
    site: Site,
    topics: tuple[Topic, ...],
    choices: tuple[Passage, ...] = (),
    results: Results | None = None,
) -> Reply:
    """The fixed fallback, with the contact details, and "did you mean" choices or else the topics to try."""
    return Reply(
        question,
        False,
        site.disclaimer,
        message=site.fallback,
        ranking=tuple(results.hits) if results else (),
        confidence=results.confidence if results else NO_CONFIDENCE,
        choices=choices,
        topics=() if choices else topics,
        contact=site.contact,
        uncovered_words=results.uncovered_words if results else (),
        corrections=results.corrections if results else {},
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


def follow_ups_for(
    answer: Passage, shown: list[Hit], searcher: Searcher | None, settings: AnswerSettings
) -> tuple[Passage, ...]:
    """FAQ entries worth asking after the answer, none saying the same as a passage shown."""
    if searcher is None:
        return ()
    exclude = {h.passage.id for h in shown}
    candidates = searcher.neighbouring_questions(answer, exclude, settings.max_follow_ups + len(shown) + 2)
    fresh = [p for p in candidates if not any(_same(searcher, p, h.passage, settings) for h in shown)]
    return tuple(fresh[: settings.max_follow_ups])


def _is(searcher: Searcher | None, a: Passage, b: Passage, settings: AnswerSettings) -> bool:
    """The same passage, or one saying nearly the same: offering it again would repeat what is on screen."""
    return a.id == b.id or _same(searcher, a, b, settings)


def _same(searcher: Searcher | None, a: Passage, b: Passage, settings: AnswerSettings) -> bool:
    """Two passages that say nearly the same (an FAQ answer and the paragraph it summarises)."""
    return searcher is not None and searcher.similarity(a, b) >= settings.duplicate_similarity
