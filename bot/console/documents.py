"""The Documents tab: the knowledge folder's documents; a file uploaded, previewed (its passages and warnings) and
added; a document's details edited; a document retired. Each change is one file, staged with Publishing (a build
that is not live, and the test-suite answers it changes), then published, discarded or, once live, rolled back,
the file following the build: a change that is discarded or rolled back leaves the folder as it was. The file
follows only the build that holds it: one published, discarded or replaced from elsewhere (the Teach tab, the
command line) leaves the document as it is."""

from __future__ import annotations

import shutil
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import gradio as gr

from bot.console.index import BUILD_PROGRESS
from bot.console.publishing import DIFF_COLUMNS, Publishing, staff_name
from bot.console.staff import HIDDEN, Tab, table
from bot.errors import BotError
from bot.importer import FORMATS, Imported, Metadata, prepare
from bot.importer.library import Change, documents, with_metadata
from bot.index import STAGED, live_build
from bot.index.pointers import read_pointer
from bot.knowledge import Passage, knowledge_files, parse_document
from bot.knowledge.phrasings import PHRASINGS_FILE, PhrasingsFile
from bot.render import escape_markdown
from bot.text import counted, listed

DOCUMENT_COLUMNS = {
    "file": "14%",
    "title": "22%",
    "author or publisher": "16%",
    "date": "9%",
    "URL": "17%",
    "passages": "8%",
    "last change (UTC)": "14%",
}
PASSAGE_COLUMNS = {"line": "6%", "heading": "24%", "passage": "70%"}
RETIRED = "retired"  # data_dir/retired/ keeps a copy of every retired document
Rows = list[list[Any]]


@dataclass(frozen=True)
class Built:
    """A change to the knowledge folder and the build that holds it: the file follows that build, and no other."""

    change: Change
    build: str


