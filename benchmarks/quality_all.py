"""Answer quality on every folder at hand, side by side: writes docs/quality.md (and prints it).

    python benchmarks/quality_all.py [--covidfaq DIR] [--work DIR] [--out docs/quality.md] [--only urgent]

One table, one block of rows per question set:

- NK tuning, dev to dev17, held-out, held-out2 and held-out3: the documents of knowledge/ alone (without the
  phrasings.toml it ships, untaught) with tests/eval/tuning.jsonl and dev.jsonl to dev17.jsonl (used to choose
  settings; dev was written from the documents alone, by a helper that saw neither the engine nor the other sets;
  dev2 to dev5 so too, by four helpers that read only the two documents: lay visitors; searches, informed patients
  and anxious messages; older visitors, English as a second language and patients in treatment; phone typing,
  sceptics and people asking for someone else; dev6 and dev7 so too: young people asking for a relative, carers,
  patients from abroad, news claims; dictated questions, two questions at once, patients in treatment, terse
  searches; dev8 and dev9 so too: patients naming their cancer, professionals, comparison shoppers, other
  conditions; phone misspellings, statements ending in a question, follow-ups, second-language writers; dev10 and
  dev11 so too: many voices, a quarter in two to five words; sceptics of what they read, worried family on a phone,
  comparisons with chemotherapy and CAR-T, stories first, keyword searches, literal translations; dev12 and dev13
  so too: the newly diagnosed, dialect and slang, students and nurses, two questions at once; searches, statements,
  wrong terms, spelling by sound; dev14 and dev15 so too: what was read or heard elsewhere, context first, "explain it
  simply", bare follow-ups; health professionals, carers asking for a parent, other names for the therapy, yes-or-no
  questions; dev16 and dev17 so too: patients in or after a course, stories with the question inside, second-language
  writers, dictation; searches of one to four words, young people in slang, claims to confirm, two questions at once)
  and tests/eval/heldout.jsonl, heldout2.jsonl and heldout3.jsonl (never used for tuning; heldout2 written as dev
  was, and run once before it was added; heldout3 too, by a helper that read only the two documents, one
  labeller, run once on the documents alone and as shipped before it was added);
- CovidFAQ dev and test: the public FAQ benchmark (68 entries, real user questions; see its README),
  dev used to choose settings together with NK tuning, test never;
- HouseFAQ dev and ForumFAQ test: benchmarks/housefaq/ and benchmarks/forumfaq/ (45 threads each of a
  question-and-answer site, 221 and 248 answers, each a document under its thread's title; 180 questions and 30 no
  thread answers each, written blind; see their READMEs), the first used to choose settings, the second reported
  only;
- NK everyday and CovidFAQ everyday: tests/eval/everyday-heldout.jsonl, 80 everyday messages no health FAQ
  answers (prices, opening hours, paperwork, small talk, off-topic), written blind to bot/everyday_questions.txt
  and run once before it was added;
- generated: 1,000 FAQ entries and 1,000 questions about them, 10% out of scope, as
  benchmarks/eval_speed.py makes them (same generator, same seed);
- taught: NK held-out asked of the documents taught with NK tuning, and CovidFAQ test asked of CovidFAQ taught
  with dev (`python -m bot teach`, into a copy in --work), as staff would teach from what visitors asked;
- as shipped: NK dev14 to dev17, held-out, held-out2, held-out3 and everyday asked of knowledge/ itself, whose
  phrasings.toml was taught with NK tuning and dev to dev13, sets settings are chosen on (dev14 to dev17 are
  kept untaught, to choose what to teach by; the urgent notice does not read what was taught);
- NK urgent-tuning, urgent-dev to urgent-dev47 (used to choose the urgent settings and examples; dev3 to dev24 were
  written blind as held-out, heldout2, heldout3, heldout4, heldout6, heldout8, heldout9, heldout11, heldout13,
  heldout14, heldout16, heldout18, heldout20, heldout22, heldout24, heldout26, heldout28, heldout30, heldout32,
  heldout34, heldout36 and
  two sets without a held-out name, and run once before they were read; dev25 and dev26 are blind reviews of run-on
  messages, dev26 run once on 7dc2746 before it was read; dev27 to dev31 were written blind (letters from older
  visitors, timing, people who play things down, long-term conditions, readings from devices) and run once before
  they were read; dev32 and dev33 too, messages dictated by voice and subtle signs after cell therapy; dev34 too,
  young people writing for a relative, British, Irish, Australian and Indian English, emergencies after a
  question; dev35 too, parents of babies and children, pregnancy, accidents and poisonings at home; dev36 too,
  older people and those who care for them; dev37 too, plain or unusual English: low literacy, a learning disability,
  support workers, Deaf writers, dyslexia; dev38 and dev39 too, English mixed with another language; dev40 too,
  English mixed with another language again; dev41 too, despair and self-harm beside dying, grief and hard news;
  dev42 too, terse messages and families near the end of life; dev43 too, doctors, nurses and paramedics writing in
  clinical shorthand; dev44 too, English mixed with some forty languages, a third in their own scripts; dev45 too,
  messages written wholly in another language, in its own script or in Latin letters; dev46 too, again),
  urgent-heldout (spent: run five times, read once to choose), urgent-heldout5, urgent-heldout7, urgent-heldout10,
  urgent-heldout12, urgent-heldout15, urgent-heldout17, urgent-heldout19, urgent-heldout21, urgent-heldout23,
  urgent-heldout25, urgent-heldout27, urgent-heldout29, urgent-heldout31, urgent-heldout33, urgent-heldout35,
  urgent-heldout37, urgent-heldout39, urgent-heldout41, urgent-heldout43, urgent-heldout44, urgent-heldout46,
  urgent-heldout47 to urgent-heldout58 (written blind, run
  after the choices they follow),
  urgent-short-dev and urgent-short-heldout (messages of one to a dozen words, farewells among them: the built-in
  calm messages were chosen on the first, the second was written blind and run once), urgent-terse-dev and
  urgent-terse-heldout (terse messages typed in a panic, and calm ones as short: both written blind, the first
  read to choose examples and cues, the second run once before and once after), urgent-relatives-dev and
  urgent-relatives-dev2 (messages naming a relative: the first written by the team to choose the built-in calm
  messages on, the second written blind, run once, then read), urgent-closing-dev and urgent-closing-heldout (the
  last message of a chat, thanks and what the visitor will do next, none urgent: both written blind, the first read to
  choose built-in calm messages, the second run once before and once after):
  knowledge/ with messages labelled urgent or not (tests/eval/urgent-*.jsonl), scored on the urgent
  notice alone: urgent caught and false alarms, as `python -m bot evaluate` reports them.

Each block has two plain-cosine rows, all-MiniLM-L6-v2 alone with no fusion, no rerank and no
penalty: the question's cosine with the passage under its heading (for an FAQ entry, question +
answer), and the better of that and its cosine with the FAQ question (for an FAQ folder, the usual
"max(question, question + answer)" baseline; in a taught folder, the questions taught to the passage
too); and the pipeline as configured (`bot/config.py`, through the same `Assistant.ask` as `python -m bot
evaluate`, its numbers those evaluate prints); an urgent set has
the pipeline row only, since plain cosine has no notice. A plain-cosine row answers when its best cosine
reaches the threshold the sweep rule picks on NK tuning (one 0.025 step above the lowest that turns away
90% of its out-of-scope questions); the pipeline uses BOT_MIN_CONFIDENCE. hit@k and MRR@10 do not depend
on thresholds. OOS rejected: out-of-scope questions given the fallback; false rejection: in-scope
questions given it; "–" where a set has no questions of that kind.

Indexes are built into --work (a temporary folder by default; give one to reuse its embedding cache).
`--only urgent` runs the urgent sets alone (minutes, not the whole run's twenty) and replaces their rows and
question counts in --out, keeping the others as they were (a set new to the report goes after the one before it).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from eval_speed import cases as generated_cases  # noqa: E402
from quality import untaught, write_report  # noqa: E402
from scale import generate  # noqa: E402

from bot.assistant import Assistant  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.embedding import SentenceEmbedder, limit_threads  # noqa: E402
from bot.evaluate import (  # noqa: E402
    DEPTH,
    Case,
    Outcome,
    evaluate,
    load_cases,
    matches,
    suggested_threshold,
    summarize,
)
from bot.index import PASSAGE, QUESTION, TAUGHT, build_index, load_index  # noqa: E402
from bot.knowledge import load_knowledge  # noqa: E402
from bot.knowledge.phrasings import PHRASINGS_FILE  # noqa: E402
from bot.search import Hit, normalize_query  # noqa: E402
from bot.teaching import teach_cases  # noqa: E402

COVIDFAQ = ROOT.parent / "shared" / "benchmarks" / "covidfaq"  # shared/ lies beside the project
PASSAGE_ONLY = "plain cosine: passage under its heading"
BEST_OF_TWO = "plain cosine: max(FAQ question, passage)"
PIPELINE = "pipeline (as configured)"
URGENT_SETS = (
    "urgent-tuning",
    "urgent-dev",
    "urgent-dev2",
    "urgent-dev3",
    "urgent-dev4",
    "urgent-dev5",
    "urgent-dev6",
    "urgent-dev7",
    "urgent-dev8",
    "urgent-dev9",
    "urgent-dev10",
    "urgent-dev11",
    "urgent-dev12",
    "urgent-dev13",
    "urgent-dev14",
    "urgent-dev15",
    "urgent-dev16",
    "urgent-dev17",
    "urgent-dev18",
    "urgent-dev19",
    "urgent-dev20",
    "urgent-dev21",
    "urgent-dev22",
    "urgent-dev23",
    "urgent-dev24",
    "urgent-dev25",
    "urgent-dev26",
    "urgent-dev27",
    "urgent-dev28",
    "urgent-dev29",
    "urgent-dev30",
    "urgent-dev31",
    "urgent-dev32",
    "urgent-dev33",
    "urgent-dev34",
    "urgent-dev35",
    "urgent-dev36",
    "urgent-dev37",
    "urgent-dev38",
    "urgent-dev39",
    "urgent-dev40",
    "urgent-dev41",
    "urgent-dev42",
    "urgent-dev43",
    "urgent-dev44",
    "urgent-dev45",
    "urgent-dev46",
    "urgent-dev47",
    "urgent-heldout",
    "urgent-heldout5",
    "urgent-heldout7",
    "urgent-heldout10",
    "urgent-heldout12",
    "urgent-heldout15",
    "urgent-heldout17",
    "urgent-heldout19",
    "urgent-heldout21",
    "urgent-heldout23",
    "urgent-heldout25",
    "urgent-heldout27",
    "urgent-heldout29",
    "urgent-heldout31",
    "urgent-heldout33",
    "urgent-heldout35",
    "urgent-heldout37",
    "urgent-heldout39",
    "urgent-heldout41",
    "urgent-heldout43",
    "urgent-heldout44",
    "urgent-heldout46",
    "urgent-heldout47",
    "urgent-heldout48",
    "urgent-heldout49",
    "urgent-heldout50",
    "urgent-heldout51",
    "urgent-heldout52",
    "urgent-heldout53",
    "urgent-heldout54",
    "urgent-heldout55",
    "urgent-heldout56",
    "urgent-heldout57",
    "urgent-heldout58",
    "urgent-short-dev",
    "urgent-short-heldout",
    "urgent-terse-dev",
    "urgent-terse-heldout",
    "urgent-relatives-dev",
    "urgent-relatives-dev2",
    "urgent-closing-dev",
    "urgent-closing-heldout",
)
NK_DEV = (
    "dev",
    "dev2",
    "dev3",
    "dev4",
    "dev5",
    "dev6",
    "dev7",
    "dev8",
    "dev9",
    "dev10",
    "dev11",
    "dev12",
    "dev13",
    "dev14",
    "dev15",
    "dev16",
    "dev17",
)
# the last choosing sets, which knowledge/phrasings.toml was not taught with: asked of it as shipped
NK_UNTAUGHT = ("dev14", "dev15", "dev16", "dev17")
NK_SETS = ("tuning", *NK_DEV, "heldout", "heldout2", "heldout3", *URGENT_SETS)
# everyday messages no health FAQ answers (prices, opening hours, small talk), written blind to the built-in list
# bot/everyday_questions.txt; asked of NK and of CovidFAQ
EVERYDAY = "everyday-heldout"


def folders(covidfaq: Path, work: Path) -> list[tuple[str, Path, dict[str, list[Case]]]]:
    """(name, knowledge folder, {split: cases}) for every folder at hand."""
    nk = {name: load_cases(ROOT / "tests" / "eval" / f"{name}.jsonl") for name in NK_SETS}
    everyday = load_cases(ROOT / "tests" / "eval" / f"{EVERYDAY}.jsonl")
    asked = {name: cases if name in URGENT_SETS else as_calm(cases) for name, cases in nk.items()}
    calm_everyday = as_calm(everyday)
    documents = untaught(ROOT / "knowledge", work / "untaught" / "NK")
    found = [
        ("NK", documents, {f"NK {name}": cases for name, cases in asked.items()} | {"NK everyday": calm_everyday}),
        (
            "NK taught",
            taught(documents, nk["tuning"], work / "taught" / "NK"),
            {"NK held-out, taught with tuning": asked["heldout"]},
        ),
    ]
    if (ROOT / "knowledge" / PHRASINGS_FILE).is_file():
        names = (*NK_UNTAUGHT, "heldout", "heldout2", "heldout3")
        shipped = {f"NK {name}, as shipped": asked[name] for name in names}
        found.append(("NK as shipped", ROOT / "knowledge", shipped | {"NK everyday, as shipped": calm_everyday}))
    if (covidfaq / "knowledge").is_dir():
        splits = {name: load_cases(covidfaq / f"{name}.jsonl") for name in ("dev", "test")}
        splits["everyday"] = everyday
        found.append(("CovidFAQ", covidfaq / "knowledge", {f"CovidFAQ {name}": c for name, c in splits.items()}))
        taught_covid = taught(covidfaq / "knowledge", splits["dev"], work / "taught" / "CovidFAQ")
        found.append(("CovidFAQ taught", taught_covid, {"CovidFAQ test, taught with dev": splits["test"]}))
    else:
        print(f"{covidfaq}/knowledge not found: CovidFAQ left out (give --covidfaq)", file=sys.stderr)
    house = ROOT / "benchmarks" / "housefaq"
    found.append(("HouseFAQ", house / "knowledge", {"HouseFAQ dev": load_cases(house / "dev.jsonl")}))
    forum = ROOT / "benchmarks" / "forumfaq"
    found.append(("ForumFAQ", forum / "knowledge", {"ForumFAQ test": load_cases(forum / "test.jsonl")}))
    generated = work / "generated"
    if not (generated / "knowledge").is_dir():
        generate(generated / "knowledge", 1000)
    questions = generated / "questions.jsonl"
    if not questions.is_file():
        chosen = generated_cases(generated / "knowledge", 1000)
        questions.write_text("".join(json.dumps(c) + "\n" for c in chosen), encoding="utf-8")
    found.append(("generated", generated / "knowledge", {"generated 1,000": load_cases(questions)}))
    return found


def urgent_folders() -> list[tuple[str, Path, dict[str, list[Case]]]]:
    """knowledge/ with the urgent sets alone."""
    sets = {f"NK {name}": load_cases(ROOT / "tests" / "eval" / f"{name}.jsonl") for name in URGENT_SETS}
    return [("NK", ROOT / "knowledge", sets)]


def with_rows_replaced(out: Path, rows: list[str], counts: dict[str, str]) -> list[str]:
    """The report at `out` with each of its table rows for the rows' sets replaced by those rows, in place, and
    those sets' question counts; a row the report lacks goes after the row before it in `rows`."""
    if not out.is_file():
        raise SystemExit(f"{out} does not exist: run without --only first to write the whole report")

    def key(row: str) -> str:
        return " | ".join(row.split(" | ")[:2])  # "| NK urgent-dev | pipeline (as configured)"

    lines = out.read_text(encoding="utf-8").splitlines()
    keys = [key(line) for line in lines]
    if key(rows[0]) not in keys:
        raise SystemExit(f"{out} has no row for {key(rows[0])}: run without --only to rewrite it")
    for before, row in zip(rows, rows[1:], strict=False):  # a new set's row after the row before it
        if key(row) not in keys:
            at = keys.index(key(before)) + 1
            lines.insert(at, row)
            keys.insert(at, key(row))
    new = {key(row): row for row in rows}
    counted = (_with_counts(line, counts) if line.startswith("Questions: ") else line for line in lines)
    return [new.get(key(line), line) for line in counted]


