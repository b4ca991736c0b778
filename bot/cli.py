"""Command line: build the index, ask a question, evaluate; errors become one-line messages."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from bot.config import Settings
from bot.errors import BotError


def _settings(args: argparse.Namespace) -> Settings:
    return Settings.from_env(knowledge_dir=args.knowledge, index_dir=args.index)


def cmd_build(args: argparse.Namespace) -> int:
    from bot.embedding import Embedder
    from bot.index import IndexMissingError, StaleIndexError, build_index, load_index, require_fresh
    from bot.knowledge import load_knowledge

    settings = _settings(args)
    if args.if_needed:
        try:
            require_fresh(load_index(settings.index_dir, settings.model_name), settings.knowledge_dir)
            print(f"The index in {settings.index_dir}/ is up to date.")
            return 0
        except (IndexMissingError, StaleIndexError) as reason:
            print(f"Building: {reason}", file=sys.stderr)
    knowledge = load_knowledge(settings.knowledge_dir, settings.passage_max_words, settings.passage_min_words)
    for problem in knowledge.problems:
        print(problem, file=sys.stderr)
    embedder = Embedder(settings.resolved_model_path(), settings.model_name, settings.embed_batch_size)
    summary = build_index(knowledge, settings.index_dir, embedder, not args.quiet, settings.embed_options())
    print(
        f"Built {settings.index_dir}/: {summary.documents} documents, {summary.passages} passages, "
        f"{summary.vectors} vectors, {len(summary.warnings)} warnings, {summary.seconds:.1f} s."
    )
    return 0


def cmd_ask(args: argparse.Namespace) -> int:
    from bot.answer import Assistant, render_text

    settings = _settings(args)
    assistant = Assistant.load(settings)
    reply = assistant.ask(args.question, k=args.k)
    if args.json:
        data = reply.to_dict()
        data["passages"] = data["passages"][: args.k or settings.top_k]
        print(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        print(render_text(reply))
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from bot.answer import Assistant
    from bot.evaluate import as_json, evaluate, load_cases, report, sweep, sweep_table

    settings = _settings(args)
    cases = load_cases(args.file)
    metrics, outcomes = evaluate(Assistant.load(settings), cases)
    if args.sweep:
        print(f"current threshold: {settings.min_confidence}")
        print(sweep_table(sweep(outcomes)))
    elif args.json:
        print(json.dumps(as_json(metrics, outcomes), indent=2))
    else:
        print(report(metrics, outcomes))
    return 0


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--knowledge", type=Path, help="knowledge folder (default: knowledge, env BOT_KNOWLEDGE_DIR)")
    common.add_argument("--index", type=Path, help="index folder (default: index, env BOT_INDEX_DIR)")
    commands = main.add_subparsers(dest="command", required=True)

    build = commands.add_parser("build", parents=[common], help="build the index from the knowledge folder")
    build.add_argument("--if-needed", action="store_true", help="only when the index is missing or stale")
    build.add_argument("--quiet", action="store_true", help="no progress bar")
    build.set_defaults(run=cmd_build)

    ask = commands.add_parser("ask", parents=[common], help="answer one question")
    ask.add_argument("question")
    ask.add_argument("-k", type=int, default=None, help="how many passages to consider (default 3)")
    ask.add_argument("--json", action="store_true", help="print the reply as JSON")
    ask.set_defaults(run=cmd_ask)

    evaluate = commands.add_parser("evaluate", parents=[common], help="score retrieval on a JSON-lines question set")
    evaluate.add_argument("file", type=Path)
    evaluate.add_argument("--json", action="store_true", help="print metrics and per-question ranks as JSON")
    evaluate.add_argument("--sweep", action="store_true", help="print the trade-off of each confidence threshold")
    evaluate.set_defaults(run=cmd_evaluate)
    return main


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if getattr(args, "k", None) is not None and args.k < 1:
        print(f"error: -k must be at least 1; got {args.k}", file=sys.stderr)
        return 2
    try:
        return args.run(args)
    except (BotError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted; the live index was left as it was", file=sys.stderr)
        return 130
