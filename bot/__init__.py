"""A verbatim-answer FAQ assistant: cited passages from a knowledge folder, never generated text.

The public API is the names below (an example is in README.md); the stages' own modules hold the rest.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from bot.config import Settings
from bot.errors import BotError

if TYPE_CHECKING:
    from bot.answer import Reply
    from bot.assistant import Assistant
    from bot.index import build_index
    from bot.knowledge import Passage, load_knowledge
    from bot.search import Hit

__version__ = "0.1.0"
__all__ = ["Assistant", "BotError", "Hit", "Passage", "Reply", "Settings", "build_index", "load_knowledge"]

# Imported on first use: they bring numpy, FAISS, BM25 and the rest, which `import bot`, any of its submodules
# (a package's __init__ runs first) and `python -m bot --help` do not need.
_LAZY = {
    "Assistant": "bot.assistant",
    "Hit": "bot.search",
    "Passage": "bot.knowledge",
    "Reply": "bot.answer",
    "build_index": "bot.index",
    "load_knowledge": "bot.knowledge",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
