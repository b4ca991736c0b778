"""What GET /metrics reports, in Prometheus' text format (the prometheus_client library).

- `faq_questions_total{route, outcome}`: questions by where they came from (`api`: POST /api/ask; `chat`: the
  page; `gradio_api`: Gradio's /gradio_api/call/ask) and how they ended: `answered` (a quoted passage),
  `fallback` (the documents do not answer it), `urgent` (the urgent notice), `refused` (not searched: empty, too
  long, the queue full, or the client over its questions a minute) or `error`.
- `faq_answer_seconds{route}`: how long answering took in the process (a histogram).
- `faq_api_queue_depth`: /api/ask questions waiting for a turn; `faq_model_queue_depth`: questions waiting for
  the model thread.
- `faq_model_batch_questions`: questions per pass through the model (a histogram: micro-batching at work).
- `faq_model_busy_seconds_total` and `faq_model_cpu_seconds_total`: the model thread's time in passes, and the CPU
  time it ran in them (with the model in a process of its own, bot/model_process.py, that process's CPU time).
  Their rate near 1 s a second means the model thread, which every question goes through, is what limits the
  answers a second; the CPU rate below it is the share it ran on a core.
- `faq_index_info{build, model}` (always 1) and `faq_index_passages`: the build being served, read at each
  scrape, so a newly published build shows as soon as this process switches to it.

Each app has its own registry: two apps in one process (the tests) count apart.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, InfoMetricFamily
from prometheus_client.registry import Collector

if TYPE_CHECKING:
    from bot.answer import Reply
    from bot.assistant import Assistant

disable_created_metrics()  # no `_created` timestamp beside every series: they only double what a scrape reads

API, CHAT, GRADIO_API = "api", "chat", "gradio_api"
ROUTES = (API, CHAT, GRADIO_API)
ANSWERED, FALLBACK, URGENT, REFUSED, ERROR = "answered", "fallback", "urgent", "refused", "error"
OUTCOMES = (ANSWERED, FALLBACK, URGENT, REFUSED, ERROR)
CONTENT_TYPE = CONTENT_TYPE_LATEST
# Seconds: a cached reply takes well under 5 ms, an uncached one 20-50 ms alone, more when many wait.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128)


def outcome(reply: Reply, refused: bool) -> str:
    """How a question ended, for the counter: the urgent notice first, as the visitor sees it."""
    if reply.notice:
        return URGENT
    if refused:
        return REFUSED
    return ANSWERED if reply.answered else FALLBACK


class Metrics:
    """The counters of one app; `render()` is the body of GET /metrics."""

    def __init__(self, assistant: Assistant | None = None):
        self.registry = CollectorRegistry()
        self.questions = Counter(
            "faq_questions", "Questions by route and outcome", ["route", "outcome"], registry=self.registry
        )
        for route in ROUTES:
            for name in OUTCOMES:
                self.questions.labels(route, name)  # every series from the start, at 0
        self.latency = Histogram(
            "faq_answer_seconds",
            "Seconds to answer a question",
            ["route"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.batches = Histogram(
            "faq_model_batch_questions",
            "Questions per pass through the model",
            buckets=BATCH_BUCKETS,
            registry=self.registry,
        )
        self.api_queue = Gauge("faq_api_queue_depth", "/api/ask questions waiting for a turn", registry=self.registry)
        if assistant is not None:
            self.registry.register(_Serving(assistant))

    def count(self, route: str, reply: Reply, seconds: float, refused: bool = False) -> None:
        self.questions.labels(route, outcome(reply, refused)).inc()
        self.latency.labels(route).observe(seconds)

    def refuse(self, route: str) -> None:
        """A question turned away before it was read (the queue full)."""
        self.questions.labels(route, REFUSED).inc()

    def refuse_path(self, path: str) -> None:
        """A question to an API path turned away before any route saw it (the client over its limit: 429)."""
        self.refuse(API if path.startswith("/api/") else GRADIO_API)

    def error(self, route: str) -> None:
        self.questions.labels(route, ERROR).inc()

    def batch(self, questions: int) -> None:
        self.batches.observe(questions)

    def render(self) -> bytes:
        return generate_latest(self.registry)


class _Serving(Collector):
    """The build being served and the model's queue, read when Prometheus scrapes."""

    def __init__(self, assistant: Assistant):
        self.assistant = assistant

    def collect(self):
        index = self.assistant.index
        info = InfoMetricFamily("faq_index", "The index build being served")
        info.add_metric([], {"build": index.path.name, "model": index.manifest["model"]})
        yield info
        yield GaugeMetricFamily("faq_index_passages", "Passages in the build being served", len(index.passages))
        embedder = self.assistant.embedder
        waiting = getattr(embedder, "waiting", 0)
        yield GaugeMetricFamily("faq_model_queue_depth", "Questions waiting for the model thread", waiting)
        if hasattr(embedder, "busy_seconds"):  # a BatchedEmbedder: one model thread
            yield CounterMetricFamily(
                "faq_model_busy_seconds", "Seconds the model thread spent in passes", embedder.busy_seconds
            )
            yield CounterMetricFamily(
                "faq_model_cpu_seconds", "CPU seconds the model thread ran in its passes", embedder.busy_cpu_seconds
            )
