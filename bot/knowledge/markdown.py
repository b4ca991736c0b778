"""The Markdown splitter: one file → verbatim passages, each an exact slice of the source under its headings.

A passage is one paragraph, or a short run of paragraphs under one heading, never cut inside a sentence. A list
and the paragraph that introduces it stay in one passage, cut between items only when they are too long.
"""

from __future__ import annotations

import datetime
import difflib
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.knowledge.passage import Passage, Problem, Source
from bot.text import sentence_spans

# A closing run of "#" follows a space, as in CommonMark: "# C#" keeps its own.
HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*$")
EMPTY_HEADING = re.compile(r"^(#{1,6})([ \t]+#*)?[ \t]*$")  # "##", "###   ###": a heading, with no text
FENCE = re.compile(r"^[ \t]{0,3}(```|~~~)")
LIST_ITEM = re.compile(r"^[ \t]{0,3}([-*+]|\d{1,9}[.)])[ \t]+\S")
# CommonMark: only these items may start a list right after a paragraph's line (no blank line between).
INTERRUPTING_ITEM = re.compile(r"^[ \t]{0,3}([-*+]|1[.)])[ \t]+\S")

# Never seen on a rendered page, so never quoted: an HTML comment on lines of its own (a staff note, say), a link
# reference definition ("[nk]: https://…"), and a thematic break ("***", "___"), which shows as a rule, not text.
COMMENT_START = re.compile(r"^[ \t]{0,3}<!--")
LINK_DEFINITION = re.compile(r"^[ \t]{0,3}\[(?!\^)[^\]]+\]:[ \t]*\S+([ \t]+(\"[^\"]*\"|'[^']*'|\([^)]*\)))?[ \t]*$")
THEMATIC_BREAK = re.compile(r"^[ \t]{0,3}([-*_])([ \t]*\1){2,}[ \t]*$")
# Markup a hand-edited file may hold that answers would quote as it is: warned about, with what to write instead.
SETEXT_UNDERLINE = re.compile(r"^[ \t]{0,3}(=+|-+)[ \t]*$")
TABLE_DELIMITER = re.compile(r"^[ \t]{0,3}\|?[ \t]*:?-+:?[ \t]*(\|[ \t]*:?-+:?[ \t]*)+\|?[ \t]*$")
IMAGE = re.compile(r"!\[[^\]]*\][(\[]")
HTML_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(\s[^<>]*)?/?>")
CODE_SPAN = re.compile(r"(`+)(?!`).*?(?<!`)\1(?!`)")
MARKUP = {
    "setext": "a heading underlined with '===' or '---' is quoted as text, underline and all; write it as "
    "'## Heading' instead",
    "table": "a table is quoted as its '|' lines; write what it says as paragraphs or a list",
    "image": "an image is quoted as its '![…](…)' markup, never shown; delete it, or say in words what it shows",
    "html": "raw HTML is quoted with its tags; rewrite it as Markdown headings and paragraphs, or import the "
    "page with `python -m bot import`",
}


@dataclass(frozen=True)
class _Block:
    """A run of non-blank lines: a paragraph, a list or a code block."""

    line: int
    start: int
    end: int
    is_list: bool
    after_gap: bool = False  # something never quoted (an HTML comment, say) stands before it: no passage spans both


@dataclass(frozen=True)
class _Unit:
    """What passages are packed from: a paragraph, or a list with its introduction and the span of each item."""

    start: int
    end: int
    line: int
    items: tuple[tuple[int, int, int], ...] = ()  # (start, end, line) of each top-level item


def parse_document(
    path: Path, rel: str, max_words: int = 120, min_words: int = 40, data: bytes | None = None
) -> tuple[list[Passage], list[Problem]]:
    """Split one Markdown file into passages, with the problems found on the way; from `data` when the file was
    read already (a build parses the bytes it hashed)."""
    try:
        data = path.read_bytes() if data is None else data
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        return [], [Problem(rel, line, "not valid UTF-8; save the file as UTF-8", "error")]
    except OSError as err:
        return [], [Problem(rel, 1, f"cannot be read ({err.strerror}); check its permissions", "error")]
    text = text.removeprefix("\ufeff")
    meta, body_start, problems = front_matter(text, rel)
    if meta is None:
        return [], problems
    problems += metadata_problems(meta, text[:body_start], rel)
    if any(p.severity == "error" for p in problems):
        return [], problems
    problems += _hidden_characters(text, rel)
    blocks, sections, fence_problems = _scan(text, body_start, rel)
    problems += fence_problems
    first_h1 = next((path[0][1] for path in sections.values() if path and path[0][0] == 1), None)
    title = str(meta.get("title") or first_h1 or Path(rel).stem)
    source = Source(
        path=rel,
        title=title,
        **{key: str(meta[key]) for key in ("author", "publisher", "date", "url") if meta.get(key)},
    )
    passages: list[Passage] = []
    for headings, section_blocks in _group_by_section(blocks, sections, title):
        for start, end, line in _pack(text, section_blocks, rel, max_words, min_words, problems):
            passages.append(_passage(text[start:end], headings, source, line))
    if not passages:
        problems.append(Problem(rel, 1, "has no text to answer from; add paragraphs or remove the file"))
    return passages, problems