class DocumentsTab(Tab):
    title = "Documents"

    def __init__(self, console):
        super().__init__(console)
        self.publishing = Publishing(console)
        self.staged: Built | None = None  # made and built, not live yet
        self.live: Built | None = None  # the last one published: Roll back undoes it while its build is live
        self._lock = threading.Lock()  # one change at a time, whoever is signed in

    def table(self) -> Rows:
        s = self.settings
        return [
            [
                d.path,
                d.metadata.title or "",
                d.metadata.author or d.metadata.publisher or "",
                d.metadata.date or "",
                d.metadata.url or "",
                d.passages,
                d.changed.strftime("%Y-%m-%d %H:%M"),
            ]
            for d in documents(s.knowledge_dir, s.passage_max_words, s.passage_min_words)
        ]

    def names(self) -> list[str]:
        folder = Path(self.settings.knowledge_dir)
        return [p.relative_to(folder).as_posix() for p in knowledge_files(folder) if p.suffix == ".md"]

    def preview(self, upload: str | None) -> tuple[str, Rows]:
        """What an uploaded file would add: its details, passages and warnings; nothing changes."""
        if not upload:
            return f"Upload a file ({FORMATS}) to see the passages it would make.", []
        try:
            imported = self._prepare(upload)
        except BotError as err:
            return _cannot(upload, err), []
        rows = [[p.line, p.heading, p.text] for p in imported.passages]
        return _describe(imported), rows

    def add(
        self,
        upload: str | None,
        replace: bool,
        request: gr.Request | None = None,
        progress: gr.Progress = BUILD_PROGRESS,  # shows the comparison's tqdm bar
    ) -> tuple[str, Rows, Rows]:
        """Write the uploaded document into the knowledge folder and stage a build with it."""
        if not upload:
            return "Upload a file first.", [], self.table()
        try:
            imported = self._prepare(upload)
        except BotError as err:
            return _cannot(upload, err), [], self.table()
        target = imported.target
        if target.exists() and not replace:
            return (
                f"**{target.name} is already a document.** Tick 'Replace the document of the same name' to "
                "replace it, or rename the file.",
                [],
                self.table(),
            )
        before = target.read_text(encoding="utf-8") if target.exists() else None
        verb = "replaced" if before is not None else "added"
        change = Change(target, before, imported.markdown, f"{verb} {target.name} from {imported.source.name}")
        return self._stage(change, "import", request)

    def details(self, name: str | None) -> tuple[str, str, str, str, str]:
        """A document's title, author, publisher, date and URL, for the form."""
        found = next((d for d in self._documents() if d.path == name), None)
        m = found.metadata if found else Metadata()
        return m.title or "", m.author or "", m.publisher or "", m.date or "", m.url or ""

    def edit(
        self,
        name: str | None,
        title: str,
        author: str,
        publisher: str,
        date: str,
        url: str,
        request: gr.Request | None = None,
        progress: gr.Progress = BUILD_PROGRESS,
    ) -> tuple[str, Rows, Rows]:
        """Stage the document with these details; its text is not touched."""
        path = self._path(name)
        if path is None:
            return "Choose a document first.", [], self.table()
        if not (title or "").strip():
            return "**Not changed:** a document needs a title; it is what citations show.", [], self.table()
        before = path.read_text(encoding="utf-8")
        metadata = Metadata(title=title, author=author, publisher=publisher, date=date, url=url)
        try:
            after = with_metadata(before, metadata, path.name)
        except BotError as err:
            return f"**Not changed:** {err}", [], self.table()
        if after == before:
            return "Nothing to change: these are its details already.", [], self.table()
        return self._stage(Change(path, before, after, f"edited the details of {path.name}"), "edit", request)

    def retire(
        self, name: str | None, request: gr.Request | None = None, progress: gr.Progress = BUILD_PROGRESS
    ) -> tuple[str, Rows, Rows]:
        """Stage a build without the document; a copy is kept in the data folder."""
        path = self._path(name)
        if path is None:
            return "Choose a document first.", [], self.table()
        keep = Path(self.settings.data_dir) / RETIRED / f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{path.name}"
        keep.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, keep)
        change = Change(path, path.read_text(encoding="utf-8"), None, f"retired {path.name} (a copy is in {keep})")
        return self._stage(change, "retire", request)

    def publish(self, request: gr.Request | None = None) -> tuple[str, Rows]:
        with self._lock:
            staged = self.staged
            if staged is None:
                return "Nothing is staged here: add, edit or retire a document first.", self.table()
            if not self._still_staged(staged):
                self.staged = None
                return _gone(staged), self.table()
            text = self.publishing.publish(staff_name(self.console, request))
            if text.startswith("**Build "):
                self.live, self.staged = staged, None
            return text, self.table()

    def discard(self, request: gr.Request | None = None) -> tuple[str, Rows]:
        with self._lock:
            staged, self.staged = self.staged, None
            if staged is None:
                return "Nothing is staged here.", self.table()
            if not self._still_staged(staged):
                return _gone(staged), self.table()
            text = self.publishing.discard(staff_name(self.console, request))
            return f"{text} {_undone(staged.change)}", self.table()

    def roll_back(self, request: gr.Request | None = None) -> tuple[str, Rows]:
        """Put the previous build back live, and the document as it was with it when the build rolled back is the
        one that made the change live."""
        with self._lock:
            ours = self.live if self.live and live_build(self.settings.index_dir) == self.live.build else None
            text = self.publishing.roll_back(staff_name(self.console, request))
            if not text.startswith("**Build "):
                return text, self.table()
            if ours is None:  # the knowledge files went back with the build, as the text says
                self.live = None
                return text, self.table()
            now = live_build(self.settings.index_dir)
            self.live = Built(ours.change.inverse(), now) if now else None  # rolling back again redoes it
            return f"{text} {_undone(ours.change)}", self.table()

    def staged_status(self) -> str:
        """What a page opened now is told is staged: this tab's change, or a build staged elsewhere (the Visitor
        questions tab, another page's, the command line), with who staged it and why, as the audit log has it."""
        name = read_pointer(self.settings.index_dir, STAGED, damaged_as_none=True)
        if name is None:
            return "Nothing staged."
        staged = self.staged
        if staged is not None and staged.build == name:
            return f"**Staged build {name}**: {staged.change.what}. Publish makes it live; Discard forgets it."
        return (
            f"**Build {name} is staged**{self.publishing.staged_by(name)}, not from this tab: publish or discard it "
            "where it was staged (the Visitor questions tab, or `python -m bot publish`). A change staged here would "
            "replace it."
        )

    def _still_staged(self, staged: Built) -> bool:
        """Whether the staged build is still this change's: another tab or the command line may have published,
        discarded or replaced it since."""
        return read_pointer(self.settings.index_dir, STAGED, damaged_as_none=True) == staged.build

    def _stage(self, change: Change, action: str, request: gr.Request | None) -> tuple[str, Rows, Rows]:
        user = staff_name(self.console, request)
        with self._lock:
            if self.staged is not None and self._still_staged(self.staged):  # one gone elsewhere does not block
                return (
                    f"**A change is staged already** ({self.staged.change.what}): publish or discard it first.",
                    [],
                    self.table(),
                )
            taught = Path(self.settings.knowledge_dir) / PHRASINGS_FILE
            before = self._passages() if taught.is_file() else None  # nothing taught: nothing to follow
            change.apply()
            if before is not None:
                change = self._with_teaching(change, before)
            staged = self.publishing.stage(user, change.what)
            if not staged.ok or staged.build is None:
                change.undo()  # a change that does not build is not left in the folder
                return staged.text, [], self.table()
            self.staged = Built(change, staged.build)
            self.console.audit.record(user, action, change.what)
            said = change.what[:1].upper() + change.what[1:]
            return f"{said}. {staged.text}", [list(c) for c in staged.changes], self.table()

    def _passages(self) -> list[Passage]:
        """The passages of the folder's documents, each read on its own: what phrasings.toml names, whatever
        else in the folder a build would refuse."""
        s, folder = self.settings, Path(self.settings.knowledge_dir)
        found: list[Passage] = []
        for path in (p for p in knowledge_files(folder) if p.suffix == ".md"):
            rel = path.relative_to(folder).as_posix()
            found += parse_document(path, rel, s.passage_max_words, s.passage_min_words)[0]
        return found

    def _with_teaching(self, change: Change, before: list[Passage]) -> Change:
        """The change with phrasings.toml following it: questions taught to a passage it moved go with the passage
        (a new title), and those taught to a passage it removed are untaught (a document retired or rewritten).
        Left behind, they named no passage, and every build failed until someone edited the file by hand."""
        path = Path(self.settings.knowledge_dir) / PHRASINGS_FILE
        after = self._passages()
        old = path.read_text(encoding="utf-8")
        with PhrasingsFile(self.settings.knowledge_dir) as phrasings:
            moved, removed = phrasings.follow(before, after)
        said = [_questions(q, how) for q, how in ((moved, "moved with its passages"), (removed, "untaught")) if q]
        if not said:
            return change
        also = Change(path, old, path.read_text(encoding="utf-8"), PHRASINGS_FILE)
        return Change(change.path, change.before, change.after, f"{change.what}; {'; '.join(said)}", (also,))

    def _prepare(self, upload: str) -> Imported:
        s = self.settings
        return prepare(
            Path(upload),
            s.knowledge_dir,
            Metadata(),
            s.passage_max_words,
            s.passage_min_words,
            seconds=s.console_import_seconds,
        )

    def _documents(self):
        s = self.settings
        return documents(s.knowledge_dir, s.passage_max_words, s.passage_min_words)

    def _path(self, name: str | None) -> Path | None:
        """A document of the knowledge folder by the name the table shows; never a path outside it."""
        return Path(self.settings.knowledge_dir) / name if name and name in self.names() else None

    def render(self, app: gr.Blocks) -> None:
        listing = table(DOCUMENT_COLUMNS, "Documents")
        gr.Markdown(
            f"### Add a document\nUpload a web page, Word file, PDF, Markdown or text file ({FORMATS}). "
            "The preview shows the passages it would make before anything changes."
        )
        with gr.Row():
            upload = gr.File(
                label="Document to add",
                file_types=list(FORMATS.split(", ")),
                type="filepath",
                elem_id="document-upload",
                scale=3,
            )
            with gr.Column(scale=1):
                replace = gr.Checkbox(label="Replace the document of the same name")
                add = gr.Button("Add and stage", variant="primary")
        preview = gr.Markdown()
        passages = table(PASSAGE_COLUMNS, "Passages it would make")
        gr.Markdown("### Edit or retire a document")
        with gr.Row():
            chosen = gr.Dropdown(label="Document", choices=[], value=None, scale=2)
            title = gr.Textbox(label="Title", scale=3)
        with gr.Row():
            author = gr.Textbox(label="Author")
            publisher = gr.Textbox(label="Publisher")
            date = gr.Textbox(label="Date", placeholder="2025-12-19")
            url = gr.Textbox(label="URL", placeholder="https://")
        with gr.Row():
            save = gr.Button("Stage these details")
            retire = gr.Button("Retire the document", variant="stop")
        gr.Markdown("### Staged change")
        status = gr.Markdown("Nothing staged.")
        diff = table(DIFF_COLUMNS, "Test-suite questions whose first passage would change")
        with gr.Row():
            publish = gr.Button("Publish", variant="primary")
            discard = gr.Button("Discard")
            roll_back = gr.Button("Roll back")

        def names() -> dict:
            return gr.update(choices=self.names())

        private = {"api_visibility": HIDDEN, "concurrency_limit": 1}
        upload.change(self.preview, [upload], [preview, passages], api_name="preview_document", api_visibility=HIDDEN)
        add.click(self.add, [upload, replace], [status, diff, listing], api_name="add_document", **private)
        chosen.change(
            self.details, [chosen], [title, author, publisher, date, url], api_name="document_details", **private
        )
        fields = [chosen, title, author, publisher, date, url]
        save.click(self.edit, fields, [status, diff, listing], api_name="edit_document", **private)
        retire.click(self.retire, [chosen], [status, diff, listing], api_name="retire_document", **private)
        publish.click(self.publish, None, [status, listing], api_name="publish_documents", **private)
        discard.click(self.discard, None, [status, listing], api_name="discard_documents", **private)
        roll_back.click(self.roll_back, None, [status, listing], api_name="roll_back_documents", **private)
        listing.change(names, None, [chosen], api_name="document_names", api_visibility=HIDDEN)
        app.load(self.table, None, [listing], api_name="documents", api_visibility=HIDDEN)
        app.load(self.staged_status, None, [status], api_name="staged_status", api_visibility=HIDDEN)


