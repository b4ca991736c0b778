"""Command line: import documents, build the index, ask a question, evaluate; errors become one-line messages."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from bot.config import Settings
from bot.errors import BotError
from bot.text import counted

BENCHMARK = Path(__file__).resolve().parent.parent / "benchmarks" / "bench.py"
SESSIONS_END = "its open console sessions end at their next request."


def _settings(args: argparse.Namespace) -> Settings:
    return Settings.from_env(knowledge_dir=args.knowledge, index_dir=args.index)


def _load_knowledge(settings: Settings):
    """The knowledge folder's passages, printing every problem with file:line; errors stop here."""
    from bot.knowledge import KnowledgeError, load_knowledge

    try:
        knowledge = load_knowledge(settings.knowledge_dir, settings.passage_max_words, settings.passage_min_words)
    except KnowledgeError as err:
        if not err.problems:  # the folder itself is the problem (missing, no Markdown): its message says so
            raise BotError(str(err)) from None
        for problem in err.problems:
            print(problem, file=sys.stderr)
        errors = sum(1 for p in err.problems if p.severity == "error") or 1
        raise BotError(
            f"{counted(errors, 'error')} in {settings.knowledge_dir}/ (listed above); "
            f"fix {'it' if errors == 1 else 'them'} and run again."
        ) from None
    for problem in knowledge.problems:
        print(problem, file=sys.stderr)
    return knowledge


def _assistant(settings: Settings, warn_stale: bool = True):
    """The live assistant, with the model's threads capped for answering one question at a time. It answers as
    visitors are answered, from the live build, with a warning first when knowledge/ changed since that build."""
    from bot.assistant import Assistant
    from bot.embedding import limit_threads
    from bot.index import stale_warning

    limit_threads(settings.serve, torch_too=settings.model_runtime == "torch")
    assistant = Assistant.load(settings, warn_stale=False)
    changed = assistant.stale_files() if warn_stale else []
    if changed:
        print(f"warning: {stale_warning(assistant.index, settings.knowledge_dir, changed)}", file=sys.stderr)
    return assistant


def cmd_check(args: argparse.Namespace) -> int:
    settings = _settings(args)
    knowledge = _load_knowledge(settings)
    print(
        f"{settings.knowledge_dir}/ is fine to build: {counted(knowledge.documents, 'document')}, "
        f"{counted(len(knowledge.passages), 'passage')}, {counted(len(knowledge.warnings), 'warning')}."
    )
    return 0


def cmd_teach(args: argparse.Namespace) -> int:
    from bot.evaluate import read_cases
    from bot.teaching import report, teach_cases

    settings = _settings(args)
    cases, bad_lines = read_cases(args.file)  # each skipped and named: the rest is taught
    passages = _load_knowledge(settings).passages
    lessons = teach_cases(settings.knowledge_dir, cases, passages, settings.max_question_chars)
    print(report(lessons, bad_lines))
    if not any(lesson.added or lesson.already for lesson in lessons):
        print(f"error: nothing in {args.file} could be taught", file=sys.stderr)
        return 1
    if any(lesson.added for lesson in lessons):
        taught = sum(len(lesson.added) for lesson in lessons)
        _audit(settings, "teach", f"{taught} from {args.file}")
        print("Run `python -m bot build` to use them (only the new questions are embedded).")
    return 0


