"""Knowledge stage: a folder of Markdown files (+ optional site.toml) → verbatim passages.

A passage is an exact slice of its source file: one paragraph, or a short run of
paragraphs under one heading, never cut inside a sentence. The heading path travels
with each passage for citations and matching.

Modules: passage (what the stage hands on), markdown (the splitter), site (site.toml),
folder (reading a whole folder).
"""

from bot.knowledge.folder import Knowledge, hash_files, knowledge_files, load_knowledge, require_folder
from bot.knowledge.markdown import parse_document
from bot.knowledge.passage import KnowledgeError, Passage, Problem, Source
from bot.knowledge.site import SITE_FILE, Site

__all__ = [
    "SITE_FILE",
    "Knowledge",
    "KnowledgeError",
    "Passage",
    "Problem",
    "Site",
    "Source",
    "hash_files",
    "knowledge_files",
    "load_knowledge",
    "parse_document",
    "require_folder",
]