# Characters a reader of the chat never sees that still change what is shown: control characters (a NUL, a
# backspace) and the bidirectional overrides and isolates, which can show a quote's words in another order.
_HIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]")


def _hidden_characters(text: str, rel: str) -> list[Problem]:
    """A warning for each line holding a character of _HIDDEN: it would be quoted verbatim, unseen."""
    problems = []
    for number, line in enumerate(text.splitlines(), 1):
        found = sorted(set(_HIDDEN.findall(line)))
        if found:
            codes = ", ".join(f"U+{ord(c):04X}" for c in found)
            message = f"holds an invisible control character ({codes}) that answers would quote as it is; delete it"
            problems.append(Problem(rel, number, message))
    return problems


def _passage(text: str, headings: tuple[str, ...], source: Source, line: int) -> Passage:
    digest = hashlib.sha256("\n".join((source.path, *headings, text)).encode()).hexdigest()[:16]
    return Passage(id=digest, text=text, headings=headings, source=source, line=line)


class _FrontMatterLoader(yaml.SafeLoader):
    """YAML without aliases: `*name` repeats what `&name` marks, so nine nested ones in 538 bytes made a title of
    3.5 billion items, which str() spent minutes and all the memory on (an upload's preview, a build, the console's
    Documents table). Front matter is a few lines of text and needs none."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark
            raise yaml.composer.ComposerError(None, None, "an alias (*name) is not allowed here; write the text", mark)
        return super().compose_node(parent, index)

    def construct_yaml_timestamp(self, node):
        """A date, or for one of a date's form the calendar lacks (2025-13-45), its text: check warns of it, where
        YAML's own error named neither the file nor the line."""
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError:
            return self.construct_scalar(node)


_FrontMatterLoader.add_constructor("tag:yaml.org,2002:timestamp", _FrontMatterLoader.construct_yaml_timestamp)


def front_matter(text: str, rel: str) -> tuple[dict | None, int, list[Problem]]:
    """YAML between leading '---' lines; returns (metadata, offset of the body, problems)."""
    if not text.startswith("---\n") and not text.startswith("---\r\n"):
        return {}, 0, []
    match = re.compile(r"^---[ \t]*\r?$", re.M).search(text, 4)
    if match is None:
        return (
            None,
            0,
            [Problem(rel, 1, "front matter opened with '---' is never closed; add a closing '---' line", "error")],
        )
    try:
        meta = yaml.load(text[4 : match.start()], _FrontMatterLoader) or {}
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = (mark.line + 2) if mark else 1
        return (
            None,
            0,
            [Problem(rel, line, f"front matter is not valid YAML ({getattr(err, 'problem', err)})", "error")],
        )
    if not isinstance(meta, dict):
        return (
            None,
            0,
            [Problem(rel, 2, "front matter must be 'key: value' lines (title, author, publisher, date)", "error")],
        )
    return meta, match.end(), []


FRONT_MATTER_KEYS = ("title", "author", "publisher", "date", "url")
DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


def is_date(text: str) -> bool:
    """Written 2025-12-19, 2025-12 or 2025: DATE's form."""
    return bool(DATE.match(text.strip()))


def is_calendar_day(text: str) -> bool:
    """A date of DATE's form that the calendar has ("2025-13-45" has the form, and is no day)."""
    try:
        datetime.date.fromisoformat((text.strip() + "-01-01")[:10])
    except ValueError:
        return False
    return True