def cmd_build(args: argparse.Namespace) -> int:
    from bot.embedding import SentenceEmbedder
    from bot.index import (
        BuildSummary,
        IndexMismatchError,
        IndexMissingError,
        StaleIndexError,
        build_index,
        load_index,
        require_fresh,
    )
    from bot.index.folder import REBUILD
    from bot.search import prepare_build

    settings = _settings(args)
    embedder = SentenceEmbedder.from_settings(settings.model)
    if args.if_needed:
        try:
            require_fresh(load_index(settings.index_dir, embedder), settings.knowledge_dir)
            print(f"The index in {settings.index_dir}/ is up to date.")
            return 0
        except (IndexMissingError, StaleIndexError, IndexMismatchError) as reason:  # an older format or model too
            # the reason says to run build, which this is doing: the part before that advice
            print(f"Building: {str(reason).split('; ' + REBUILD)[0]}.", file=sys.stderr)
    knowledge = _load_knowledge(settings)

    def audit(summary: BuildSummary) -> None:
        replaced = f"; replaces staged build {summary.replaced_staged}" if summary.replaced_staged else ""
        detail = f"{summary.name}: {summary.changes} ({summary.path}){replaced}"
        _audit(settings, "build (staged)" if args.stage else "build", detail)

    summary = build_index(
        knowledge,
        settings.index_dir,
        embedder,
        progress=not args.quiet,
        settings=settings.index,
        publish=not args.stage,
        prepare=lambda index: prepare_build(index, embedder, settings.search),
        announce=audit,  # before it goes live: a process killed then leaves the line
    )
    print(f"Built {settings.index_dir}/ ({summary.name}): {summary.describe()}")
    if args.stage:
        print("Staged, not live: compare with `python -m bot diff`, then `python -m bot publish`.")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from bot.importer import ImportFailed, Metadata, import_all

    settings = _settings(args)
    given = Metadata(title=args.title, author=args.author, publisher=args.publisher, date=args.date, url=args.url)
    try:
        batch = import_all(
            args.files,
            settings.knowledge_dir,
            given,
            replace=args.replace,
            progress=not args.quiet,
            max_words=settings.passage_max_words,
            min_words=settings.passage_min_words,
        )
    except ImportFailed as err:
        raise BotError(str(err)) from None
    for imported in batch.written:
        _audit(settings, "import", f"{imported.target.name} from {imported.source.name}")
    if not batch.written and len(batch.failed) + len(batch.skipped) == 1:  # one file, refused: say why, as an error
        raise BotError((batch.failed or batch.skipped)[0][1] + ("" if batch.failed else "; --replace overwrites it"))
    print(batch.summary(settings.knowledge_dir))
    return 1 if batch.failed else 0


def cmd_publish(args: argparse.Namespace) -> int:
    from bot.index import publish_staged

    settings = _settings(args)
    name = publish_staged(settings.index_dir, check=_loads(settings))
    _audit(settings, "publish", f"{name} ({settings.index_dir})")
    print(f"Build {name} is now live; `python -m bot rollback` undoes this.")
    return 0


def cmd_rollback(args: argparse.Namespace) -> int:
    from bot.index import restore_knowledge, rollback
    from bot.index.sources import rolled_back_copies

    settings = _settings(args)
    name = rollback(settings.index_dir, check=_loads(settings))
    restored = restore_knowledge(settings.index_dir, settings.knowledge_dir, rolled_back_copies(settings.data_dir))
    _audit(settings, "rollback", f"{name} ({settings.index_dir}); {restored.describe()}")
    print(f"Build {name} is live again; {restored.describe()} `python -m bot rollback` once more undoes both.")
    return 0


def _loads(settings: Settings) -> Callable[[Path], None]:
    """The check publish and rollback make of a build before it goes live: that it loads with the model in use
    (whose files are hashed, not loaded)."""
    from bot.embedding import SentenceEmbedder
    from bot.index import check_build

    return partial(check_build, embedder=SentenceEmbedder.from_settings(settings.model))


def _audit(settings: Settings, action: str, detail: str) -> None:
    """One line in the audit log the console's Activity tab shows, by "cli": what was done from the shell."""
    from bot.audit import AuditLog

    try:
        AuditLog.in_folder(settings.data_dir).record("cli", action, detail)
    except OSError as err:  # done all the same; the log is a record of it, not a condition
        print(f"warning: not in the audit log ({err}); {action}: {detail}", file=sys.stderr)


def cmd_diff(args: argparse.Namespace) -> int:
    from bot.assistant import Assistant
    from bot.evaluate import answer_changes, suite_questions

    settings = _settings(args)
    files = args.files or sorted(Path(settings.eval_dir).glob("*.jsonl"))
    if not files:  # comparing nothing would say that nothing changes
        raise BotError(
            f"No question sets in {settings.eval_dir}/; pass .jsonl files, set BOT_EVAL_DIR, or run from the project "
            "folder."
        )
    questions = suite_questions(files)
    if not questions:  # an urgent set's lines test the notice: nothing to compare would read as nothing changed
        names = ", ".join(str(f) for f in files)
        raise BotError(f'{names}: no line says what answers it ("expect"); diff compares only those.')
    live = _assistant(settings, warn_stale=False)  # a staged build is newer than the live one
    other = Assistant(
        Assistant.load(settings, warn_stale=False, which=args.against.upper()).index, live.embedder, settings
    )
    changes = answer_changes(live, other, questions)
    for question, before, after in changes:
        print(f"- {question!r}\n    live:  {before}\n    {args.against}: {after}")
    print(f"{len(changes)} of {len(questions)} questions get a different first passage from the {args.against} build.")
    return 0


