"""Answer quality on the NK documents, method by method: writes docs/quality-steps.md (and prints it).

    python benchmarks/quality.py [--out docs/quality-steps.md]

Each row adds one piece to the row above it, built and evaluated on the documents of knowledge/ alone
(without the phrasings.toml it ships, which was taught with the tuning questions) with tests/eval/tuning.jsonl
(used to choose settings) and tests/eval/heldout.jsonl (never used for tuning). hit@k and MRR@10 do not depend on
the threshold. A ranking row's rejection threshold is the one that maximises (answered in-scope + rejected
out-of-scope) on the tuning split; a confidence row's is the one the sweep rule in bot/config.py picks on tuning
(one 0.025 step above the lowest that turns away 90% of the out-of-scope questions), and the final row's the
configured BOT_MIN_CONFIDENCE. The same pipeline on every folder at once, with plain-cosine rows
beside it: benchmarks/quality_all.py (docs/quality.md).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.assistant import Assistant  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.embedding import SentenceEmbedder, limit_threads  # noqa: E402
from bot.evaluate import Outcome, evaluate, load_cases, suggested_threshold  # noqa: E402
from bot.index import build_index, load_index  # noqa: E402
from bot.knowledge import load_knowledge  # noqa: E402
from bot.knowledge.phrasings import PHRASINGS_FILE  # noqa: E402

BARE = {
    "embed_headings": False,
    "embed_sentences": False,
    "embed_questions": False,
    "spelling_correction": False,
    "uncovered_word_penalty": 0.0,
    "confidence_late_share": 0.0,
    "passage_weight": 1.0,
    "sentence_weight": 0.0,
    "question_weight": 0.0,
    "lexical_weight": 0.0,
    "expansion_weight": 0.0,
    "late_interaction_weight": 0.0,
    "late_match_similarity": 2.0,  # above any cosine: no token is matched more often than another, all weigh alike
    "late_question_share": 0.0,
}
# Each step adds its settings to the step before; the last one is the configuration as shipped.
STEPS: list[tuple[str, dict]] = [
    ("dense + BM25, each standardised over the candidates", {"lexical_weight": 1.0}),
    ("+ heading context in the embedding", {"embed_headings": True}),
    ("+ sentence rows (in the best cosine; no weight in the fusion)", {"embed_sentences": True}),
    ("+ FAQ question matching", {"embed_questions": True, "question_weight": 1.0}),
    ("+ spelling correction", {"spelling_correction": True}),
    ("+ BM25 query expansion with the documents' nearest words", {"expansion_weight": 0.5}),
    ("+ late-interaction rerank of the best 20 (token vectors, MeanMaxSim)", {"late_interaction_weight": 0.5}),
    ("+ query tokens weighted by how rare a close match is among them", {"late_match_similarity": 0.65}),
    ("+ late interaction with an FAQ entry's question tokens", {"late_question_share": 0.5}),
    (
        "+ confidence less uncovered words (graded, everyday English discounted, in-context coverage)",
        {"uncovered_word_penalty": 3.0},
    ),
]
RULE = "+ confidence less uncovered words (graded, everyday English discounted, in-context coverage)"
FINAL = "+ confidence from the answer's cosine and its weighted late interaction (final, as configured)"


def methods() -> list[tuple[str, dict]]:
    """(label, settings overrides) for each row of the table, in order."""
    rows = [
        ("naive dense (paragraph text, cosine)", BARE),
        ("BM25 only", {**BARE, "passage_weight": 0.0, "lexical_weight": 1.0}),
    ]
    overrides = dict(BARE)
    for label, step in STEPS:
        overrides = {**overrides, **step}
        rows.append((label, overrides))
    return [*rows, (FINAL, {})]


def best_threshold(outcomes: list[Outcome]) -> float:
    """The threshold maximising answered in-scope + rejected out-of-scope (ties: the lower one)."""
    confidences = {round(o.confidence, 4) for o in outcomes}
    scores = sorted(confidences | {min(confidences) - 1.0})  # the last: answer everything

    def balance(t: float) -> float:
        return sum((o.confidence >= t) == o.in_scope for o in outcomes)

    return max(scores, key=lambda t: (balance(t), -t))


def at_threshold(outcomes: list[Outcome], threshold: float) -> tuple[float, float, float, float, float]:
    scoped = [o for o in outcomes if o.in_scope]
    unscoped = [o for o in outcomes if not o.in_scope]
    return (
        float(np.mean([o.rank == 1 for o in scoped])),
        float(np.mean([o.rank is not None and o.rank <= 3 for o in scoped])),
        float(np.mean([1 / o.rank if o.rank else 0 for o in scoped])),
        float(np.mean([o.confidence < threshold for o in unscoped])),
        float(np.mean([o.confidence < threshold for o in scoped])),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "quality-steps.md")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp())
    documents = untaught(ROOT / "knowledge", work / "knowledge")
    base = Settings.from_env(knowledge_dir=documents, index_dir=work / "index")
    limit_threads(base.serve)
    embedder = SentenceEmbedder.from_settings(base.model)
    splits = {name: load_cases(ROOT / "tests" / "eval" / f"{name}.jsonl") for name in ("tuning", "heldout")}
    rows = []
    for label, overrides in methods():
        settings = base.replace(**overrides)
        knowledge = load_knowledge(settings.knowledge_dir, settings.passage_max_words, settings.passage_min_words)
        build_index(knowledge, settings.index_dir, embedder, settings=settings.index)
        assistant = Assistant(load_index(settings.index_dir, embedder), embedder, settings)
        outcomes = {name: evaluate(assistant, cases)[1] for name, cases in splits.items()}
        if label == FINAL:
            threshold = settings.min_confidence
        elif label == RULE:
            threshold = suggested_threshold(outcomes["tuning"], settings.out_of_scope_target) or 0.0
        else:
            threshold = best_threshold(outcomes["tuning"])
        rows.append((label, threshold, {name: at_threshold(o, threshold) for name, o in outcomes.items()}))
        print(f"{label}: done", file=sys.stderr)
    counts = {
        name: (sum(c.expect is not None for c in cases), sum(c.expect is None for c in cases))
        for name, cases in splits.items()
    }
    lines = [
        "# Answer quality on the NK documents, piece by piece",
        "",
        "Made by `python benchmarks/quality.py`; see its docstring for the method; every folder side by side: "
        "[quality.md](quality.md). Questions: "
        + "; ".join(f"{name} {i} in scope + {o} out of scope" for name, (i, o) in counts.items())
        + ".",
        "OOS rejected: out-of-scope questions given the fallback. False rejection: in-scope questions given it.",
        "",
        "| method | threshold | split | hit@1 | hit@3 | MRR@10 | OOS rejected | false rejection |",
        "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for label, threshold, results in rows:
        for name, values in results.items():
            cells = " | ".join(f"{v:.3f}" for v in values)
            lines.append(f"| {label} | {threshold:.3f} | {name} | {cells} |")
    write_report(lines, args.out)


def untaught(knowledge_dir: Path, folder: Path) -> Path:
    """A copy of a knowledge folder at `folder` without what staff taught it: the documents alone."""
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(knowledge_dir, folder, ignore=shutil.ignore_patterns(PHRASINGS_FILE))
    return folder


def write_report(lines: list[str], out: Path) -> None:
    """The Markdown report: written to `out` and printed."""
    text = "\n".join(lines) + "\n"
    out.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