def _with_counts(line: str, counts: dict[str, str]) -> str:
    """The report's "Questions: " line with these sets' counts, a set it lacks after the one before it."""
    entries = line.removeprefix("Questions: ").removesuffix(".").split("; ")
    names = [next((s for s in sorted(counts, key=len, reverse=True) if e.startswith(f"{s} ")), None) for e in entries]
    for before, split in zip(counts, list(counts)[1:], strict=False):
        if split not in names and before in names:
            at = names.index(before) + 1
            entries.insert(at, "")
            names.insert(at, split)
    entries = [f"{n} {counts[n]}" if n in counts else e for e, n in zip(entries, names, strict=True)]
    return "Questions: " + "; ".join(entries) + "."


def taught(knowledge_dir: Path, cases: list[Case], folder: Path) -> Path:
    """A copy of a knowledge folder at `folder`, taught the cases as `python -m bot teach` would."""
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(knowledge_dir, folder)
    teach_cases(folder, cases, load_knowledge(folder).passages)
    return folder


def plain_cosine(assistant: Assistant, cases: list[Case]) -> dict[str, list[Outcome]]:
    """Outcomes of the two plain-cosine rankings, their confidence the best cosine."""
    index = assistant.index
    rows_total = index.search_index.ntotal
    questions = [normalize_query(c.question).casefold() for c in cases]
    vectors = assistant.embedder.encode(questions)
    scores, found = index.search_index.search(vectors, rows_total)
    outcomes: dict[str, list[Outcome]] = {PASSAGE_ONLY: [], BEST_OF_TWO: []}
    for case, row_scores, rows in zip(cases, scores, found, strict=True):
        views = np.full((TAUGHT + 1, len(index.passages)), -np.inf, dtype=np.float32)
        valid = rows >= 0
        np.maximum.at(views, (index.kinds[rows[valid]], index.rows[rows[valid]]), row_scores[valid])
        for label, score in (
            (PASSAGE_ONLY, views[PASSAGE]),
            (BEST_OF_TWO, views[[PASSAGE, QUESTION, TAUGHT]].max(axis=0)),
        ):
            order = np.argsort(-score, kind="stable")[:DEPTH]
            rank = None
            if case.expect is not None:
                hits = (Hit(passage=index.passages[p], score=0.0, dense=0.0) for p in order)
                rank = next((r for r, hit in enumerate(hits, 1) if matches(hit, case.expect)), None)
            first = index.passages[order[0]].citation
            outcomes[label].append(
                Outcome(case.question, rank, True, case.expect is not None, first, float(score[order[0]]))
            )
    return outcomes


