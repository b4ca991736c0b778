"""The soak row of benchmarks/bench.py: a long run of questions against the running app, its resident memory
read after each tenth of the run. A server whose memory is bounded levels off: over the last half of the run it
grows by no more than noise."""

from __future__ import annotations

import itertools
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import requests

from http_client import call
from load import memory_mb

SLICES = 10  # memory readings over the run


@dataclass(frozen=True)
class Soak:
    requests: int
    clients: int
    errors: int
    seconds: float
    rss_mb: list[float]  # the server's resident memory after each slice of the run
    growth_last_half_mb: float  # the last reading less the one at half-way


def rss_mb(pid: int) -> float:
    """The server's resident memory now, its model's process included (load.memory_mb)."""
    return memory_mb(pid, "VmRSS")


def soak(base: str, pid: int, pool: list[str], count: int, clients: int) -> Soak:
    """`count` questions (the pool over and over; with more questions than the reply cache holds, each is new to
    it) from `clients` threads, each with its own connection, as a stream of API calls: each is a session of its
    own, the most Gradio has to remember."""
    asked = list(itertools.islice(itertools.cycle(pool), count))
    slices = [asked[i * count // SLICES : (i + 1) * count // SLICES] for i in range(SLICES)]
    errors = 0
    lock = threading.Lock()
    readings: list[float] = []

    def client(share: list[str]) -> None:
        nonlocal errors
        with requests.Session() as session:
            for question in share:
                try:
                    failed = call(base, "ask", question, session=session, timeout=120).event != "complete"
                except (requests.RequestException, ConnectionError, ValueError):
                    failed = True
                with lock:
                    errors += failed

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool_of_clients:
        for part in slices:
            list(pool_of_clients.map(client, [part[i::clients] for i in range(clients)]))
            readings.append(rss_mb(pid))
    return Soak(
        requests=count,
        clients=clients,
        errors=errors,
        seconds=round(time.perf_counter() - started, 1),
        rss_mb=readings,
        growth_last_half_mb=round(readings[-1] - readings[len(readings) // 2 - 1], 1),
    )