def metadata_problems(meta: dict, header: str, rel: str) -> list[Problem]:
    """Front matter a citation would show wrongly: a key misspelt (its value is never shown), a list or map
    (shown as Python would print it: an error), a date or URL of another form."""
    lines = header.splitlines()

    def line_of(key: object) -> int:
        pattern = re.compile(rf"^\s*['\"]?{re.escape(str(key))}['\"]?\s*:")
        return next((n for n, line in enumerate(lines, 1) if pattern.match(line)), 2)

    problems = []
    for key, value in meta.items():
        if key not in FRONT_MATTER_KEYS:
            close = difflib.get_close_matches(str(key).casefold(), FRONT_MATTER_KEYS, n=1, cutoff=0.6)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            message = f"unknown front matter key {key!r}{hint}, never shown; known: {', '.join(FRONT_MATTER_KEYS)}"
            problems.append(Problem(rel, line_of(key), message))
        elif value is None:
            continue
        elif isinstance(value, bool | list | dict | bytes | set):
            kind = {bool: "yes/no", list: "a list", dict: "a map", bytes: "binary", set: "a set"}[type(value)]
            message = (
                f"{key} is {kind}, not text; write {key}: and the text on one line "
                "(in quotes if it holds ':', or starts with '[' or '{')"
            )
            problems.append(Problem(rel, line_of(key), message, "error"))
        elif key == "date" and not isinstance(value, datetime.date) and not is_date(str(value)):
            message = f"date {str(value)!r} is shown as it is; write it 2025-12-19 (or 2025-12, or 2025)"
            problems.append(Problem(rel, line_of(key), message))
        elif key == "date" and not isinstance(value, datetime.date) and not is_calendar_day(str(value)):
            message = f"date {str(value)!r} is no day of the calendar, and citations show it as it is; correct it"
            problems.append(Problem(rel, line_of(key), message))
        elif key == "url" and not re.match(r"^https?://\S+$", str(value).strip()):
            message = f"url {str(value)!r} is no web address a link can be made of; write it with https://"
            problems.append(Problem(rel, line_of(key), message))
    return problems


def _scan(text: str, offset: int, rel: str) -> tuple[list[_Block], dict[int, tuple], list[Problem]]:
    """Blocks of the body, and the heading path in force at each heading's line."""
    blocks: list[_Block] = []
    sections: dict[int, tuple] = {}  # block index where a heading path starts → path of (level, text)
    path: list[tuple[int, str]] = []
    current: list[tuple[int, int, int]] = []  # (line, start, end) of the lines of the open block
    fence_line = comment_line = 0
    seen: dict[tuple[str, ...], int] = {}  # heading path → the line it was first at
    gap = False
    problems: list[Problem] = []
    line_no = text.count("\n", 0, offset) + 1

    def close(dropped: bool = False) -> None:
        nonlocal gap
        if current and all(LINK_DEFINITION.match(text[start:end]) for _, start, end in current):
            current.clear()  # link reference definitions: never shown on a page
            dropped = True
        if current:
            first = text[current[0][1] : current[0][2]]
            blocks.append(_Block(current[0][0], current[0][1], current[-1][2], bool(LIST_ITEM.match(first)), gap))
            current.clear()
            gap = False
        gap = gap or dropped

    pos = offset
    while pos < len(text):
        nl = text.find("\n", pos)
        end = len(text) if nl == -1 else nl
        line = text[pos:end].rstrip("\r")
        stripped_end = pos + len(line.rstrip())
        if fence_line:
            current.append((line_no, pos, stripped_end))
            if FENCE.match(line):
                fence_line = 0
        elif comment_line:
            if "-->" in line:
                comment_line = 0
                _after_comment(line, rel, line_no, problems)
        elif FENCE.match(line):
            fence_line = line_no
            current.append((line_no, pos, stripped_end))
        elif COMMENT_START.match(line):  # like a blank line: it ends a paragraph and is never part of one
            close(dropped=True)
            if "-->" in line[line.index("<!--") + 4 :]:
                _after_comment(line, rel, line_no, problems)
            else:
                comment_line = line_no
        elif not line.strip():
            close()
        elif THEMATIC_BREAK.match(line) and not (current and SETEXT_UNDERLINE.match(line)):
            close(dropped=True)
        elif empty := EMPTY_HEADING.match(line):  # ends the section above; its text goes under the headings above
            close()
            message = f"heading has no text; write its text after the '{empty.group(1)}', or delete the line"
            problems.append(Problem(rel, line_no, message))
            path = [h for h in path if h[0] < len(empty.group(1))]
            sections[len(blocks)] = tuple(path)
        elif heading := HEADING.match(line):
            close()
            level = len(heading.group(1))
            path = [h for h in path if h[0] < level] + [(level, heading.group(2).strip())]
            sections[len(blocks)] = tuple(path)
            key = tuple(h.casefold() for _, h in path)
            if key in seen:
                message = (
                    f"heading {path[-1][1]!r} is also at line {seen[key]}, under the same headings: their answers "
                    "would be cited alike; give each its own heading, or merge them"
                )
                problems.append(Problem(rel, line_no, message))
            seen.setdefault(key, line_no)
        else:
            _markup(line, rel, line_no, bool(current), problems)
            current.append((line_no, pos, stripped_end))
        pos = end + 1
        line_no += 1
    close()
    if fence_line:
        problems.append(Problem(rel, fence_line, "code fence is never closed; add the closing ``` line"))
    if comment_line:
        message = "HTML comment is never closed, so nothing after it is quoted; add the closing '-->'"
        problems.append(Problem(rel, comment_line, message, "error"))
    return blocks, sections, problems


