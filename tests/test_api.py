"""The package's public API, and what importing it costs."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import fields

import pytest

import bot
from bot.config import Settings

from conftest import ROOT

PUBLIC = ["Assistant", "BotError", "Hit", "Passage", "Reply", "Settings", "build_index", "load_knowledge"]


def test_the_public_names_come_from_the_package_root():
    from bot import Assistant, BotError, Hit, Passage, Reply, Settings, build_index, load_knowledge  # noqa: F401

    assert sorted(bot.__all__) == PUBLIC and set(PUBLIC) <= set(dir(bot))
    with pytest.raises(AttributeError, match="no attribute 'Nothing'"):
        bot.Nothing  # noqa: B018


def test_import_bot_loads_neither_the_model_nor_the_web_stack():
    heavy = ["torch", "sentence_transformers", "gradio", "faiss", "bm25s"]
    code = f"import sys, bot; print([m for m in {heavy!r} if m in sys.modules])"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stdout.strip() == "[]", result.stderr


def test_each_stage_gets_the_flat_settings_values():
    settings = Settings(min_confidence=0.5, candidates=7, exact_limit=9, embed_sentences=False, staff_password="s3cret")
    parts = (settings.model, settings.search, settings.answer, settings.serve, settings.questions, settings.console)
    for part in parts:
        assert all(getattr(part, f.name) == getattr(settings, f.name) for f in fields(part))
    assert settings.index.exact_limit == 9 and not settings.index.embed.sentences
    assert "s3cret" not in repr(settings.console)