def cmd_ask(args: argparse.Namespace) -> int:
    from bot.render import render_text

    settings = _settings(args)
    assistant = _assistant(settings)
    reply = assistant.ask(args.question, k=args.k)
    if args.json:
        print(json.dumps(reply.to_dict(ranking=args.k or settings.top_k), ensure_ascii=False, indent=2))
    else:
        print(render_text(reply))
    return 0


def _suggestion(threshold: float | None, settings: Settings) -> str:
    if threshold is None:
        return (
            f"suggested threshold: none (no threshold turns away {settings.out_of_scope_target:.0%} of this file's "
            "out-of-scope questions; does it hold any?)"
        )
    return (
        f"suggested threshold: {threshold:.3f} (one step above the lowest that turns away "
        f"{settings.out_of_scope_target:.0%} of the out-of-scope questions; set BOT_MIN_CONFIDENCE to use it)"
    )


def cmd_evaluate(args: argparse.Namespace) -> int:
    from bot.evaluate import as_json, evaluate, load_cases, report, suggested_threshold, sweep, sweep_table

    settings = _settings(args)
    cases = load_cases(args.file)
    metrics, outcomes = evaluate(_assistant(settings), cases)
    if args.sweep:
        suggested = suggested_threshold(outcomes, settings.out_of_scope_target)
        print(f"current threshold: {settings.min_confidence}")
        shown = tuple(t for t in (settings.min_confidence, suggested) if t is not None)
        print(sweep_table(sweep(outcomes, keep=shown)))
        print(_suggestion(suggested, settings))
    elif args.json:
        print(json.dumps(as_json(metrics, outcomes), indent=2))
    else:
        print(report(metrics, outcomes))
    return 0


def cmd_console(args: argparse.Namespace) -> int:
    from bot.console import require_accounts, serve

    settings = Settings.from_env(
        knowledge_dir=args.knowledge, index_dir=args.index, console_host=args.host, console_port=args.port
    )
    require_accounts(settings.console)  # before anything slow: no console without an account
    serve(settings)
    return 0


def cmd_staff(args: argparse.Namespace) -> int:
    """Add, remove or list the console's staff accounts (data_dir/staff.json); changes go to the audit log."""
    from bot.accounts import StaffAccounts

    settings = Settings.from_env()
    accounts = StaffAccounts.from_settings(settings.console)
    if args.action == "list":
        names, stored = accounts.names(), accounts.stored_names()
        for name in names:
            print(name if name in stored else f"{name}  (BOT_STAFF_PASSWORD)")
        if not names:
            print(f"No staff accounts in {accounts.path}; add one with `python -m bot staff add NAME`.")
        return 0
    if args.action == "add":
        if accounts.add(args.name, _new_password(args.name, args.password_stdin)):
            print(f"Added the staff account {args.name} in {accounts.path}.")
        else:
            print(f"Changed the password of {args.name} in {accounts.path}; {SESSIONS_END}")
    else:
        accounts.remove(args.name)
        print(f"Removed the staff account {args.name}; {SESSIONS_END}")
    _audit(settings, f"staff {args.action}", args.name)
    return 0


