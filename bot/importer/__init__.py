"""Importing documents into the knowledge folder: web pages, Word files, PDFs, Markdown and plain text, each into
one knowledge Markdown file with its headings, lists and FAQ questions, its text word for word, and a report of
what was dropped and where.

Modules: document (what converters hand back, and the knowledge file), one converter per format (html, docx,
pdf, text for .txt and .md), files (one source: convert, preview, write) and batch (many, with a progress bar).
"""

from bot.importer.batch import Batch, import_all, sources
from bot.importer.document import Converted, Drop, ImportFailed, Metadata
from bot.importer.files import FORMATS, Imported, prepare, supported, target_name, write

__all__ = [
    "FORMATS",
    "Batch",
    "Converted",
    "Drop",
    "ImportFailed",
    "Imported",
    "Metadata",
    "import_all",
    "prepare",
    "sources",
    "supported",
    "target_name",
    "write",
]
