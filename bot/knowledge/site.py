"""site.toml: the fixed texts the assistant shows (title, fallback, disclaimer, urgent notice...), read and
checked, and completed from the documents (the disclaimer section, the banner)."""

from __future__ import annotations

import re
import tomllib
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from pathlib import Path

import tomlkit

from bot.atomic import held_lock, write_atomically
from bot.knowledge.markdown import HEADING
from bot.knowledge.passage import Passage, Problem
from bot.text import WORD, sentences

SITE_FILE = "site.toml"


@dataclass(frozen=True)
class Contact:
    """How to reach the clinic, as site.toml gives it; shown with a reply the documents cannot answer."""

    phone: str = ""
    email: str = ""
    page: str = ""  # the address of a contact page


@dataclass(frozen=True)
class Site:
    """Fixed texts the assistant shows; written once by people, never generated."""

    title: str = "Ask our documents"
    description: str = "Answers are quoted word for word from our documents, with their source."
    fallback: str = "I have no answer to that in our documents. Please try other words, or contact us directly."
    disclaimer: str = "These answers are quotations from our documents, not professional advice."
    disclaimer_section: str = ""
    banner: str = ""  # the short notice above the chat; empty means the disclaimer's first sentence
    examples: tuple[str, ...] = ()
    # A message that describes an emergency gets urgent_notice first, then the passage containing urgent_passage
    # (for example the one listing reactions to report at once); see bot/urgent.py for how one is recognised:
    # a phrase of urgent_phrases, a message close in meaning to urgent_examples rather than to not_urgent_examples,
    # a temperature of urgent_fever_celsius or more (0: no such rule), an oxygen saturation below urgent_oxygen_below
    # percent (0: no such rule), a blood pressure whose upper number is below urgent_systolic_below (0: no such rule),
    # a Glasgow coma score below urgent_coma_score_below (0: no such rule), or urgent_pill_count pills or more taken
    # now (0: no such rule). Self-harm has
    # phrases and examples of its own, and self_harm_notice when the site has one (a crisis line, say); otherwise
    # urgent_notice.
    urgent_notice: str = ""
    urgent_phrases: tuple[str, ...] = ()
    urgent_passage: str = ""
    urgent_examples: tuple[str, ...] = ()
    not_urgent_examples: tuple[str, ...] = ()
    urgent_fever_celsius: float = 0.0
    urgent_oxygen_below: float = 0.0
    urgent_systolic_below: float = 0.0
    urgent_coma_score_below: float = 0.0
    urgent_pill_count: float = 0.0  # this many of something taken or swallowed now is an overdose (0: no such rule)
    self_harm_notice: str = ""
    self_harm_phrases: tuple[str, ...] = ()
    self_harm_examples: tuple[str, ...] = ()
    emergency_contact: str = ""  # shown with the urgent notice when set: whom to call, as the site gives it
    # Shown with the fallback when set; empty by default, since no number or address is invented.
    contact_phone: str = ""
    contact_email: str = ""
    contact_page: str = ""
    # Headings of sections offered as buttons with the fallback; empty: the sections with the most passages.
    topics: tuple[str, ...] = ()

    @property
    def contact(self) -> Contact | None:
        """The clinic's contact details, or None when site.toml gives none."""
        contact = Contact(self.contact_phone.strip(), self.contact_email.strip(), self.contact_page.strip())
        return contact if contact != Contact() else None


_TOML_WHERE = re.compile(r"\s*\(at (?:line (\d+), column (\d+)|end of document)\)$")


def toml_problem(file: str, err: tomllib.TOMLDecodeError, text: str) -> Problem:
    """A TOML syntax error at its own line, which tomllib gives only inside its message (3.11 has no lineno);
    "at end of document" (an unclosed array, a key set twice) points at the last line."""
    reason = str(err)
    where = _TOML_WHERE.search(reason)
    if not where:
        return Problem(file, 1, f"is not valid TOML ({reason}); fix it and run again", "error")
    reason = reason[: where.start()]
    if where.group(1) is None:
        line = max(1, len(text.splitlines()))
        return Problem(file, line, f"is not valid TOML ({reason}, found at the end of the file); fix it", "error")
    line, column = int(where.group(1)), int(where.group(2))
    return Problem(file, line, f"is not valid TOML ({reason}, column {column}); fix this line", "error")


