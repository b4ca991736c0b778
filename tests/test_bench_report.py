"""benchmarks/report.py: what the /api/ask targets ask of each answer's CPU, beside what an answer cost."""

from __future__ import annotations

from report import cpu_budget, table


def _level(clients: int, rate: float, p50: float, server: float, model: float, client: float) -> dict:
    latency = {"count": 480, "p50": p50, "p95": p50 * 1.5, "p99": p50 * 2, "mean": p50}
    return {
        "clients": clients,
        "requests": 480,
        "errors": 0,
        "busy": 0,
        "latency": latency,
        "throughput": rate,
        "server_cpu_ms": server,
        "model_cpu_ms": model,
        "client_cpu_ms": client,
        "cached": False,
        "route": "api",
    }


def test_each_target_is_turned_into_the_rate_it_needs_and_the_cpu_an_answer_that_rate_leaves():
    results = {
        "machine": {"cpus": 2, "load_average_at_start": [0.1]},
        "startup": {},
        "targets": [],
        "http": [_level(1, 70.0, 13.5, 13.3, 6.0, 1.1), _level(32, 95.0, 330.0, 16.0, 6.8, 1.2)],
    }
    lines = cpu_budget(results)
    assert lines[0].startswith("CPU an answer, /api/ask at 32 clients: 17.2 ms = the server's 16 (its model's")
    assert lines[0].endswith("2 cores allow at most 116 answers/s at that cost")
    rows = {line.split("  ")[0]: line.split()[-2:] for line in lines[2:]}
    assert rows["≥ 120 answers/s"] == ["16.7", "ms"]  # 2 cores ÷ 120/s
    assert rows["p95 ≤ 250 ms (mean wait 32 / rate)"] == ["15.6", "ms"]  # at least 128/s
    assert rows["≥ 4× the 1-client rate (70/s)"] == ["7.1", "ms"]  # 280/s
    assert rows["p95 ≤ 10× the 1-client p50 (13.5 ms)"] == ["8.4", "ms"]  # 32 clients ÷ 135 ms = 237/s
    assert "2 cores allow at most 116 answers/s" in table(results)


def test_no_budget_without_both_api_rows():
    results = {"machine": {"cpus": 2}, "http": [_level(32, 95.0, 330.0, 16.0, 6.8, 1.2)]}
    assert cpu_budget(results) == []
