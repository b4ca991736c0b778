"""What is embedded for each passage (its vector rows), and the vocabulary of the documents."""

from __future__ import annotations

import numpy as np

from bot.config import EmbedOptions
from bot.knowledge import Passage
from bot.text import content_words, sentences

PASSAGE, SENTENCE, QUESTION, TAUGHT = 0, 1, 2, 3  # kinds of vector rows: TAUGHT, questions staff taught
# site.toml's lists of example messages whose token vectors a build stores, in this order.
EXAMPLE_LISTS = ("urgent_examples", "self_harm_examples", "not_urgent_examples")


def embedding_text(passage: Passage, headings: bool = True) -> str:
    """What is embedded for a passage: its own heading gives the paragraph its context.

    Only the nearest heading: measured on the evaluation set, the whole path (document
    title included) made passages of one document look alike and ranked worse.
    """
    if headings and passage.headings:
        return f"{passage.headings[-1]}\n{passage.text}"
    return passage.text


def vector_texts(passages: list[Passage], options: EmbedOptions) -> tuple[list[str], np.ndarray, np.ndarray]:
    """The texts to embed, with the passage position and the kind of each row. Passage rows come first."""
    texts = [embedding_text(p, options.headings) for p in passages]
    rows = list(range(len(passages)))
    kinds = [PASSAGE] * len(passages)
    for position, passage in enumerate(passages):
        parts = sentences(passage.text) if options.sentences else []
        extra = [(s, SENTENCE) for s in parts if len(parts) > 1]
        if options.questions and passage.question:
            extra.append((passage.question, QUESTION))
        extra += [(q, TAUGHT) for q in passage.phrasings]
        for text, kind in extra:
            texts.append(text)
            rows.append(position)
            kinds.append(kind)
    return texts, np.asarray(rows, dtype=np.int64), np.asarray(kinds, dtype=np.int8)


def vocabulary(passages: list[Passage]) -> list[str]:
    """Every content word of the documents, headings included."""
    return sorted({w for p in passages for w in content_words(" ".join((*p.headings, p.text)))})
