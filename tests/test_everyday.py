"""Everyday questions (prices, opening hours, small talk) get the fallback on a folder that does not answer them,
and are left to the folder's own ranking where it does: built with the real model on the garden fixture."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.assistant import Assistant
from bot.config import Settings
from bot.embedding import SentenceEmbedder
from bot.index import build_index, load_index
from bot.index.everyday import everyday_questions
from bot.knowledge import load_knowledge
from bot.search import Searcher

pytestmark = pytest.mark.integration

PRICES = """
### How much does a garden visit cost?

A garden visit costs the same whatever the size of the garden, and it is paid on the day by card or cash.
"""


@pytest.fixture(scope="module")
def embedder() -> SentenceEmbedder:
    return SentenceEmbedder.from_settings(Settings().model)


def assistant(knowledge_dir: Path, index_dir: Path, embedder: SentenceEmbedder, **changes: object) -> Assistant:
    settings = Settings().replace(knowledge_dir=knowledge_dir, index_dir=index_dir, **changes)
    build_index(load_knowledge(knowledge_dir), index_dir, embedder, settings=settings.index)
    return Assistant(load_index(index_dir, embedder), embedder, settings)


def test_the_built_in_list_is_questions_without_comments():
    questions = everyday_questions()
    assert len(questions) > 100 and len(set(questions)) == len(questions)
    assert not any(q.startswith("#") or not q.strip() for q in questions)


def test_an_everyday_question_the_folder_does_not_answer_gets_the_fallback(
    knowledge_dir: Path, tmp_path: Path, embedder: SentenceEmbedder
):
    garden = assistant(knowledge_dir, tmp_path / "index", embedder)
    for question in ("what are your opening hours?", "hello", "how much do you charge?", "where are you based"):
        reply = garden.ask(question)
        assert not reply.answered, question
        assert reply.message.startswith("I have no answer to that in the garden guide"), question
    for question in ("When should I prune roses?", "can basil grow inside", "how often should I water"):
        assert garden.ask(question).answered, question


def test_an_everyday_question_the_folder_answers_is_left_to_it(
    knowledge_dir: Path, tmp_path: Path, embedder: SentenceEmbedder
):
    guide = knowledge_dir / "garden.md"
    text = guide.read_text(encoding="utf-8")
    roses = "### When should I prune roses?"
    guide.write_text(text.replace(roses, f"{PRICES.strip()}\n\n{roses}"), encoding="utf-8")
    garden = assistant(knowledge_dir, tmp_path / "index", embedder)
    index = garden.index
    assert "how much does it cost?" in index.manifest["everyday_answered"]
    assert "how much does it cost?" not in index.everyday
    reply = garden.ask("how much does it cost?")
    assert reply.answered and "paid on the day by card or cash" in reply.passages[0].passage.text
    assert not garden.ask("what are your opening hours?").answered  # what the folder does not answer still falls back


def test_the_everyday_questions_can_be_turned_off(knowledge_dir: Path, tmp_path: Path, embedder: SentenceEmbedder):
    garden = assistant(knowledge_dir, tmp_path / "index", embedder, everyday_questions=False)
    assert garden.index.everyday == [] and len(garden.index.everyday_vectors) == 0
    searcher = Searcher(garden.index, embedder, garden.settings.search)
    assert searcher.search("what are your opening hours?").not_answered is None
