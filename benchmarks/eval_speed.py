"""How long `python -m bot evaluate` takes on a large question set: writes docs/eval-speed.json.

    python benchmarks/eval_speed.py [--entries 1000] [--questions 1000] [--out docs/eval-speed.json]

Generates a folder of FAQ entries (benchmarks/scale.py's `generate`) in a temporary folder,
writes a JSON-lines evaluation file of paraphrases of those entries (each expecting its own
entry's answer) and some out-of-scope questions (expecting the fallback), builds the index
with the real model (`python -m bot build`), then times `python -m bot evaluate FILE` end to
end in a subprocess (wall clock, model load included) and `bot.evaluate.evaluate()` alone in
process. The target: 1,000 questions against 1,000 entries in under a minute.

Both run with the thread cap the CLI applies to answering (bot.embedding.limit_threads: one
thread on two cores), without which torch's two spinning OpenMP threads make every question
many times slower whenever another process holds a core. The load average before each timed
step is recorded with the results.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scale import generate  # noqa: E402  (benchmarks/scale.py, next to this file)

from bot.assistant import Assistant  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.embedding import limit_threads  # noqa: E402
from bot.evaluate import evaluate, load_cases  # noqa: E402

TARGET_SECONDS = 60.0
OUT_OF_SCOPE_SHARE = 0.1

# The entry headings `generate` writes: "### How do I {verb} the {thing} for {subject} case {number}?"
ENTRY = re.compile(r"^### How do I (\w+) the (\w+) for (\w+) case (\d+)\?$", re.MULTILINE)

PARAPHRASES = [
    "how can i {verb} my {thing} for {subject} case {number}",
    "What's the way to {verb} the {thing} in {subject} case {number}?",
    "{subject} case {number}: how do you {verb} the {thing}?",
    "I need to {verb} my {thing} ({subject}, case {number}). Where do I do that?",
    "Where do I go to {verb} the {thing} for case {number} of {subject}?",
    "how long before a {thing} change for {subject} case {number} applies",
    "Is it possible to {verb} the {thing} on {subject} case {number}?",
    "steps to {verb} {thing} {subject} case {number}",
]

# Out of scope for a help centre about orders, accounts and billing: the fallback is the right reply.
OUT_OF_SCOPE = [
    "What will the weather be like in {place} {when}?",
    "Can you recommend a good {food} restaurant in {place}?",
    "How many calories are there in a {food} dish?",
    "Who won the {sport} final {when}?",
    "What is the best time of year to visit {place}?",
    "How do I cook {food} at home without an oven?",
    "Where can I watch {sport} in {place}?",
    "Is {place} safe for tourists {when}?",
]
PLACES = ["Paris", "Lisbon", "Nairobi", "Osaka", "Lima", "Oslo", "Cairo", "Denver", "Hanoi", "Perth", "Quito", "Riga"]
FOODS = ["ramen", "tapas", "curry", "sushi", "falafel", "paella", "dumpling", "taco", "pho", "risotto"]
SPORTS = ["tennis", "rugby", "cricket", "basketball", "curling", "volleyball", "handball", "snooker"]
WHENS = ["tomorrow", "next week", "this weekend", "in spring", "last year", "in 1998", "tonight", "in August"]


def entries(knowledge: Path) -> list[dict[str, str]]:
    """The generated FAQ entries, read back from the Markdown `generate` wrote."""
    found = []
    for path in sorted(knowledge.glob("*.md")):
        for verb, thing, subject, number in ENTRY.findall(path.read_text(encoding="utf-8")):
            found.append({"verb": verb, "thing": thing, "subject": subject, "number": number})
    return found


def cases(knowledge: Path, count: int, seed: int = 11) -> list[dict]:
    """`count` distinct questions: paraphrases of the entries, and OUT_OF_SCOPE_SHARE out-of-scope ones."""
    rng = random.Random(seed)
    faq = entries(knowledge)
    unscoped = round(count * OUT_OF_SCOPE_SHARE)
    scoped = []
    while len(scoped) < count - unscoped:  # every entry once before any twice
        round_ = rng.sample(faq, len(faq))
        for entry in round_[: count - unscoped - len(scoped)]:
            question = rng.choice(PARAPHRASES).format(**entry)
            # The answer's first sentence is unique to its entry: "To reset the card for billing case 12, open ..."
            expect = f"for {entry['subject']} case {entry['number']}, open"
            scoped.append({"question": question, "expect": [expect]})
    combinations = [
        template.format(place=p, food=f, sport=s, when=w)
        for template in OUT_OF_SCOPE
        for p in PLACES
        for f in FOODS
        for s in SPORTS
        for w in WHENS
    ]
    other = rng.sample(sorted(set(combinations)), unscoped)
    chosen = scoped + [{"question": q, "expect": None} for q in other]
    rng.shuffle(chosen)
    return chosen


def load() -> dict:
    """The load average and `uptime`'s line: others may share the two cores."""
    uptime = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    return {"loadavg_1_5_15": [round(x, 2) for x in os.getloadavg()], "uptime": uptime}


METRIC_LINES = {
    "hit_at_1": "hit@1",
    "hit_at_3": "hit@3",
    "mrr_at_10": "MRR@10",
    "out_of_scope_rejected": "out-of-scope rejected",
    "in_scope_false_rejection": "in-scope false rejection",
}