def as_calm(cases: list[Case]) -> list[Case]:
    """A visitor question not labelled urgent is calm: on a folder with urgent examples, the notice it gets is a
    false alarm (an ordinary question told to call emergency services)."""
    return [case if case.urgent is not None else replace(case, urgent=False) for case in cases]


def measured(outcomes: list[Outcome], threshold: float | None) -> list[float | None]:
    """hit@1, hit@3, MRR@10, OOS rejected, false rejection, urgent caught, false alarms (None for a kind of
    question the set lacks). With a threshold a question is answered when its confidence reaches it (the
    plain-cosine rows); without, as the reply was (the pipeline, whose urgent replies quote a passage whatever
    the confidence)."""
    if threshold is not None:
        outcomes = [replace(o, answered=o.confidence >= threshold) for o in outcomes]
    m = summarize(outcomes)
    scoped, unscoped = m.in_scope > 0, m.out_of_scope > 0
    return [
        m.hit_at_1 if scoped else None,
        m.hit_at_3 if scoped else None,
        m.mrr_at_10 if scoped else None,
        m.out_of_scope_rejected if unscoped else None,
        m.in_scope_false_rejection if scoped else None,
        m.urgent_caught if m.urgent and threshold is None else None,  # plain cosine has no urgent check
        m.false_alarms if m.calm and threshold is None else None,
    ]