def _after_comment(line: str, rel: str, line_no: int, problems: list[Problem]) -> None:
    if line[line.index("-->") + 3 :].strip():
        message = "text after '-->' on the comment's line is left out of the answers; put it on a line of its own"
        problems.append(Problem(rel, line_no, message))


def _markup(line: str, rel: str, line_no: int, in_block: bool, problems: list[Problem]) -> None:
    """Problems with one line of a paragraph or list: an HTML comment inside it (an error: it would be quoted, and
    a page never shows it), and markup that answers would quote as it is (a warning saying what to write)."""
    text = CODE_SPAN.sub("", line)
    if "<!--" in text:
        message = "an HTML comment inside a paragraph would be quoted to visitors; put it on lines of its own"
        problems.append(Problem(rel, line_no, message, "error"))
    found = [
        kind
        for kind, there in (
            ("setext", in_block and SETEXT_UNDERLINE.match(line)),
            ("table", TABLE_DELIMITER.match(line) and "|" in line),
            ("image", IMAGE.search(text)),
            ("html", HTML_TAG.search(text.replace("<!--", ""))),
        )
        if there
    ]
    problems += [Problem(rel, line_no - (kind == "table"), MARKUP[kind]) for kind in found]


def _group_by_section(
    blocks: list[_Block], sections: dict[int, tuple], title: str
) -> list[tuple[tuple[str, ...], list[_Block]]]:
    groups: list[tuple[tuple[str, ...], list[_Block]]] = []
    headings: tuple[str, ...] = ()
    for i, block in enumerate(blocks):
        if i in sections:
            headings = tuple(h for level, h in sections[i] if not (level == 1 and h == title))
        if not groups or i in sections:
            groups.append((headings, []))
        groups[-1][1].append(block)
    return groups


def _pack(
    text: str, blocks: list[_Block], rel: str, max_words: int, min_words: int, problems: list[Problem]
) -> list[tuple[int, int, int]]:
    """Group a section's blocks into (start, end, line) passage spans."""
    spans: list[tuple[int, int, int]] = []
    run: list[tuple[int, int, int]] = []

    def flush() -> None:
        if run:
            spans.append((run[0][0], run[-1][1], run[0][2]))
            run.clear()

    def words(start: int, end: int) -> int:
        return len(text[start:end].split())

    for unit in _units(text, blocks, rel, problems):
        if unit is None:  # a dropped list introduction, or a comment, separates what stood around it
            flush()
            continue
        start, end, line = unit.start, unit.end, unit.line
        count = words(start, end)
        if count > max_words:  # a list is cut between its items, anything else between sentences
            flush()
            chunks = _item_chunks if unit.items else _sentence_chunks
            spans += chunks(text, unit, max_words, rel, problems)
            continue
        if run and (words(run[0][0], run[-1][1]) >= min_words or words(run[0][0], end) > max_words):
            flush()
        run.append((start, end, line))
    flush()
    return spans


def _units(text: str, blocks: list[_Block], rel: str, problems: list[Problem]) -> list[_Unit | None]:
    """Paragraphs, and lists with the paragraph that introduces them (a loose list's blocks are one list).

    A paragraph ending in ':' with no list after it introduced a list that is lost;
    that sentence is dropped (warned about) and None marks the gap it leaves.
    """
    units: list[_Unit | None] = []
    i = 0
    while i < len(blocks):
        block = blocks[i]
        items = _items(text, block)
        following = blocks[i + 1] if i + 1 < len(blocks) else None
        introduces = (
            text[block.start : block.end].endswith(":")
            and following is not None
            and following.is_list
            and not following.after_gap
        )
        if block.after_gap:
            units.append(None)
        if items or introduces:
            j = i + 1
            while j < len(blocks) and blocks[j].is_list and not blocks[j].after_gap:
                items += _items(text, blocks[j])
                j += 1
            units.append(_Unit(block.start, blocks[j - 1].end, block.line, tuple(items)))
            i = j
            continue
        if text[block.start : block.end].endswith(":"):
            last_line = block.line + text.count("\n", block.start, block.end)
            problems.append(
                Problem(
                    rel,
                    last_line,
                    "line ends with ':' but no list follows; it is left out of the answers "
                    "(add the list items, or end the sentence with '.')",
                )
            )
            kept = _without_last_sentence(text, block.start, block.end)
            if kept:
                units.append(_Unit(block.start, kept, block.line))
            units.append(None)
        else:
            units.append(_Unit(block.start, block.end, block.line))
        i += 1
    return units


