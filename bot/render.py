"""The two renderings of a reply: Markdown for the chat, plain text for the terminal. Both show the quoted text
exactly as written.

The chat's Markdown carries a few HTML blocks that Gradio's sanitiser keeps (it allows `div`, `p`, `details`,
`summary`, `a` and the `role` and `class` attributes, and drops the rest): the urgent notice as an alert, the
one-line citations, the folded related passages and the disclaimer. Text inside them is HTML-escaped, since
Markdown is not read inside an HTML block; everything else is escaped Markdown."""

from __future__ import annotations

import html
import re
from functools import lru_cache

from bot.answer import Reply
from bot.knowledge import Passage
from bot.knowledge.site import Contact
from bot.search import Hit
from bot.text import sentences

# CommonMark lets a backslash escape any ASCII punctuation; entities keep HTML inert.
_LINE_BREAK = re.compile(r"\r\n?")
_LEADING_SPACE = re.compile(r"^[ \t]+", re.MULTILINE)  # four of them would make a line a code block
_MARKDOWN_PUNCTUATION = re.compile(r"([\\`*_{}\[\]()#+\-.!|~:=\"'$%^/?@,])")
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n\s*")
_LIST_ITEM = re.compile(r"^([ \t]*)([-*+]|\d{1,9}[.)])[ \t]+(\S.*)$")  # the splitter's list items, and nested ones

URGENT_CLASS = "urgent-notice"
CITATION_CLASS = "citation"
DISCLAIMER_CLASS = "reply-disclaimer"
FULL_DISCLAIMER = "Read the full disclaimer"


def escape_markdown(text: str) -> str:
    """Show text exactly as written: no HTML, no emphasis, no links, no fake citations, no code blocks."""
    text = _LINE_BREAK.sub("\n", text)  # Markdown also breaks lines at a lone \r, which ^ would not see
    escaped = html.escape(_MARKDOWN_PUNCTUATION.sub(r"\\\1", text), quote=False)
    return _LEADING_SPACE.sub(lambda m: "&nbsp;" * len(m.group(0).expandtabs(4)), escaped)


def _html(text: str) -> str:
    """Text for inside an HTML block, on one line: a blank line would end the block and let Markdown in."""
    paragraphs = _PARAGRAPH_BREAK.split(_LINE_BREAK.sub("\n", text).strip())
    return "".join(f"<p>{html.escape(p).replace(chr(10), '<br>')}</p>" for p in paragraphs if p.strip())


WEB = ("https://", "http://")


def _link(text: str, url: str | None, schemes: tuple[str, ...] = WEB) -> str:
    """The text, as a link when the address has one of the schemes (a web address unless said; others: text)."""
    if url and url.startswith(schemes):
        return f'<a href="{html.escape(url, quote=True)}">{html.escape(text)}</a>'
    return html.escape(text)


def citation(passage: Passage) -> str:
    """One line: the section, the document's title (a link when its address is known) and its date when known."""
    source = passage.source
    section = passage.headings[-1] if passage.headings and passage.headings[-1] != source.title else None
    where = f"{html.escape(section)} — " if section else ""
    date = f", {html.escape(source.date)}" if source.date else ""
    return f'<p class="{CITATION_CLASS}">Source: {where}{_link(source.title, source.url)}{date}</p>'


def quote(text: str) -> str:
    """A passage as a block quote, word for word; its list items (and their nested ones) shown as a list."""
    lines, in_list = [], False
    for line in _LINE_BREAK.sub("\n", text).split("\n"):
        item = _LIST_ITEM.match(line)
        if item and (in_list or len(item.group(1).expandtabs(4)) <= 3):
            if not in_list and lines and lines[-1] != ">":
                lines.append(">")  # a list right after its introduction's line still starts a list
            indent, marker, rest = item.groups()
            lines.append(f"> {indent}{marker} {escape_markdown(rest)}")
            in_list = True
        else:
            lines.append(f"> {escape_markdown(line)}" if line.strip() else ">")
            in_list = in_list and bool(line.strip() == "" or line[:1].isspace())
    return "\n".join(lines)


