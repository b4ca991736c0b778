"""Scale benchmark: build and serve a generated FAQ folder of N passages; print and save the numbers.

    python benchmarks/scale.py [--passages 50000] [--exact-limit 20000] [--queries 200] [--out docs/scale.json]

Reports build rate (passages/s), peak RSS of the build, query latency (p50/p95) at that size,
and, when the vector rows exceed --exact-limit so FAISS uses HNSW, its recall@10 against exact search.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.assistant import Assistant  # noqa: E402
from bot.config import Settings  # noqa: E402

SUBJECTS = [
    "billing",
    "delivery",
    "returns",
    "accounts",
    "warranty",
    "security",
    "privacy",
    "installation",
    "maintenance",
    "subscriptions",
    "refunds",
    "shipping",
    "passwords",
    "invoices",
    "upgrades",
    "support",
]
VERBS = ["change", "cancel", "renew", "check", "update", "transfer", "reset", "track", "download", "verify"]
THINGS = ["plan", "order", "address", "card", "device", "licence", "report", "profile", "parcel", "receipt"]


def generate(folder: Path, passages: int, per_file: int = 500, seed: int = 7) -> None:
    """FAQ-style Markdown: question headings over two-sentence answers."""
    rng = random.Random(seed)
    folder.mkdir(parents=True)
    for first in range(0, passages, per_file):
        lines = [f"---\ntitle: Help centre part {first // per_file + 1}\n---\n"]
        for number in range(first, min(first + per_file, passages)):
            subject, verb, thing = rng.choice(SUBJECTS), rng.choice(VERBS), rng.choice(THINGS)
            question = f"How do I {verb} the {thing} for {subject} case {number}?"
            lines.append(
                f"## {subject.title()}\n\n### {question}\n\nTo {verb} the {thing} for {subject} case {number}, "
                f"open the {subject} page and choose {verb} next to item {number * 13 % 9973}. "
                f"Changes to the {thing} apply within {number % 48 + 1} hours.\n"
            )
        (folder / f"part-{first // per_file:04d}.md").write_text("\n".join(lines), encoding="utf-8")


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values) * 1000, q))


def folder_bytes(folder: Path) -> int:
    """Disk taken by everything under a folder: the builds and the embedding cache."""
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())


def recall_at_10(index, queries: np.ndarray) -> float:
    """Share of the exact top-10 rows that the approximate index also returns."""
    import faiss

    exact = faiss.IndexFlatIP(index.d)
    exact.add(index.reconstruct_n(0, index.ntotal))
    _, truth = exact.search(queries, 10)
    _, found = index.search(queries, 10)
    return float(np.mean([len(set(t) & set(f)) / 10 for t, f in zip(truth, found, strict=True)]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--passages", type=int, default=50_000)
    parser.add_argument("--exact-limit", type=int, default=20_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--sentences", action="store_true", help="also embed each sentence (about 3x the texts)")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "scale.json")
    parser.add_argument("--reuse", type=Path, help="the work folder of an earlier run: measure serving only")
    args = parser.parse_args()
    if args.reuse:
        serve(args, args.reuse, json.loads(args.out.read_text(encoding="utf-8")))
        return
    work = Path(tempfile.mkdtemp(prefix="bot-scale-"))
    generate(work / "knowledge", args.passages)
    env = {
        "BOT_EXACT_LIMIT": str(args.exact_limit),
        "BOT_EMBED_SENTENCES": "1" if args.sentences else "0",
        "HF_HUB_OFFLINE": "1",
        "PATH": "/usr/bin:/bin",
    }
    command = [
        sys.executable,
        "-m",
        "bot",
        "build",
        "--quiet",
        "--knowledge",
        str(work / "knowledge"),
        "--index",
        str(work / "index"),
    ]
    started = time.perf_counter()
    build = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    build_seconds = time.perf_counter() - started
    if build.returncode != 0:
        sys.exit(build.stderr)
    build_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    result = {
        "passages": args.passages,
        "build_seconds": round(build_seconds, 1),
        "build_passages_per_second": round(args.passages / build_seconds, 1),
        "build_peak_rss_mb": round(build_rss),
        "work_folder": str(work),
    }
    serve(args, work, result)


def serve(args: argparse.Namespace, work: Path, result: dict) -> None:
    """Load the built folder, ask paraphrased questions, measure latency, and HNSW recall when used."""
    env = {"BOT_EXACT_LIMIT": str(args.exact_limit), "BOT_EMBED_SENTENCES": "1" if args.sentences else "0"}
    settings = Settings.from_env(env, knowledge_dir=work / "knowledge", index_dir=work / "index")
    started = time.perf_counter()
    assistant = Assistant.load(settings)
    assistant.warm_up()
    result["load_seconds"] = round(time.perf_counter() - started, 1)
    index = assistant.index
    questions = [p.question for p in index.passages if p.question]
    sample = random.Random(1).sample(questions, args.queries)
    latencies, right = [], 0
    for question in sample:
        asked = time.perf_counter()
        reply = assistant.ask(question.lower().replace("how do i", "how can i"))
        latencies.append(time.perf_counter() - asked)
        right += bool(reply.answer and reply.answer.passage.question == question)
    result |= {
        "vector_rows": int(index.search_index.ntotal),
        "faiss": index.manifest["faiss"],
        "query_p50_ms": round(percentile(latencies, 50), 1),
        "query_p95_ms": round(percentile(latencies, 95), 1),
        "hit_at_1_on_paraphrased_questions": round(right / len(sample), 3),
        "serving_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "index_disk_mb": round(folder_bytes(work / "index") / 2**20),
    }
    if result["faiss"] != "IndexFlatIP":
        queries = assistant.embedder.encode([q.lower() for q in sample])
        result["hnsw_recall_at_10"] = round(recall_at_10(index.search_index, queries), 4)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    for key, value in result.items():
        print(f"{key:38s} {value}")


if __name__ == "__main__":
    main()
