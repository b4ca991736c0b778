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
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.config import Settings  # noqa: E402

from http_client import RunningApp, call, launch_app, wait_until_up  # noqa: E402  (benchmarks/, next to this file)
from report import table, targets  # noqa: E402
from soak import soak  # noqa: E402

EVAL_SETS = (ROOT / "tests" / "eval" / "tuning.jsonl", ROOT / "tests" / "eval" / "heldout.jsonl")
# Rewordings that make a question new to the reply cache while keeping it a visitor's question.
REWORDINGS = ("{q}", "Please tell me: {q}", "{q} Thanks!", "Quick question. {q}", "I was wondering, {q}")
WARM_UP_QUESTIONS = 20
SOAK_CLIENTS = 8
SOAK_QUESTIONS = 1000  # asked over and over in the soak: more than the reply cache holds, so each is new to it


@dataclass(frozen=True)
class Latency:
    """Milliseconds over a number of calls."""

    count: int
    p50: float
    p95: float
    p99: float
    mean: float

    @classmethod
    def of(cls, seconds: Sequence[float]) -> Latency:
        if not seconds:
            return cls(0, float("nan"), float("nan"), float("nan"), float("nan"))
        ms = np.asarray(seconds) * 1000
        p50, p95, p99 = np.percentile(ms, [50, 95, 99])
        return cls(
            len(ms), round(float(p50), 2), round(float(p95), 2), round(float(p99), 2), round(float(ms.mean()), 2)
        )


@dataclass(frozen=True)
class LoadLevel:
    """One run of concurrent clients against the HTTP API."""

    clients: int
    requests: int
    errors: int  # anything but a complete reply: busy, error event, HTTP or connection failure
    busy: int
    latency: Latency
    throughput: float  # completed replies per second
    server_cpu_ms: float  # the server's CPU time (all threads) per request: what one request costs it
    cached: bool = False
    error_samples: list[str] = field(default_factory=list)


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


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux: /proc/PID/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load(base: str, pid: int, asked: list[str], clients: int, cached: bool = False) -> LoadLevel:
    """`clients` threads, each with its own connection, asking their share of `asked` back to back."""
    shares = [asked[i::clients] for i in range(clients)]
    latencies: list[float] = []
    problems: list[str] = []
    busy = 0
    lock = threading.Lock()

    def client(share: list[str]) -> None:
        nonlocal busy
        with requests.Session() as session:
            for question in share:
                started = time.perf_counter()
                try:
                    final = call(base, "respond", question, [], session=session, timeout=120)
                    problem = None if final.event == "complete" else f"{final.event}: {final.data}"
                except (requests.RequestException, ConnectionError, ValueError) as err:
                    final, problem = None, f"{type(err).__name__}: {err}"
                elapsed = time.perf_counter() - started
                with lock:
                    if problem is None:
                        latencies.append(elapsed)
                    else:
                        problems.append(problem[:200])
                        busy += final is not None and final.event == "busy"

    started, cpu = time.perf_counter(), cpu_seconds(pid)
    with ThreadPoolExecutor(max_workers=clients) as pool:
        list(pool.map(client, shares))
    wall, cpu = time.perf_counter() - started, cpu_seconds(pid) - cpu
    return LoadLevel(
        clients=clients,
        requests=len(asked),
        errors=len(problems),
        busy=busy,
        latency=Latency.of(latencies),
        throughput=round(len(latencies) / wall, 1),
        server_cpu_ms=round(1000 * cpu / max(1, len(asked)), 1),
        cached=cached,
        error_samples=sorted(set(problems))[:5],
    )


def peak_rss_mb(pid: int) -> float:
    """The process's high-water resident memory (Linux: VmHWM in /proc/PID/status)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    raise RuntimeError(f"no VmHWM for process {pid}; peak RSS is measured on Linux only")


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
    settings: Settings, asked_count: int, requests_per_level: int, levels: Sequence[int], http: bool, soaked: int = 0
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
                pool = questions(settings, requests_per_level * len(levels), skip=asked_count)
                chunks = [pool[i * requests_per_level : (i + 1) * requests_per_level] for i in range(len(levels))]
                pid = app.process.pid
                runs = [load(app.base, pid, chunk, clients) for clients, chunk in zip(levels, chunks, strict=True)]
                repeats = [examples[i % len(examples)] for i in range(requests_per_level)]
                runs.append(load(app.base, pid, repeats, max(levels), cached=True))
                results["http"] = [asdict(r) for r in runs]
                if soaked:
                    asked = questions(settings, SOAK_QUESTIONS)
                    results["soak"] = asdict(soak(app.base, pid, asked, soaked, SOAK_CLIENTS))
                results["startup"]["server_peak_rss_mb"] = peak_rss_mb(app.process.pid)
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
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--knowledge", type=Path, help="knowledge folder (default: knowledge, env BOT_KNOWLEDGE_DIR)")
    parser.add_argument("--index", type=Path, help="index folder (default: index, env BOT_INDEX_DIR)")
    parser.add_argument("--questions", type=int, default=300, help="distinct questions timed in process")
    parser.add_argument("--requests", type=int, default=192, help="HTTP requests at each number of clients")
    parser.add_argument("--clients", default="1,8,32", help="numbers of concurrent HTTP clients (comma-separated)")
    parser.add_argument("--soak", type=int, default=6000, help="API calls in the memory soak after the load (0: none)")
    parser.add_argument("--no-http", action="store_true", help="in-process timings and build time only")
    parser.add_argument("--out", type=Path, default=Path("bench.json"), help="where to write the results as JSON")
    args = parser.parse_args(argv)
    settings = Settings.from_env(knowledge_dir=args.knowledge, index_dir=args.index)
    levels = [int(n) for n in args.clients.split(",")]
    results = run(settings, args.questions, args.requests, levels, not args.no_http, args.soak)
    print(table(results))
    args.out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