def _new_password(name: str, from_stdin: bool) -> str:
    """The password: one line of standard input (for scripts), or asked twice at the terminal, never echoed."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise BotError("No terminal to ask for the password on; pipe it in with --password-stdin.")
    import getpass

    password = getpass.getpass(f"Password for {name}: ")
    if getpass.getpass("The same password again: ") != password:
        raise BotError("The two passwords differ; nothing was changed. Run the command again.")
    return password


def cmd_bench(options: list[str]) -> int:
    """Run benchmarks/bench.py with these options: the benchmark lives beside the package, not in it."""
    if not BENCHMARK.is_file():
        raise BotError(f"python -m bot bench runs {BENCHMARK}, which only a checkout of the repository has.")
    return subprocess.call([sys.executable, str(BENCHMARK), *options])


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--knowledge", type=Path, help="knowledge folder (default: knowledge, env BOT_KNOWLEDGE_DIR)")
    common.add_argument("--index", type=Path, help="index folder (default: index, env BOT_INDEX_DIR)")
    commands = main.add_subparsers(dest="command", required=True)

    build = commands.add_parser("build", parents=[common], help="build the index from the knowledge folder")
    build.add_argument(
        "--if-needed", action="store_true", help="only when the index is missing, stale, or of another model or version"
    )
    build.add_argument("--quiet", action="store_true", help="no progress bar")
    build.add_argument("--stage", action="store_true", help="build and check, but do not make it live yet")
    build.set_defaults(run=cmd_build)

    check = commands.add_parser("check", parents=[common], help="validate the knowledge folder without building")
    check.set_defaults(run=cmd_check)

    teach = commands.add_parser(
        "teach", parents=[common], help="teach the questions of a JSON-lines file (the evaluate format) as phrasings"
    )
    teach.add_argument("file", type=Path, help="a JSON-lines file in the evaluate format, one question a line")
    teach.set_defaults(run=cmd_teach)

    importing = commands.add_parser(
        "import", parents=[common], help="turn .html, .docx, .pdf, .md or .txt files into knowledge files"
    )
    importing.add_argument("files", type=Path, nargs="+", help="files, or folders of them")
    importing.add_argument("--title", help="the document's title (default: its own, or its first heading)")
    credit = importing.add_mutually_exclusive_group()
    credit.add_argument("--author", help="who wrote it (default: the document's own author, if it names one)")
    credit.add_argument("--publisher", help="who published it, when no single author is named")
    importing.add_argument("--date", help="when it was published: 2025-12-19, 2025-12 or 2025")
    importing.add_argument("--url", help="where it is published (https://...)")
    importing.add_argument("--replace", action="store_true", help="overwrite a knowledge file of the same name")
    importing.add_argument("--quiet", action="store_true", help="no progress bar")
    importing.set_defaults(run=cmd_import)

    publish = commands.add_parser("publish", parents=[common], help="make the staged build live")
    publish.set_defaults(run=cmd_publish)

    rollback = commands.add_parser("rollback", parents=[common], help="put the previous build back live")
    rollback.set_defaults(run=cmd_rollback)

    diff = commands.add_parser("diff", parents=[common], help="questions whose first passage differs between builds")
    diff.add_argument(
        "files",
        type=Path,
        nargs="*",
        help="question sets in the evaluate format (default: the console's test suites, BOT_EVAL_DIR/*.jsonl)",
    )
    diff.add_argument(
        "--against",
        choices=["staged", "previous"],
        default="staged",
        help="compare the live build with the staged one (default) or with the previous one",
    )
    diff.set_defaults(run=cmd_diff)

    ask = commands.add_parser("ask", parents=[common], help="answer one question")
    ask.add_argument("question", help="the question, as a visitor would type it (quote it)")
    ask.add_argument("-k", type=int, default=None, help="how many passages to consider (default 3)")
    ask.add_argument("--json", action="store_true", help="print the reply as JSON")
    ask.set_defaults(run=cmd_ask)

    evaluate = commands.add_parser("evaluate", parents=[common], help="score retrieval on a JSON-lines question set")
    evaluate.add_argument("file", type=Path, help='a JSON-lines file: {"question": "...", "expect": [...] or null}')
    evaluate.add_argument("--json", action="store_true", help="print metrics and per-question ranks as JSON")
    evaluate.add_argument("--sweep", action="store_true", help="print the trade-off of each confidence threshold")
    evaluate.set_defaults(run=cmd_evaluate)

    # Listed for --help only: main() hands everything after "bench" to benchmarks/bench.py, which has the options.
    commands.add_parser(
        "bench", add_help=False, help="time answers, HTTP load, start-up and memory (runs benchmarks/bench.py)"
    )

    console = commands.add_parser(
        "console", parents=[common], help="serve the staff console (needs a staff account; see README)"
    )
    console.add_argument("--host", help="address to listen on (default 127.0.0.1, env BOT_CONSOLE_HOST)")
    console.add_argument("--port", type=int, help="port (default 7861, env BOT_CONSOLE_PORT)")
    console.set_defaults(run=cmd_console)

    staff = commands.add_parser("staff", help="add, remove or list the console's staff accounts (in BOT_DATA_DIR)")
    actions = staff.add_subparsers(dest="action", required=True)
    add = actions.add_parser("add", help="add an account, or give an existing one a new password (asked for)")
    add.add_argument("name", help="the staff member's sign-in name, one per person")
    add.add_argument("--password-stdin", action="store_true", help="read the password from one line of stdin")
    actions.add_parser("remove", help="remove an account").add_argument("name", help="the account to remove")
    actions.add_parser("list", help="list the accounts' names")
    staff.set_defaults(run=cmd_staff)
    return main


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["bench"]:
        return _run(cmd_bench, argv[1:])
    args = parser().parse_args(argv)
    if getattr(args, "k", None) is not None and args.k < 1:
        print(f"error: -k must be at least 1; got {args.k}", file=sys.stderr)
        return 2
    return _run(args.run, args)


def _run(command: Callable[[Any], int], argument: Any) -> int:
    """Run a command; its errors become one line."""
    try:
        return command(argument)
    except (BotError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted; the live index was left as it was", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader went away (`| head`): no traceback, and none at exit either
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
