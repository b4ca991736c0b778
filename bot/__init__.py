"""A verbatim-answer FAQ assistant: cited passages from a knowledge folder, never generated text."""

__version__ = "0.1.0"