def _describe(imported: Imported) -> str:
    """The preview's text: the knowledge file it would be, its details, and every warning."""
    m = imported.metadata
    credit = ", ".join(part for part in (m.author, m.publisher, m.date, m.url) if part) or "no author or date"
    exists = " (replaces the document of that name)" if imported.target.exists() else ""
    # The file's name, its title and what was dropped come from the file (a web page's, perhaps a stranger's):
    # text, so that a title such as "![](https://…)" is neither an image fetched nor a link in the console.
    text = (
        f"**{escape_markdown(imported.source.name)}** → `{imported.target.name}`{exists}: "
        f"**{escape_markdown(m.title or '')}** ({escape_markdown(credit)}), "
        f"{counted(len(imported.passages), 'passage')}. Nothing has changed yet: press Add and stage."
    )
    warnings = imported.report()
    if warnings:
        text += "\n\n**Warnings:**\n\n" + "\n".join(f"- {escape_markdown(str(w))}" for w in warnings)
    return text


def _questions(questions: list[str], how: str) -> str:
    return f"{counted(len(questions), 'taught question')} {how} ({listed(repr(q) for q in questions)})"


def _cannot(upload: str, err: BotError) -> str:
    """Why a file cannot be imported, its name as text: a name is the file's sender's to choose, and
    "[Sign in again](https:evil.example).pdf" was a live link in the console."""
    return f"**Cannot import {escape_markdown(Path(upload).name)}:** {escape_markdown(str(err))}"


def _gone(staged: Built) -> str:
    return (
        f"**The staged build with this change is gone** ({staged.change.what}): it was published, discarded or "
        "replaced since, from another tab or the command line. The document stays as it is now; the Index tab "
        "shows what is live and rebuilds."
    )


def _undone(change: Change) -> str:
    if change.undo():
        return f"The knowledge folder is as it was before: {change.what}, undone."
    return f"{change.path.name} was changed by someone else since, so it was left as it is now; check it."
