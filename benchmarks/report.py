"""The results of benchmarks/bench.py against the issue's targets for a 2-core machine, and as plain-text
tables."""

from __future__ import annotations

from dataclasses import dataclass

BUSY_LOAD = 0.7  # a 1-minute load average above this at the start: something else is using the CPU


@dataclass(frozen=True)
class Target:
    metric: str
    value: float
    limit: float
    unit: str

    @property
    def met(self) -> bool:
        return self.value <= self.limit


def targets(results: dict) -> list[Target]:
    """The issue's targets for a 2-core machine, with this run's values."""
    found: list[Target] = []
    process = results.get("in_process")
    if process:
        found.append(Target("in-process answer p50", process["answer"]["p50"], 20, "ms"))
        found.append(Target("pipeline ÷ model encode (p50)", process["overhead_p50"], 1.5, "×"))
    for level in results.get("http", []):
        if level["clients"] == 32 and not level["cached"]:
            found.append(Target("HTTP p95, 32 clients", level["latency"]["p95"], 250, "ms"))
            found.append(Target("HTTP errors, 32 clients", level["errors"], 0, ""))
    startup = results["startup"]
    if "cold_start_s" in startup:
        found.append(Target("cold start to first answer", startup["cold_start_s"], 15, "s"))
        found.append(Target("server peak RSS", startup["server_peak_rss_mb"], 1536, "MB"))
    if "soak" in results:
        found.append(Target("RSS growth, last half of soak", results["soak"]["growth_last_half_mb"], 20, "MB"))
        found.append(Target("soak errors", results["soak"]["errors"], 0, ""))
    return found


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
    if results.get("http"):
        header = f"{'HTTP /respond':<34}{'n':>6}{'p50 ms':>10}{'p95 ms':>10}{'req/s':>10}{'errors':>8}"
        header += f"{'server CPU ms':>15}"
        lines += ["", header]
        for level in results["http"]:
            name = f"{level['clients']} clients" + (" (examples, cached)" if level["cached"] else "")
            latency = level["latency"]
            lines.append(
                f"{name:<34}{level['requests']:>6}{latency['p50']:>10.2f}{latency['p95']:>10.2f}"
                f"{level['throughput']:>10.1f}{level['errors']:>8}{level['server_cpu_ms']:>15.1f}"
            )
    if "soak" in results:
        soaked = results["soak"]
        lines += [
            "",
            f"soak: {soaked['requests']} API calls from {soaked['clients']} clients in {soaked['seconds']} s, "
            f"{soaked['errors']} errors; server RSS MB after each tenth: {' '.join(map(str, soaked['rss_mb']))}",
        ]
    lines += ["", "startup: " + ", ".join(f"{k} {v}" for k, v in results["startup"].items())]
    busy = results["machine"]["load_average_at_start"][0]
    if busy > BUSY_LOAD:
        lines.append(f"warning: load average {busy} when this run started: other processes shared the cores")
    lines += ["", f"{'target':<34}{'value':>10}{'limit':>10}  met"]
    for target in results["targets"]:
        unit = target["unit"]
        lines.append(
            f"{target['metric']:<34}{target['value']:>9g}{unit:<1}{'≤ ' + format(target['limit'], 'g') + unit:>10}  "
            + ("yes" if target["met"] else "NO")
        )
    return "\n".join(lines)
