"""HTTP load against a running app, for benchmarks/bench.py: clients asking back to back, each reply read whole
and checked, with the server's CPU per request, its memory and (from /metrics) the model's batch sizes.

Two routes: Gradio's `/gradio_api/call/respond` (the chat's own API: POST, then the event stream) and the lean
`POST /api/ask` (one JSON response). Either way a reply counts only when its payload is a complete reply to the
question asked: the status alone says nothing of what came back.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import requests

from http_client import ask, call

RESPOND, API = "respond", "api"
BATCH_METRIC = "faq_model_batch_questions"
MODEL_BUSY_METRIC, MODEL_CPU_METRIC = "faq_model_busy_seconds_total", "faq_model_cpu_seconds_total"

# One question asked: None when the reply is complete, else what was wrong with it (and whether it was "busy").
Asker = Callable[[str, str, requests.Session], tuple[str | None, bool]]


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
    """One run of concurrent clients against one route."""

    clients: int
    requests: int
    errors: int  # anything but a complete reply: busy, error event or status, a wrong payload, a failed connection
    busy: int
    latency: Latency
    throughput: float  # complete replies per second
    server_cpu_ms: float  # the server's CPU time (all threads) per request: what one request costs it
    # what one request cost the model's process (in server_cpu_ms too), and this load generator's own process:
    # on one machine the clients spend the cores the server would otherwise have
    model_cpu_ms: float = 0.0
    client_cpu_ms: float = 0.0
    cached: bool = False
    route: str = RESPOND
    batches: dict[str, float] = field(default_factory=dict)  # questions per model pass: mean and the largest bucket
    # the model thread's share of the wall time spent in passes ("busy", near 1: it limits the rate), and the share
    # of that it ran on a core ("on_cpu"; the rest it waited for a core or the GIL)
    model_thread: dict[str, float] = field(default_factory=dict)
    error_samples: list[str] = field(default_factory=list)


def respond_reply(base: str, question: str, session: requests.Session) -> tuple[str | None, bool]:
    """The chat's API: its final event must be "complete", its chat end with the reply and the disclaimer."""
    final = call(base, "respond", question, [], session=session, timeout=120)
    if final.event != "complete":
        return f"{final.event}: {final.data}", final.event == "busy"
    history = final.data[0] if final.data else []
    if len(history) != 2 or history[-1].get("role") != "assistant" or not history[-1].get("content"):
        return f"not a reply: {str(final.data)[:150]}", False
    return None, False


def api_reply(base: str, question: str, session: requests.Session) -> tuple[str | None, bool]:
    """POST /api/ask: 200, and JSON that answers this question (passages when answered, else a message), with
    the disclaimer."""
    response = ask(base, question, session=session, timeout=120)
    if response.status_code != 200:
        return f"{response.status_code}: {response.text[:150]}", response.status_code in (429, 503)
    reply = response.json()
    complete = (
        reply.get("question") == question
        and bool(reply.get("disclaimer"))
        and (
            bool(reply.get("passages")) if reply.get("answered") else bool(reply.get("message") or reply.get("notice"))
        )
    )
    return (None, False) if complete else (f"not a reply to the question: {str(reply)[:150]}", False)


ASKERS: dict[str, Asker] = {RESPOND: respond_reply, API: api_reply}