def printed_metrics(report: str) -> dict:
    """The metrics `python -m bot evaluate` printed, read back from its report."""
    metrics = {}
    for key, label in METRIC_LINES.items():
        match = re.search(rf"^{re.escape(label)}\s+([0-9.]+)$", report, re.MULTILINE)
        metrics[key] = float(match.group(1)) if match else None
    counts = re.search(r"^questions: (\d+) \((\d+) in scope, (\d+) out of scope\)$", report, re.MULTILINE)
    if counts:
        metrics |= dict(zip(("questions", "in_scope", "out_of_scope"), map(int, counts.groups()), strict=True))
    wrong = re.search(r"^(\d+) not right:$", report, re.MULTILINE)
    metrics["not_right"] = int(wrong.group(1)) if wrong else 0
    return metrics


def run(command: list[str], env: dict[str, str]) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"{' '.join(command[1:])} failed ({done.returncode}):\n{done.stderr}")
    return seconds, done.stdout


def timed_cli(questions: Path, env: dict[str, str], count: int) -> dict:
    """`python -m bot evaluate FILE` in a fresh process: wall clock from start to exit, model load included."""
    load_at_start = load()["loadavg_1_5_15"]
    seconds, report = run([sys.executable, "-m", "bot", "evaluate", str(questions)], env)
    return {
        "wall_seconds": round(seconds, 1),
        "questions_per_second": round(count / seconds, 1),
        "under_a_minute": seconds < TARGET_SECONDS,
        "loadavg_at_start": load_at_start,
        "metrics": printed_metrics(report),
    }


def timed_in_process(assistant: Assistant, questions: Path) -> dict:
    """`bot.evaluate.evaluate()` alone, on an already loaded model and index."""
    cases = load_cases(questions)
    load_at_start = load()["loadavg_1_5_15"]
    started = time.perf_counter()
    metrics, _ = evaluate(assistant, cases)
    seconds = time.perf_counter() - started
    return {
        "evaluate_seconds": round(seconds, 1),
        "questions_per_second": round(len(cases) / seconds, 1),
        "ms_per_question": round(seconds / len(cases) * 1000, 1),
        "loadavg_at_start": load_at_start,
        "metrics": {k: round(v, 3) if isinstance(v, float) else v for k, v in asdict(metrics).items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", type=int, default=1000, help="FAQ entries generated")
    parser.add_argument("--questions", type=int, default=1000, help="questions in the evaluation file")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "eval-speed.json")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (index, questions) for profiling")
    args = parser.parse_args()

    result: dict = {"machine": {"cpus": os.cpu_count(), "python": platform.python_version()}, "load_before": load()}
    work = Path(tempfile.mkdtemp(prefix="bot-eval-speed-"))
    knowledge, index, questions = work / "knowledge", work / "index", work / "questions.jsonl"
    generate(knowledge, args.entries)
    chosen = cases(knowledge, args.questions)
    questions.write_text("".join(json.dumps(c) + "\n" for c in chosen), encoding="utf-8")
    result |= {
        "entries": args.entries,
        "questions": len(chosen),
        "in_scope": sum(1 for c in chosen if c["expect"] is not None),
        "out_of_scope": sum(1 for c in chosen if c["expect"] is None),
    }

    env = os.environ | {"BOT_KNOWLEDGE_DIR": str(knowledge), "BOT_INDEX_DIR": str(index), "HF_HUB_OFFLINE": "1"}
    result["loadavg_at_build_start"] = load()["loadavg_1_5_15"]
    build_seconds, build_output = run([sys.executable, "-m", "bot", "build", "--quiet"], env)
    result |= {"build_seconds": round(build_seconds, 1), "build_summary": build_output.strip().splitlines()[-1]}

    # The command as staff type it.
    cli = timed_cli(questions, env, len(chosen))
    result |= {
        "evaluate_command": "BOT_KNOWLEDGE_DIR=<tmp>/knowledge BOT_INDEX_DIR=<tmp>/index python -m bot evaluate FILE",
        "evaluate_wall_seconds": cli.pop("wall_seconds"),
        "questions_per_second": cli.pop("questions_per_second"),
        "under_a_minute": cli.pop("under_a_minute"),
        "loadavg_at_evaluate_start": cli.pop("loadavg_at_start"),
        "metrics": cli.pop("metrics"),
    }
    import torch

    settings = Settings.from_env(env)
    limit_threads(settings.serve)
    started = time.perf_counter()
    assistant = Assistant.load(settings)
    assistant.warm_up()
    result |= {
        "passages": len(assistant.index.passages),
        "vector_rows": int(assistant.index.search_index.ntotal),
        "in_process_load_seconds": round(time.perf_counter() - started, 1),
        "in_process": {"torch_threads": torch.get_num_threads()} | timed_in_process(assistant, questions),
    }
    result["load_after"] = load()

    if args.keep:
        result["work_folder"] = str(work)
    else:
        shutil.rmtree(work, ignore_errors=True)
    args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    for key, value in result.items():
        print(f"{key:26s} {json.dumps(value, ensure_ascii=False)}")


if __name__ == "__main__":
    main()
