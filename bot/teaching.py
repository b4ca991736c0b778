"""Teaching from questions: lines of the evaluate format become phrasings of the passages that answer them, or
"not answered here" questions, written into the knowledge folder's phrasings.toml (`python -m bot teach`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from bot.evaluate import CASE_FORMAT, Case, holds
from bot.knowledge import Passage
from bot.knowledge.phrasings import PhrasingsFile, reference
from bot.text import counted, listed


@dataclass(frozen=True)
class Lesson:
    """What became of one question: the passages it was taught to, those it already was, or why it was skipped."""

    question: str
    added: tuple[str, ...] = ()  # references of the passages it is now taught to ("not answered here" for None)
    already: tuple[str, ...] = ()
    skipped: str = ""  # why nothing could be taught
    unsure: str = ""  # the expected text is in more passages than the one taught: which, for staff to check
    instead: str = ""  # what it was before and is no longer: taught to passages, or marked not answered here
    where: str = ""  # the file:line of its question, when it came from a file


NOT_ANSWERED = "not answered here"


def answering(passages: list[Passage], expected: str) -> list[Passage]:
    """The passages evaluate counts as right for an expected string: those whose text holds it, else the first
    passage of each section whose heading holds it."""
    in_text = [p for p in passages if expected.casefold() in p.text.casefold()]
    if in_text:
        return in_text
    sections: dict[tuple, Passage] = {}
    for passage in passages:
        if holds(passage, expected):
            sections.setdefault((passage.source.path, passage.headings), passage)
    return list(sections.values())


def teach_cases(folder: Path, cases: list[Case], passages: list[Passage], longest: int | None = None) -> list[Lesson]:
    """Teach each case; one longer than `longest` characters (the longest question a visitor may ask) is skipped."""
    with PhrasingsFile(folder) as phrasings:
        return [replace(teach_case(phrasings, case, passages, longest), where=case.where) for case in cases]


def teach_case(phrasings: PhrasingsFile, case: Case, passages: list[Passage], longest: int | None = None) -> Lesson:
    if longest is not None and len(case.question) > longest:
        return Lesson(case.question, skipped=too_long(case.question, longest))
    if not case.ranked:
        return Lesson(case.question, skipped='an "urgent" line without "expect" says nothing of passages')
    if case.expect is None:
        done = phrasings.decide(case.question, None, passages)
        instead = f"taught to {counted(done.replaced, 'passage')}" if done.replaced else ""
        added = done.added
        return Lesson(
            case.question, (NOT_ANSWERED,) if added else (), () if added else (NOT_ANSWERED,), instead=instead
        )
    found = [(e, answering(passages, e)) for e in case.expect]
    missing = [e for e, holding in found if not holding]
    expected, holding = next(((e, f) for e, f in found if f), ("", []))  # one answer: the first expected text's
    if not holding:
        shown = ", ".join(repr(e) for e in missing) or "nothing"
        return Lesson(case.question, skipped=f"the expected text {shown} is in no passage")
    taught = reference(holding[0])
    done = phrasings.decide(case.question, holding[0], passages)
    added, instead = done.added, NOT_ANSWERED if done.replaced else ""
    unsure = ""
    # evaluate counts each of them right; visitors are shown the one taught. Each other place is named once, and a
    # long paragraph's other parts (which share its line) as such: the part taught may not be the one meant.
    own = holding[0].location
    others = [
        f"{at} (another part of its paragraph)" if at == own else at
        for at in dict.fromkeys(p.location for p in holding[1:])
    ]
    if others:
        where = listed(others, 3)
        unsure = f"{expected!r} is also in {where}: quote more of the passage you mean if it is not that one"
    return Lesson(case.question, (taught,) if added else (), () if added else (taught,), unsure=unsure, instead=instead)


def too_long(question: str, longest: int) -> str:
    """Why a question is not taught, here and in the console: no visitor's question could match it."""
    return f"{len(question):,} characters; a visitor may ask {longest:,} at most, so none would match it"


def report(lessons: list[Lesson], bad_lines: Sequence[str] = ()) -> str:
    """What was taught, already there and skipped, a line each, then the counts; bad_lines: file:line of each line
    that was no question (skipped too)."""
    lines = []
    for lesson in lessons:
        question = _shown(lesson.question)
        lines += [f"added: {question} → {ref}" for ref in lesson.added]
        lines += [f"already there: {question} → {ref}" for ref in lesson.already]
        where = f"{lesson.where}: " if lesson.where else ""  # a skip is for staff to mend: where its line is
        lines += [f"skipped: {where}{question}: {lesson.skipped}"] if lesson.skipped else []
        lines += [f"  check: {lesson.unsure}"] if lesson.unsure else []
        lines += [f"  no longer {lesson.instead}"] if lesson.instead else []
    lines += [f"skipped: {listed(bad_lines, 10)}: {CASE_FORMAT}"] if bad_lines else []  # the format said once
    added = sum(len(lesson.added) for lesson in lessons)
    already = sum(len(lesson.already) for lesson in lessons)
    skipped = sum(1 for lesson in lessons if lesson.skipped) + len(bad_lines)
    lines.append(f"{added} taught, {already} already there, {skipped} skipped.")
    return "\n".join(lines)


def _shown(question: str, most: int = 200) -> str:
    """The question as Python writes it, cut short: a 200,000-character line is not printed whole."""
    return repr(question if len(question) <= most else question[: most - 1] + "…")