def load(base: str, pid: int, asked: list[str], clients: int, route: str = RESPOND, cached: bool = False) -> LoadLevel:
    """`clients` threads, each with its own connection, asking their share of `asked` back to back."""
    shares = [asked[i::clients] for i in range(clients)]
    asker = ASKERS[route]
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
                    problem, refused = asker(base, question, session)
                except (requests.RequestException, ConnectionError, ValueError) as err:
                    problem, refused = f"{type(err).__name__}: {err}", False
                elapsed = time.perf_counter() - started
                with lock:
                    if problem is None:
                        latencies.append(elapsed)
                    else:
                        problems.append(problem[:200])
                        busy += refused

    batches_before = batch_counts(base)
    started, cpu, own = time.perf_counter(), cpu_seconds(pid), time.process_time()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        list(pool.map(client, shares))
    wall, cpu, own = time.perf_counter() - started, cpu_seconds(pid) - cpu, time.process_time() - own
    after = batch_counts(base)
    per_request = 1000 / max(1, len(asked))
    return LoadLevel(
        clients=clients,
        requests=len(asked),
        errors=len(problems),
        busy=busy,
        latency=Latency.of(latencies),
        throughput=round(len(latencies) / wall, 1),
        server_cpu_ms=round(cpu * per_request, 1),
        model_cpu_ms=round((after.get(MODEL_CPU_METRIC, 0) - batches_before.get(MODEL_CPU_METRIC, 0)) * per_request, 1),
        client_cpu_ms=round(own * per_request, 1),
        cached=cached,
        route=route,
        batches=batch_summary(batches_before, after),
        model_thread=model_thread_summary(batches_before, after, wall),
        error_samples=sorted(set(problems))[:5],
    )


def batch_counts(base: str) -> dict[str, float]:
    """The model's batch-size histogram from /metrics (cumulative counts by bucket, and the sum and count), and the
    model thread's seconds in passes and CPU seconds in them."""
    try:
        text = requests.get(f"{base}/metrics", timeout=10).text
    except requests.RequestException:
        return {}
    counts = {}
    for line in text.splitlines():
        if line.startswith((BATCH_METRIC, MODEL_BUSY_METRIC, MODEL_CPU_METRIC)):
            name, value = line.rsplit(" ", 1)
            counts[name.removeprefix(BATCH_METRIC)] = float(value)
    return counts


def batch_summary(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    """Questions per model pass during one load level: the mean, and the smallest bucket that held them all."""
    passes = after.get("_count", 0) - before.get("_count", 0)
    if passes <= 0:
        return {}
    questions = after.get("_sum", 0) - before.get("_sum", 0)
    largest = next(
        (
            float(key.split('"')[1])
            for key in sorted(after, key=_bucket_bound)
            if key.startswith("_bucket") and after[key] - before.get(key, 0) >= passes
        ),
        float("nan"),
    )
    return {"passes": passes, "mean": round(questions / passes, 2), "max_bucket": largest}


def model_thread_summary(before: dict[str, float], after: dict[str, float], wall: float) -> dict[str, float]:
    """The model thread's time in passes during one load level, as a share of the level's wall time, and the share
    of that time it ran on a core."""
    busy = after.get(MODEL_BUSY_METRIC, 0) - before.get(MODEL_BUSY_METRIC, 0)
    cpu = after.get(MODEL_CPU_METRIC, 0) - before.get(MODEL_CPU_METRIC, 0)
    if busy <= 0 or wall <= 0:
        return {}
    return {"busy": round(busy / wall, 2), "on_cpu": round(cpu / busy, 2)}


def _bucket_bound(key: str) -> float:
    return float(key.split('"')[1].replace("+Inf", "inf")) if key.startswith("_bucket") else float("inf")


def process_tree(pid: int) -> list[int]:
    """The process and its descendants (the server and its model's process), from /proc (Linux)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except OSError:  # it exited meanwhile
            continue
        children.setdefault(parent, []).append(int(entry.name))
    tree, unseen = [], [pid]
    while unseen:
        tree.append(unseen.pop())
        unseen += children.get(tree[-1], [])
    return tree


def cpu_seconds(pid: int) -> float:
    """User + system CPU time so far of a process and its descendants (Linux: /proc/PID/stat)."""
    total = 0.0
    for member in process_tree(pid):
        try:
            fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def memory_mb(pid: int, which: str = "VmHWM") -> float:
    """The resident memory of a process and its descendants, summed: now (VmRSS) or each at its peak (VmHWM),
    from /proc/PID/status (Linux). Pages they share (the libraries both map) count once in each."""
    total = 0
    for member in process_tree(pid):
        try:
            lines = Path(f"/proc/{member}/status").read_text().splitlines()
        except OSError:
            continue
        total += next((int(line.split()[1]) for line in lines if line.startswith(f"{which}:")), 0)
    if not total:
        raise RuntimeError(f"no {which} for process {pid}; memory is measured on Linux only")
    return round(total / 1024, 1)
