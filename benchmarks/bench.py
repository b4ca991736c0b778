"""How fast the assistant answers and what it costs to run, against fixed targets.

    python benchmarks/bench.py [--questions 300] [--requests 192] [--clients 1,8,32] [--soak 6000] [--no-http]
        [--out bench.json]

(`python -m bot bench ...` runs this file too, from a checkout of the repository.)

It builds the current knowledge folder into a temporary index (the build time), starts app.py on it
(process start to first answer), loads its HTTP API with 1, 8 and 32 concurrent clients by plain HTTP
(latency, throughput, errors), soaks it with a long run of API calls (its memory after each tenth: flat over the
last half when bounded), reads the server's peak memory, and then times answers in process,
beside the raw model encode of the same queries, so their ratio is the pipeline's own overhead.
Every question asked is distinct, so no reply comes from the cache, except in the rows that say so.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.config import Settings  # noqa: E402

from http_client import RunningApp, call, launch_app, wait_until_up  # noqa: E402  (benchmarks/, next to this file)
from load import API, RESPOND, Latency, load, memory_mb  # noqa: E402
from report import table, targets  # noqa: E402
from soak import soak  # noqa: E402

EVAL_SETS = (ROOT / "tests" / "eval" / "tuning.jsonl", ROOT / "tests" / "eval" / "heldout.jsonl")
# Rewordings that make a question new to the reply cache while keeping it a visitor's question.
REWORDINGS = ("{q}", "Please tell me: {q}", "{q} Thanks!", "Quick question. {q}", "I was wondering, {q}")
WARM_UP_QUESTIONS = 20
SOAK_CLIENTS = 8
SOAK_QUESTIONS = 1000  # asked over and over in the soak: more than the reply cache holds, so each is new to it


def questions(settings: Settings, count: int, skip: int = 0) -> list[str]:
    """`count` distinct visitor-like questions: the evaluation sets, FAQ questions and headings,
    passages' opening sentences, each then reworded; shuffled with a fixed seed."""
    from bot.embedding import SentenceEmbedder
    from bot.index import load_index

    base: list[str] = []
    for path in EVAL_SETS:
        if path.is_file():
            base += [json.loads(line)["question"] for line in path.read_text(encoding="utf-8").splitlines() if line]
    for passage in load_index(settings.index_dir, SentenceEmbedder.from_settings(settings.model)).passages:
        base += [passage.heading.split(" › ")[-1], passage.text.split(". ")[0][:200]]
    base = list(dict.fromkeys(q.strip() for q in base if q.strip()))
    random.Random(7).shuffle(base)
    pool = list(dict.fromkeys(form.format(q=q) for form in REWORDINGS for q in base))
    if skip + count > len(pool):
        raise ValueError(f"only {len(pool)} distinct questions can be made; ask for fewer (--questions, --requests)")
    return pool[skip : skip + count]


def time_each(function: Callable[[str], object], items: Iterable[str]) -> list[float]:
    seconds = []
    for item in items:
        started = time.perf_counter()
        function(item)
        seconds.append(time.perf_counter() - started)
    return seconds


def in_process(settings: Settings, asked: list[str], examples: list[str]) -> dict:
    """Answer latency of Assistant.ask without its cache, the raw model encode of the same questions
    (interleaved, so both see the same machine), and cached answers of the example questions."""
    from bot.assistant import Assistant
    from bot.embedding import limit_threads

    limit_threads(settings.serve)  # the threads each answer gets in the app (and the CLI)
    uncached = Assistant.load(settings.replace(answer_cache_size=0), follow_live=True)
    uncached.warm_up()
    model = uncached.embedder.model

    def encode(question: str) -> object:
        return model.encode([question], normalize_embeddings=True, convert_to_numpy=True)

    for question in asked[:WARM_UP_QUESTIONS]:
        uncached.ask(question)
        encode(question)
    answer_s: list[float] = []
    encode_s: list[float] = []
    for question in asked:
        answer_s += time_each(uncached.ask, [question])
        encode_s += time_each(encode, [question])
    cached = Assistant(uncached.index, uncached.embedder, settings, follow_live=True)
    for question in examples:
        cached.ask(question)
    cached_s = time_each(cached.ask, [q for _ in range(40) for q in examples])
    answer, model_encode = Latency.of(answer_s), Latency.of(encode_s)
    return {
        "answer": asdict(answer),
        "model_encode": asdict(model_encode),
        "cached_answer": asdict(Latency.of(cached_s)),
        "overhead_p50": round(answer.p50 / model_encode.p50, 2),
    }


def build(settings: Settings) -> float:
    """Wall time of `python -m bot build --quiet` as staff run it, process start included."""
    command = [sys.executable, "-m", "bot", "build", "--quiet"]
    command += ["--knowledge", str(settings.knowledge_dir), "--index", str(settings.index_dir)]
    started = time.perf_counter()
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if result.returncode:
        raise RuntimeError(f"the build failed:\n{result.stderr}")
    return round(time.perf_counter() - started, 2)


