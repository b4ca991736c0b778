"""A list is an answer (real model, real index): an imported guide's list, asked about in a visitor's words,
comes back whole, with its introduction, as one quoted and cited passage shown as a list."""

from __future__ import annotations

import pytest

from bot.assistant import Assistant
from bot.cli import main
from bot.config import Settings
from bot.embedding import SentenceEmbedder
from bot.index import build_index
from bot.knowledge import load_knowledge
from bot.render import citation, escape_markdown, render_markdown

from conftest import copy_of_real
from documents import CONTENT, html_page

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def assistant(real_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    """knowledge/ with the pruning guide imported from its web page, built with the real model."""
    folder = tmp_path_factory.mktemp("lists")
    settings = copy_of_real(real_settings, folder)
    page = folder / "pruning.html"
    page.write_text(html_page(), encoding="utf-8")
    assert main(["import", str(page), "--knowledge", str(settings.knowledge_dir), "--quiet"]) == 0
    knowledge = load_knowledge(settings.knowledge_dir, settings.passage_max_words, settings.passage_min_words)
    build_index(knowledge, settings.index_dir, SentenceEmbedder.from_settings(settings.model))
    return Assistant.load(settings)


@pytest.mark.parametrize(
    ("question", "kind"),
    [("What tools do I need for pruning?", "ul"), ("what are the steps for pruning roses", "ol")],
)
def test_a_question_about_a_list_gets_the_whole_list_as_one_cited_passage(assistant: Assistant, question, kind):
    reply = assistant.ask(question)
    assert reply.answered
    items = [text for k, text in CONTENT if k == kind]
    passage = reply.answer.passage
    introduction = {"ul": "Pruning tools include:", "ol": "Follow these steps in late winter:"}[kind]
    marks = ["- "] * len(items) if kind == "ul" else [f"{n}. " for n in range(1, len(items) + 1)]
    assert passage.text == introduction + "\n\n" + "\n".join(m + item for m, item in zip(marks, items, strict=True))
    heading = {"ul": "Tools", "ol": "How to prune a rose"}[kind]
    assert passage.citation == f"Pruning Guide › {heading} — Green Thumb Club"
    shown = render_markdown(reply)
    for mark, item in zip(marks, items, strict=True):
        assert f"\n> {mark}{escape_markdown(item)}\n" in shown + "\n"  # each item a list item, word for word
    assert citation(passage) in shown