def _cited(hit: Hit) -> str:
    return f"{quote(hit.passage.text)}\n\n{citation(hit.passage)}"


def _alert(notice: str, emergency_contact: str | None) -> str:
    """The urgent notice as an alert: announced by screen readers, styled in alert colours with an icon."""
    contact = f'<p class="emergency-contact">{html.escape(emergency_contact)}</p>' if emergency_contact else ""
    return f'<div class="{URGENT_CLASS}" role="alert">{_html(notice)}{contact}</div>'


def _contact(contact: Contact) -> str:
    """The clinic's contact details, each a link: to call, to write, to open the contact page."""
    phone = re.sub(r"[^\d+]", "", contact.phone)
    links = [
        f"Phone: {_link(contact.phone, 'tel:' + phone, ('tel:',))}" if contact.phone else "",
        f"E-mail: {_link(contact.email, 'mailto:' + contact.email, ('mailto:',))}" if contact.email else "",
        f"Contact page: {_link(contact.page, contact.page)}" if contact.page else "",
    ]
    return '<p class="contact">' + " · ".join(link for link in links if link) + "</p>"


def _folded(related: tuple[Hit, ...]) -> str:
    """Related passages behind one click, so the answer comes first."""
    count = f"{len(related)} more passage{'s' if len(related) > 1 else ''} from the documents"
    quotes = "\n\n".join(_cited(hit) for hit in related)
    return f'<details class="related"><summary>{count}</summary>\n\n{quotes}\n\n</details>'


def short_disclaimer(disclaimer: str) -> str:
    """The disclaimer's first sentence."""
    first = sentences(disclaimer)
    return first[0] if first else disclaimer


@lru_cache(maxsize=16)  # one disclaimer a site: its sentences were split again for every reply (1-2 ms each)
def _disclaimer(disclaimer: str) -> str:
    """The disclaimer's first sentence, and the full text one click away."""
    short = short_disclaimer(disclaimer)
    full = (
        ""
        if short == disclaimer.strip()
        else f"<details><summary>{FULL_DISCLAIMER}</summary>{_html(disclaimer)}</details>"
    )
    return f'<div class="{DISCLAIMER_CLASS}"><p>{html.escape(short)}</p>{full}</div>'


def render_markdown(reply: Reply) -> str:
    """The reply as the chat shows it: the urgent notice first, then the answer, the rest folded or short."""
    parts = [_alert(reply.notice, reply.emergency_contact)] if reply.notice else []
    parts += [escape_markdown(reply.message)] if reply.message else []
    parts += [_contact(reply.contact)] if reply.contact else []
    if reply.answer:
        parts.append(_cited(reply.answer))
    if reply.related:
        parts.append(_folded(reply.related))
    parts.append(_disclaimer(reply.disclaimer))
    return "\n\n".join(parts)


def render_text(reply: Reply) -> str:
    """The reply for a terminal: plain text, citations on their own lines."""
    parts = [f"URGENT: {reply.notice}"] if reply.notice else []
    parts += [f"Emergency contact: {reply.emergency_contact}"] if reply.emergency_contact else []
    parts += [reply.message] if reply.message else []
    if reply.contact:
        details = {"Phone": reply.contact.phone, "E-mail": reply.contact.email, "Contact page": reply.contact.page}
        parts.append("\n".join(f"{name}: {value}" for name, value in details.items() if value))
    for number, hit in enumerate(reply.passages):
        label = "Answer" if number == 0 else "Related"
        parts.append(
            f"{label} (score {hit.score:.2f}):\n{hit.passage.text}\n  — {hit.passage.citation} [{hit.passage.location}]"
        )
    if reply.choices:
        parts.append("Did you mean:\n" + "\n".join(f"  - {p.heading}" for p in reply.choices))
    if reply.follow_ups:
        parts.append("You might also ask:\n" + "\n".join(f"  - {p.question}" for p in reply.follow_ups))
    if reply.topics:
        parts.append("Topics of the documents:\n" + "\n".join(f"  - {t.heading}" for t in reply.topics))
    parts.append(f"Disclaimer: {reply.disclaimer}")
    return "\n\n".join(parts)