def serve(settings: Settings) -> tuple[RunningApp, float]:
    """Start app.py on the benchmark's index; seconds from process start to the first answer."""
    env = {
        **os.environ,
        "BOT_INDEX_DIR": str(settings.index_dir),
        "BOT_KNOWLEDGE_DIR": str(settings.knowledge_dir),
        "BOT_DATA_DIR": str(settings.data_dir),  # the benchmark's questions stay out of the real visit log
        "BOT_QUESTIONS_PER_MINUTE": "0",  # every question comes from one address
    }
    started = time.perf_counter()
    app = launch_app(ROOT, env=env)
    wait_until_up(app, wait=300)
    final = call(app.base, "respond", "What are NK cells?", [])
    if final.event != "complete":
        app.stop()
        raise RuntimeError(f"the first question failed: {final}")
    return app, round(time.perf_counter() - started, 2)


def run(
    settings: Settings,
    asked_count: int,
    requests_per_level: int,
    levels: Sequence[int],
    http: bool,
    soaked: int = 0,
    api_levels: Sequence[int] = (),
) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix="bot-bench-"))
    settings = settings.replace(
        index_dir=workdir / "index", knowledge_dir=settings.knowledge_dir.resolve(), data_dir=workdir / "data"
    )
    try:
        results: dict = {"machine": machine(), "settings": _load_settings(settings)}
        results["startup"] = {"build_s": build(settings), "rebuild_unchanged_s": build(settings)}
        from bot.embedding import SentenceEmbedder
        from bot.index import load_index

        examples = list(load_index(settings.index_dir, SentenceEmbedder.from_settings(settings.model)).site.examples)
        if http:
            app, cold = serve(settings)
            try:
                results["startup"]["cold_start_s"] = cold
                plan = [(RESPOND, clients) for clients in levels] + [(API, clients) for clients in api_levels]
                size = requests_per_level
                pool = questions(settings, size * len(plan), skip=asked_count)
                pid = app.process.pid
                runs = [
                    load(app.base, pid, pool[i * size : (i + 1) * size], clients, route)
                    for i, (route, clients) in enumerate(plan)
                ]
                repeats = [examples[i % len(examples)] for i in range(requests_per_level)]
                runs.append(load(app.base, pid, repeats, max(levels), cached=True))
                results["http"] = [asdict(r) for r in runs]
                if soaked:
                    asked = questions(settings, SOAK_QUESTIONS)
                    results["soak"] = asdict(soak(app.base, pid, asked, soaked, SOAK_CLIENTS))
                results["startup"]["server_peak_rss_mb"] = memory_mb(pid)
                results["startup"]["server_rss_after_load_mb"] = memory_mb(pid, "VmRSS")
            finally:
                app.stop()
        results["in_process"] = in_process(settings, questions(settings, asked_count), examples)
        results["targets"] = [asdict(t) | {"met": t.met} for t in targets(results)]
        return results
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def machine() -> dict:
    import torch

    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "torch_threads": torch.get_num_threads(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def _load_settings(settings: Settings) -> dict:
    return {
        "concurrency_limit": settings.concurrency_limit,
        "queue_size": settings.queue_size,
        "answer_cache_size": settings.answer_cache_size,
        "batch_window_ms": settings.batch_window_ms,
        "batch_max": settings.batch_max,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--knowledge", type=Path, help="knowledge folder (default: knowledge, env BOT_KNOWLEDGE_DIR)")
    parser.add_argument("--index", type=Path, help="index folder (default: index, env BOT_INDEX_DIR)")
    parser.add_argument("--questions", type=int, default=300, help="distinct questions timed in process")
    parser.add_argument("--requests", type=int, default=192, help="HTTP requests at each number of clients")
    parser.add_argument("--clients", default="1,8,32", help="concurrent clients of /respond (comma-separated)")
    parser.add_argument("--api-clients", default="1,8,32,64", help="concurrent clients of /api/ask (comma-separated)")
    parser.add_argument("--soak", type=int, default=6000, help="API calls in the memory soak after the load (0: none)")
    parser.add_argument("--no-http", action="store_true", help="in-process timings and build time only")
    parser.add_argument("--out", type=Path, default=Path("bench.json"), help="where to write the results as JSON")
    args = parser.parse_args(argv)
    settings = Settings.from_env(knowledge_dir=args.knowledge, index_dir=args.index)
    levels = [int(n) for n in args.clients.split(",")]
    api_levels = [int(n) for n in args.api_clients.split(",") if n]
    results = run(settings, args.questions, args.requests, levels, not args.no_http, args.soak, api_levels)
    print(table(results))
    args.out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
