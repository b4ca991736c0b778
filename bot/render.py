"""The two renderings of a reply: Markdown for the chat, plain text for the terminal. Both show the quoted text
exactly as written."""

from __future__ import annotations

import html
import re

from bot.answer import Reply
from bot.search import Hit

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