def load_site(folder: Path) -> tuple[Site, list[Problem]]:
    """The folder's site.toml, or the generic texts when there is none."""
    path = folder / SITE_FILE
    if not path.is_file():
        missing = f"no {SITE_FILE}: the generic title, fallback and disclaimer are used; add one to set them"
        return Site(), [Problem(SITE_FILE, 1, missing)]
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return Site(), [Problem(SITE_FILE, 1, "not valid UTF-8; save the file as UTF-8", "error")]
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        return Site(), [toml_problem(SITE_FILE, err, text)]
    known = set(Site.__dataclass_fields__)
    unknown = sorted(set(data) - known)
    problems = [Problem(SITE_FILE, 1, f"unknown setting {key!r}; known: {', '.join(sorted(known))}") for key in unknown]
    values: dict[str, str | float | tuple[str, ...]] = {}
    for key in sorted(known & set(data)):
        value, wanted = data[key], getattr(Site(), key)
        if isinstance(wanted, tuple) and isinstance(value, list) and all(isinstance(e, str) for e in value):
            values[key] = tuple(value)
        elif isinstance(wanted, str) and isinstance(value, str):
            values[key] = value
        elif isinstance(wanted, float) and _is_number(value) and value >= 0:
            values[key] = float(value)
        else:
            form = {tuple: f'{key} = ["...", "..."]', float: f"{key} = 38.0 (a number, 0 or more)"}.get(
                type(wanted), f'{key} = "..."'
            )
            problems.append(Problem(SITE_FILE, _line_of(path, key), f"{key} must be written as {form}", "error"))
    return Site(**values), problems


def add_example(folder: Path, key: str, message: str) -> bool:
    """Add a message to one of site.toml's example lists (urgent_examples, …), keeping the file's comments and
    layout; False when it is already there."""
    path = Path(folder) / SITE_FILE
    with one_writer(path):
        document = tomlkit.parse(path.read_text(encoding="utf-8")) if path.is_file() else tomlkit.document()
        examples = document.setdefault(key, tomlkit.array())
        if any(" ".join(str(e).casefold().split()) == " ".join(message.casefold().split()) for e in examples):
            return False
        examples.append(message)
        write_atomically(path, tomlkit.dumps(document))
    return True


def one_writer(path: Path) -> AbstractContextManager[None]:
    """Hold a file's lock from reading it to writing it back: two staff changing it at once (two console sessions,
    or the console and `bot teach`) each wrote back what they had read, and the later lost the other's change. The
    lock file's name starts with '.', so it is no document."""
    return held_lock(path.with_name(f".{path.name}.lock"))


def _example_problems(site: Site, path: Path) -> list[Problem]:
    """Blank example messages stop the build; one message given as both urgent and not urgent is a warning."""
    problems = []
    for key in ("urgent_examples", "self_harm_examples", "not_urgent_examples"):
        if any(not WORD.search(example) for example in getattr(site, key)):
            problems.append(Problem(SITE_FILE, _line_of(path, key), f"{key} has a blank message; remove it", "error"))
    urgent = {e.casefold().strip() for e in site.urgent_examples + site.self_harm_examples}
    for example in site.not_urgent_examples:
        if example.casefold().strip() in urgent:
            where = _line_of(path, "not_urgent_examples")
            problems.append(Problem(SITE_FILE, where, f"{example!r} is given as both urgent and not urgent; keep one"))
    return problems


_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def _contact_problems(site: Site, path: Path) -> list[Problem]:
    """A contact address that a link cannot be made of stops the build, rather than showing a broken link."""
    wrong = {
        "contact_email": site.contact_email.strip() and not _EMAIL.fullmatch(site.contact_email.strip()),
        "contact_page": site.contact_page.strip() and not site.contact_page.strip().startswith(("https://", "http://")),
    }
    fix = {"contact_email": 'an address such as "info@example.org"', "contact_page": "an address starting https://"}
    return [
        Problem(SITE_FILE, _line_of(path, key), f"{key} must be {fix[key]}", "error") for key in wrong if wrong[key]
    ]