def _items(text: str, block: _Block) -> list[tuple[int, int, int]]:
    """(start, end, line) of each top-level list item in a block; none for a paragraph or code.

    An item's indented lines, and items nested deeper than the first, belong to the item above them.
    """
    lines: list[tuple[int, int, int]] = []  # (start, end, line) of each line of the block
    pos, line = block.start, block.line
    for part in text[block.start : block.end].split("\n"):
        lines.append((pos, pos + len(part.rstrip()), line))
        pos, line = pos + len(part) + 1, line + 1
    if FENCE.match(text[lines[0][0] : lines[0][1]]):
        return []
    first = next(
        (n for n, (s, e, _) in enumerate(lines) if (LIST_ITEM if n == 0 else INTERRUPTING_ITEM).match(text[s:e])),
        None,
    )
    if first is None:
        return []
    indent = _indent(text[lines[first][0] : lines[first][1]])
    items: list[tuple[int, int, int]] = []
    for s, e, number in lines[first:]:
        if LIST_ITEM.match(text[s:e]) and _indent(text[s:e]) <= indent:
            items.append((s, e, number))
        else:
            items[-1] = (items[-1][0], e, items[-1][2])
    return items


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


def _item_chunks(
    text: str, unit: _Unit, max_words: int, rel: str, problems: list[Problem]
) -> list[tuple[int, int, int]]:
    """Split a long list between items into runs of at most max_words words; the introduction opens the first."""
    pieces = [(unit.start, unit.items[0][1], unit.line), *unit.items[1:]]
    total = len(text[unit.start : unit.end].split())
    target = -(-total // -(-total // max_words))  # even chunks rather than a full one and a stub
    chunks: list[tuple[int, int, int]] = []
    run: list[tuple[int, int, int]] = []
    for start, end, line in pieces:
        count = len(text[start:end].split())
        so_far = len(text[run[0][0] : run[-1][1]].split()) if run else 0
        if run and (so_far + count > max_words or so_far >= target):
            chunks.append((run[0][0], run[-1][1], run[0][2]))
            run = []
        if count > max_words:  # one item alone is too long: between its sentences
            chunks += _sentence_chunks(text, _Unit(start, end, line), max_words, rel, problems)
            continue
        run.append((start, end, line))
    if run:
        chunks.append((run[0][0], run[-1][1], run[0][2]))
    return chunks


def _without_last_sentence(text: str, start: int, end: int) -> int | None:
    """End offset of the paragraph once its last sentence is removed, or None if nothing is left."""
    spans = sentence_spans(text[start:end])
    if len(spans) < 2:
        return None
    return start + len(text[start : start + spans[-1][0]].rstrip())


def _sentence_chunks(
    text: str, unit: _Unit, max_words: int, rel: str, problems: list[Problem]
) -> list[tuple[int, int, int]]:
    """Split a long paragraph between sentences into runs of at most max_words words."""
    start, end, line = unit.start, unit.end, unit.line
    chunks: list[tuple[int, int, int]] = []
    chunk_start = start
    count = 0
    total = len(text[start:end].split())
    target = -(-total // -(-total // max_words))  # even chunks rather than a full one and a stub
    for span_start, span_end in sentence_spans(text[start:end]):
        sentence_words = len(text[start + span_start : start + span_end].split())
        if count and (count + sentence_words > max_words or count >= target):
            chunk_end = start + len(text[start : start + span_start].rstrip())
            chunks.append((chunk_start, chunk_end, line + text.count("\n", start, chunk_start)))
            chunk_start, count = start + span_start, 0
        count += sentence_words
        if sentence_words > max_words:
            problems.append(
                Problem(
                    rel,
                    line,
                    f"a sentence of {sentence_words} words is longer than the {max_words}-word passage limit; "
                    "consider splitting it",
                )
            )
    chunks.append((chunk_start, end, line + text.count("\n", start, chunk_start)))
    return chunks
