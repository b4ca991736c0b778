"""The results of benchmarks/bench.py against the issue's targets for a 2-core machine, and as plain-text
tables."""

from __future__ import annotations

from dataclasses import dataclass

from load import API, RESPOND

BUSY_LOAD = 0.7  # a 1-minute load average above this at the start: something else is using the CPU


@dataclass(frozen=True)
class Target:
    metric: str
    value: float
    limit: float
    unit: str
    at_least: bool = False  # the value must reach the limit (a rate), not stay under it

    @property
    def met(self) -> bool:
        return self.value >= self.limit if self.at_least else self.value <= self.limit


def targets(results: dict) -> list[Target]:
    """The issue's targets for a 2-core machine, with this run's values."""
    found: list[Target] = []
    process = results.get("in_process")
    if process:
        found.append(Target("in-process answer p50", process["answer"]["p50"], 20, "ms"))
        found.append(Target("pipeline ÷ model encode (p50)", process["overhead_p50"], 1.2, "×"))
    uncached = [level for level in results.get("http", []) if not level["cached"]]
    levels = {(level.get("route", RESPOND), level["clients"]): level for level in uncached}
    respond = levels.get((RESPOND, 32))
    if respond:
        found.append(Target("/respond p95, 32 clients", respond["latency"]["p95"], 600, "ms"))
        found.append(Target("/respond errors, 32 clients", respond["errors"], 0, ""))
    api, alone = levels.get((API, 32)), levels.get((API, 1))
    if api:
        found.append(Target("/api/ask p95, 32 clients", api["latency"]["p95"], 250, "ms"))
        found.append(Target("/api/ask answers/s, 32 clients", api["throughput"], 120, "/s", at_least=True))
        found.append(Target("/api/ask errors, 32 clients", api["errors"], 0, ""))
    if api and alone:
        p95_ratio = _ratio(api["latency"]["p95"], alone["latency"]["p50"])
        found.append(Target("/api/ask p95 32 ÷ p50 1 client", p95_ratio, 10, "×"))
        rate_ratio = _ratio(api["throughput"], alone["throughput"])
        found.append(Target("/api/ask rate 32 ÷ 1 client", rate_ratio, 4, "×", at_least=True))
    startup = results["startup"]
    if "cold_start_s" in startup:
        found.append(Target("cold start to first answer", startup["cold_start_s"], 15, "s"))
        found.append(Target("server peak RSS", startup["server_peak_rss_mb"], 1536, "MB"))
        found.append(Target("server RSS after the load", startup["server_rss_after_load_mb"], 1024, "MB"))
    if "soak" in results:
        found.append(Target("RSS growth, last half of soak", results["soak"]["growth_last_half_mb"], 20, "MB"))
        found.append(Target("soak errors", results["soak"]["errors"], 0, ""))
    return found


def cpu_budget(results: dict) -> list[str]:
    """What the /api/ask targets at 32 clients ask of each answer's CPU on this machine, beside what an answer
    cost in this run: a rate R on C cores leaves C / R seconds of CPU an answer, the server's and the clients'
    together when they share the machine. Clients asking back to back wait on average clients / R for a reply
    (Little's law), so a p95 can be no lower than that mean."""
    levels = {level["clients"]: level for level in results.get("http", []) if level.get("route") == API}
    crowd, alone = levels.get(32), levels.get(1)
    if not crowd or not alone:
        return []
    cores = results["machine"]["cpus"]
    spent = crowd["server_cpu_ms"] + crowd.get("client_cpu_ms", 0)
    needs = [
        ("≥ 120 answers/s", 120),
        ("p95 ≤ 250 ms (mean wait 32 / rate)", 32 / 0.25),
        (f"≥ 4× the 1-client rate ({alone['throughput']:g}/s)", 4 * alone["throughput"]),
        (f"p95 ≤ 10× the 1-client p50 ({alone['latency']['p50']:g} ms)", 32 / (alone["latency"]["p50"] / 100)),
    ]
    lines = [
        f"CPU an answer, /api/ask at 32 clients: {spent:.1f} ms = the server's {crowd['server_cpu_ms']:g} (its "
        f"model's passes {crowd.get('model_cpu_ms', 0):g}) + these clients' {crowd.get('client_cpu_ms', 0):g}; "
        f"{cores} cores allow at most {1000 * cores / spent:.0f} answers/s at that cost",
        f"{'what the target needs':<50}{'rate':>8}{'CPU an answer it leaves':>26}",
    ]
    for name, rate in needs:
        lines.append(f"{name:<50}{rate:>6.0f}/s{1000 * cores / rate:>23.1f} ms")
    return lines


def _ratio(value: float, base: float) -> float:
    return round(value / base, 2) if base else float("inf")


def table(results: dict) -> str:
    """The results as plain-text tables: latencies, load levels, then each target met or not."""
    lines = [f"{'in process':<34}{'n':>6}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}"]
    process = results.get("in_process", {})
    for name, key in (
        ("answer (no cache)", "answer"),
        ("model encode", "model_encode"),
        ("answer (cached)", "cached_answer"),
    ):
        if key in process:
            row = process[key]
            lines.append(f"{name:<34}{row['count']:>6}{row['p50']:>10.2f}{row['p95']:>10.2f}{row['p99']:>10.2f}")
    for route, title in ((RESPOND, "HTTP /respond"), (API, "HTTP /api/ask")):
        rows = [level for level in results.get("http", []) if level.get("route", RESPOND) == route]
        if not rows:
            continue
        header = f"{title:<34}{'n':>6}{'p50 ms':>10}{'p95 ms':>10}{'req/s':>10}{'errors':>8}"
        lines += ["", header + f"{'server CPU ms':>15}{'batch mean/max':>16}{'model busy/CPU':>16}"]
        for level in rows:
            name = f"{level['clients']} clients" + (" (examples, cached)" if level["cached"] else "")
            latency, batches = level["latency"], level.get("batches") or {}
            batch = f"{batches['mean']:.1f} / ≤{batches['max_bucket']:g}" if batches else "-"
            thread = level.get("model_thread") or {}
            model = f"{thread['busy']:.2f} / {thread['on_cpu']:.2f}" if thread else "-"
            lines.append(
                f"{name:<34}{level['requests']:>6}{latency['p50']:>10.2f}{latency['p95']:>10.2f}"
                f"{level['throughput']:>10.1f}{level['errors']:>8}{level['server_cpu_ms']:>15.1f}{batch:>16}{model:>16}"
            )
    if "soak" in results:
        soaked = results["soak"]
        lines += [
            "",
            f"soak: {soaked['requests']} API calls from {soaked['clients']} clients in {soaked['seconds']} s, "
            f"{soaked['errors']} errors; server RSS MB after each tenth: {' '.join(map(str, soaked['rss_mb']))}",
        ]
    budget = cpu_budget(results)
    if budget:
        lines += ["", *budget]
    lines += ["", "startup: " + ", ".join(f"{k} {v}" for k, v in results["startup"].items())]
    busy = results["machine"]["load_average_at_start"][0]
    if busy > BUSY_LOAD:
        lines.append(f"warning: load average {busy} when this run started: other processes shared the cores")
    lines += ["", f"{'target':<34}{'value':>10}{'limit':>10}  met"]
    for target in results["targets"]:
        unit, sign = target["unit"], "≥ " if target.get("at_least") else "≤ "
        limit = sign + format(target["limit"], "g") + unit
        lines.append(
            f"{target['metric']:<34}{target['value']:>9g}{unit:<2}{limit:>10}  " + ("yes" if target["met"] else "NO")
        )
    return "\n".join(lines)