def _topic_problems(site: Site, passages: list[Passage], path: Path) -> list[Problem]:
    """Each topic must name a heading of the documents, or its button would lead nowhere."""
    headings = {h.casefold() for p in passages for h in p.headings}
    return [
        Problem(
            SITE_FILE, _line_of(path, "topics"), f"topic {t!r} is no heading of the documents; copy a heading", "error"
        )
        for t in site.topics
        if t.strip().casefold() not in headings
    ]


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _line_of(path: Path, key: str) -> int:
    """The line where a TOML key is set, for pointing at it (1 when not found)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return next((n for n, line in enumerate(lines, 1) if line.split("=")[0].strip() == key), 1)


def _required_texts(site: Site) -> list[Problem]:
    """Every reply shows the disclaimer, and a question without an answer the fallback: neither may be blank."""
    fix = {"disclaimer": "set disclaimer, or disclaimer_section to the heading of the disclaimer's section"}
    fix["fallback"] = "set fallback to what a visitor reads when the documents have no answer"
    return [
        Problem(SITE_FILE, 1, f"the {key} is empty; {how}", "error")
        for key, how in fix.items()
        if not getattr(site, key).strip()
    ]


def complete_site(site: Site, passages: list[Passage], path: Path) -> tuple[list[Passage], Site, list[Problem]]:
    """Take the disclaimer section out of the answers, fill in the banner, and check the texts every reply
    needs, the example messages, and the urgent passage against the passages."""
    passages, site, problems = _take_disclaimer(passages, site, path.parent)
    site = _with_banner(site)
    problems += _required_texts(site) + _example_problems(site, path) + _contact_problems(site, path)
    problems += _topic_problems(site, passages, path)
    if site.urgent_passage and not any(site.urgent_passage in p.text for p in passages):
        problems.append(
            Problem(
                SITE_FILE,
                1,
                f"urgent_passage {site.urgent_passage!r} is in no passage; copy a "
                "phrase of the passage to show with the urgent notice",
                "error",
            )
        )
    return passages, site, problems


def _take_disclaimer(passages: list[Passage], site: Site, folder: Path) -> tuple[list[Passage], Site, list[Problem]]:
    """Move the section named by site.disclaimer_section out of the answers and into site.disclaimer; it must be
    in one document."""
    wanted = site.disclaimer_section.strip().casefold()
    if not wanted:
        return passages, site, []
    chosen = [p for p in passages if p.headings and p.headings[-1].casefold() == wanted]
    if not chosen:
        return (
            passages,
            site,
            [
                Problem(
                    SITE_FILE,
                    1,
                    f"disclaimer_section {site.disclaimer_section!r} is not a heading in any document; "
                    "fix the name or add that section",
                    "error",
                )
            ],
        )
    documents = list(dict.fromkeys(p.source.path for p in chosen))
    if len(documents) > 1:
        # Joined, a partner leaflet's own "Medical disclaimer" replaced the site's first sentence under every reply.
        places = ", ".join(f"{path}:{_heading_line(folder / path, chosen, path)}" for path in documents)
        message = (
            f"disclaimer_section {site.disclaimer_section!r} is a heading in {len(documents)} documents ({places}); "
            "the disclaimer must come from one: rename that heading in the others (their text is then quoted "
            "as answers), or remove those sections"
        )
        line = _line_of(folder / SITE_FILE, "disclaimer_section")
        return passages, site, [Problem(SITE_FILE, line, message, "error")]
    rest = [p for p in passages if p not in chosen]
    disclaimer = "\n\n".join(p.text for p in chosen)
    return rest, replace(site, disclaimer=disclaimer), []


def _heading_line(path: Path, chosen: list[Passage], rel: str) -> int:
    """The line of the heading above a document's first passage of the disclaimer section."""
    first = min(p.line for p in chosen if p.source.path == rel)
    lines = path.read_text(encoding="utf-8").splitlines()[: first - 1]
    return next((n for n in range(len(lines), 0, -1) if HEADING.match(lines[n - 1])), first)


def _with_banner(site: Site) -> Site:
    if site.banner:
        return site
    first = sentences(site.disclaimer)
    return replace(site, banner=first[0] if first else site.disclaimer)