def described(cases: list[Case]) -> str:
    """How many questions of each kind a set has: in scope and out of scope, or urgent and calm."""
    ranked = [c for c in cases if c.ranked]
    kinds = []
    if ranked:
        scoped = sum(c.expect is not None for c in ranked)
        kinds += [f"{scoped} in scope", f"{len(ranked) - scoped} out of scope"]
    if any(c.urgent is not None for c in cases):
        urgent = sum(c.urgent is True for c in cases)
        kinds += [f"{urgent} urgent", f"{sum(c.urgent is False for c in cases)} calm"]
    return " + ".join(kinds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--covidfaq", type=Path, default=COVIDFAQ, help="the CovidFAQ benchmark folder")
    parser.add_argument("--work", type=Path, help="where indexes are built (kept; reused next time)")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "quality.md")
    parser.add_argument("--only", choices=("urgent",), help="run only these sets and replace their rows in --out")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="bot-quality-"))
    base = Settings.from_env()
    limit_threads(base.serve)
    embedder = SentenceEmbedder.from_settings(base.model)

    results: dict[str, dict[str, list[Outcome]]] = {}
    counts: dict[str, str] = {}
    chosen = urgent_folders() if args.only else folders(args.covidfaq, work)
    for name, knowledge_dir, splits in chosen:
        settings = base.replace(knowledge_dir=knowledge_dir, index_dir=work / "index" / name)
        knowledge = load_knowledge(knowledge_dir, settings.passage_max_words, settings.passage_min_words)
        build_index(knowledge, settings.index_dir, embedder, settings=settings.index)
        assistant = Assistant(load_index(settings.index_dir, embedder), embedder, settings)
        for split, cases in splits.items():
            plain = plain_cosine(assistant, cases) if any(c.ranked for c in cases) else {}
            results[split] = plain | {PIPELINE: evaluate(assistant, cases)[1]}
            counts[split] = described(cases)
            print(f"{split}: done", file=sys.stderr)

    thresholds = {
        label: suggested_threshold(results["NK tuning"][label], base.out_of_scope_target) or 0.0
        for label in (PASSAGE_ONLY, BEST_OF_TWO)
        if "NK tuning" in results
    }
    lines = [
        "# Answer quality on every folder",
        "",
        "Made by `python benchmarks/quality_all.py`; see its docstring for the method. Settings are chosen on NK "
        "tuning and dev (dev2 to dev17 since they were written), CovidFAQ dev and HouseFAQ dev together; NK "
        "held-out, CovidFAQ test and ForumFAQ test are never used for tuning. The NK rows are asked of the "
        "documents alone, untaught, but those marked taught or as shipped: knowledge/ ships a phrasings.toml taught "
        f"with NK tuning and dev to {NK_DEV[-len(NK_UNTAUGHT) - 1]}. "
        "How each piece of the pipeline adds up on the NK documents: [quality-steps.md](quality-steps.md); "
        "what was tried: [quality-experiments.md](quality-experiments.md), and for the urgent notice "
        "[urgent-experiments.md](urgent-experiments.md).",
        "",
        "Questions: " + "; ".join(f"{split} {kinds}" for split, kinds in counts.items()) + ".",
        "",
        "| questions | ranking | threshold | hit@1 | hit@3 | MRR@10 | OOS rejected | false rejection "
        "| urgent caught | false alarms |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    rows = []
    for split, by_label in results.items():
        for label, outcomes in by_label.items():
            threshold = thresholds.get(label)  # None: the pipeline, answered as its replies were
            cells = " | ".join("–" if v is None else f"{v:.3f}" for v in measured(outcomes, threshold))
            ranked = any(o.ranked for o in outcomes)
            shown = base.min_confidence if threshold is None else threshold
            rows.append(f"| {split} | {label} | {f'{shown:.3f}' if ranked else '–'} | {cells} |")
    write_report(with_rows_replaced(args.out, rows, counts) if args.only else lines + rows, args.out)


if __name__ == "__main__":
    main()
