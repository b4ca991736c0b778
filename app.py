"""Serve the visitor chat: `python app.py [--host HOST] [--port PORT] [--knowledge DIR] [--index DIR]`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.config import Settings
from bot.errors import BotError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", help="address to listen on (default 127.0.0.1, env BOT_HOST)")
    parser.add_argument("--port", type=int, help="port (default 7860, env BOT_PORT)")
    parser.add_argument("--knowledge", type=Path, help="knowledge folder (env BOT_KNOWLEDGE_DIR)")
    parser.add_argument("--index", type=Path, help="index folder (env BOT_INDEX_DIR)")
    args = parser.parse_args(argv)
    from bot.api import api_routes
    from bot.assistant import Assistant
    from bot.batching import BatchedEmbedder
    from bot.limits import QuestionLimits
    from bot.memory import bound_malloc_arenas
    from bot.metrics import Metrics
    from bot.model_process import ProcessEmbedder
    from bot.ui import VisitorChat, build_visitor_app, cannot_listen, launch
    from bot.visits import VisitLog

    embedder = None
    try:
        settings = Settings.from_env(host=args.host, port=args.port, knowledge_dir=args.knowledge, index_dir=args.index)
        bound_malloc_arenas(settings.malloc_arenas)  # before the model's and the server's threads start
        batching = ProcessEmbedder if settings.model_process else BatchedEmbedder
        embedder = batching.batched(settings.model, settings.serve)  # one model pass for questions together
        if isinstance(embedder, ProcessEmbedder):
            embedder.start()  # the child loads the model while this process loads the index
        assistant = Assistant.load(settings, follow_live=True, embedder=embedder)
        visits = VisitLog.open(settings)  # None when BOT_VISIT_LOG=0
        limits = QuestionLimits(settings.questions)  # shared by the chat's functions and the API's middleware
    except (BotError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        if isinstance(embedder, ProcessEmbedder):
            embedder.close()  # the child loading the model stops now, not when it finds the pipe closed
        return 2
    metrics = Metrics(assistant)
    embedder.on_batch = metrics.batch
    limits.on_refused = metrics.refuse_path  # the API's 429s, answered by the middleware before any route
    assistant.warm_up()
    routes = api_routes(VisitorChat(assistant, visits, limits, metrics), metrics, settings.serve)
    try:
        app = build_visitor_app(assistant, visits, limits, metrics)
        launch(app, settings.serve, limits, routes, urgent=lambda message: assistant.urgent_reply(message) is not None)
    except (OSError, OverflowError) as err:
        print(f"error: {cannot_listen(settings.host, settings.port, err, 'BOT')}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
