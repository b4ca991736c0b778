"""Teaching: phrasings.toml is read and checked, `bot teach` writes it idempotently, and search uses it."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import pytest

from bot.assistant import Assistant
from bot.config import Settings
from bot.evaluate import Case
from bot.index import build_index, load_index
from bot.knowledge import Passage, load_knowledge
from bot.knowledge.folder import ignored_files
from bot.knowledge.phrasings import PHRASINGS_FILE, PhrasingsFile, load_teaching, reference
from bot.search import Searcher
from bot.teaching import NOT_ANSWERED, report, teach_cases

from conftest import ROOT, FakeEmbedder

ROSES = "Garden Care Guide › Frequently asked questions › When should I prune roses?"


def write(folder: Path, text: str) -> None:
    (folder / PHRASINGS_FILE).write_text(text, encoding="utf-8")


def test_taught_questions_join_their_passage_and_a_missing_passage_is_an_error(knowledge_dir: Path):
    write(knowledge_dir, f'[[taught]]\npassage = "{ROSES}"\nquestions = ["when do roses get cut back"]\n')
    knowledge = load_knowledge(knowledge_dir)
    roses = next(p for p in knowledge.passages if reference(p) == ROSES)
    assert roses.phrasings == ("when do roses get cut back",)
    write(knowledge_dir, '\n[[taught]]\npassage = "Garden Care Guide › Orchids"\nquestions = ["orchids?"]\n')
    _, problems = load_teaching(knowledge_dir, knowledge.passages)
    assert [str(p) for p in problems] == [
        "phrasings.toml:3: error: no passage under 'Garden Care Guide › Orchids'; fix or remove it"
    ]


def test_a_phrasings_file_that_is_not_utf8_is_an_error_at_its_line(knowledge_dir: Path):
    """check replaced the bytes silently, and teach then failed with a bare codec error."""
    passages = load_knowledge(knowledge_dir).passages
    latin1 = b'questions = ["caf\xe9"]\n'
    (knowledge_dir / PHRASINGS_FILE).write_bytes(f'[[taught]]\npassage = "{ROSES}"\n'.encode() + latin1)
    teaching, problems = load_teaching(knowledge_dir, passages)
    assert [str(p) for p in problems] == ["phrasings.toml:3: error: not valid UTF-8; save the file as UTF-8"]
    assert not teaching.phrasings


def test_one_question_taught_twice_or_both_taught_and_not_answered_is_a_warning(knowledge_dir: Path):
    passages = load_knowledge(knowledge_dir).passages
    watering = next(reference(p) for p in passages if p.headings == ("Watering",))
    write(
        knowledge_dir,
        f'[[taught]]\npassage = "{ROSES}"\nquestions = ["how often"]\n\n'
        f'[[taught]]\npassage = "{watering}"\nquestions = ["How often?"]\n\n'
        '[not_answered]\nquestions = ["how often"]\n',
    )
    _, problems = load_teaching(knowledge_dir, passages)
    messages = [p.message for p in problems]
    assert "'How often?' is taught to two passages" in messages
    assert "'how often' is both taught and not answered" in messages
    assert all(p.severity == "warning" for p in problems)


def test_phrasings_problems_point_at_their_own_table_and_line(knowledge_dir: Path):
    """Each problem named the first line holding its words: a duplicate at the first question, "taught" in the
    header comment, line 1 for a [[taught]] with no passage."""
    passages = load_knowledge(knowledge_dir).passages
    watering = next(reference(p) for p in passages if p.headings == ("Watering",))
    write(
        knowledge_dir,
        "# What staff taught; each [[taught]] names a passage.\n\n"
        f'[[taught]]\npassage = "{ROSES}"\nquestions = ["how often"]\n\n'
        f'[[taught]]\npassage = "{watering}"\nquote = "Water tomatoes"\nquestions = ["how often"]\n\n'
        '[[taught]]\nquestions = ["no passage"]\n\n'
        '[not_answered]\nquestions = [\n  "parking?",\n  "how often",\n]\n\n[extra]\nx = 1\n',
    )
    _, problems = load_teaching(knowledge_dir, passages)
    assert [str(p) for p in problems] == [
        "phrasings.toml:21: warning: unknown table 'extra'; known: taught, not_answered",
        'phrasings.toml:12: error: each [[taught]] needs passage = "Title › Heading"',
        "phrasings.toml:10: warning: 'how often' is taught to two passages",
        "phrasings.toml:18: warning: 'how often' is both taught and not answered",
    ]


def test_a_misspelt_key_in_a_phrasings_table_is_a_warning_with_the_key_meant(knowledge_dir: Path):
    """`qestions = [...]` left the entry silently teaching nothing."""
    passages = load_knowledge(knowledge_dir).passages
    write(
        knowledge_dir,
        f'[[taught]]\npassage = "{ROSES}"\nqestions = ["typo key"]\n\n[not_answered]\nquestion = ["parking?"]\n',
    )
    _, problems = load_teaching(knowledge_dir, passages)
    assert [str(p) for p in problems] == [
        "phrasings.toml:3: warning: unknown key 'qestions' in [[taught]] (did you mean 'questions'?), ignored; "
        "known: passage, quote, questions",
        "phrasings.toml:6: warning: unknown key 'question' in [not_answered] (did you mean 'questions'?), ignored; "
        "known: questions",
    ]


def test_teach_writes_phrasings_once_and_says_what_it_skipped(knowledge_dir: Path):
    passages = load_knowledge(knowledge_dir).passages
    cases = [
        Case("cutting roses back, when?", ("Prune roses in late winter",)),
        Case("what is the price of seeds", None),
        Case("orchid care", ("a phrase no passage has",)),
    ]
    first = teach_cases(knowledge_dir, cases, passages)
    assert [lesson.added for lesson in first] == [(ROSES,), (NOT_ANSWERED,), ()]
    assert first[2].skipped == "the expected text 'a phrase no passage has' is in no passage"
    again = teach_cases(knowledge_dir, cases, passages)
    assert [lesson.added for lesson in again] == [(), (), ()] and again[0].already == (ROSES,)
    knowledge = load_knowledge(knowledge_dir)
    assert knowledge.not_answered == ("what is the price of seeds",)
    with PhrasingsFile(knowledge_dir) as phrasings:
        assert phrasings.untaught("Cutting roses back, when") == 1
    assert not any(p.phrasings for p in load_knowledge(knowledge_dir).passages)


def test_teach_replaces_a_mark_of_not_answered_and_the_other_way_round(knowledge_dir: Path):
    """The line taught last stands, and the report says what it replaced."""
    passages = load_knowledge(knowledge_dir).passages
    marked = teach_cases(knowledge_dir, [Case("cutting roses back, when?", None)], passages)
    taught = teach_cases(knowledge_dir, [Case("cutting roses back, when?", ("Prune roses in late winter",))], passages)
    assert marked[0].added == (NOT_ANSWERED,) and taught[0].instead == NOT_ANSWERED
    assert "  no longer not answered here" in report(taught)
    knowledge = load_knowledge(knowledge_dir)
    assert knowledge.not_answered == () and [p.phrasings for p in knowledge.passages if p.phrasings] == [
        ("cutting roses back, when?",)
    ]
    again = teach_cases(knowledge_dir, [Case("cutting roses back, when?", None)], passages)
    assert again[0].instead == "taught to 1 passage" and "  no longer taught to 1 passage" in report(again)
    assert not any(p.phrasings for p in load_knowledge(knowledge_dir).passages)


def test_teach_names_the_other_passages_that_hold_the_expected_text(knowledge_dir: Path):
    """The first passage holding it is taught; the report says where else it is, for staff to check."""
    passages = load_knowledge(knowledge_dir).passages
    holding = [p for p in passages if "water" in p.text.casefold()]
    lessons = teach_cases(knowledge_dir, [Case("how often to water", ("water",))], passages)
    assert lessons[0].added == (reference(holding[0]),) and len(holding) > 1
    assert lessons[0].unsure.startswith("'water' is also in " + holding[1].location)
    assert "  check: 'water' is also in" in report(lessons)
    unique = teach_cases(knowledge_dir, [Case("cutting roses back, when?", ("Prune roses in late winter",))], passages)
    assert unique[0].unsure == ""


def test_the_check_hint_names_each_other_place_once(tmp_path: Path):
    """A long paragraph is split into passages that share its line: the hint named "g.md:9, g.md:9, g.md:9"."""
    long = " ".join(f"Roses need water in week {i} of the summer." for i in range(40))
    tomatoes = "Tomatoes need water too, every evening in the summer months, and a stake."
    text = f"---\ntitle: G\n---\n\n# Garden\n\n## Roses\n\n{long}\n\n## Tomatoes\n\n{tomatoes}\n"
    (tmp_path / "g.md").write_text(text, encoding="utf-8")
    passages = load_knowledge(tmp_path, 120, 40).passages
    assert [p.location for p in passages].count("g.md:9") > 1
    lessons = teach_cases(tmp_path, [Case("how often water", ("need water",))], passages)
    assert lessons[0].unsure.startswith("'need water' is also in g.md:9 (another part of its paragraph), g.md:13:")
    only_roses = teach_cases(tmp_path, [Case("roses in week 3", ("Roses need water",))], passages)
    assert only_roses[0].unsure.startswith(
        "'Roses need water' is also in g.md:9 (another part of its paragraph): quote"
    )
    unique = teach_cases(tmp_path, [Case("tomato stakes", ("and a stake",))], passages)
    assert unique[0].unsure == ""


def test_a_comment_staff_wrote_survives_teaching(knowledge_dir: Path):
    write(knowledge_dir, '# taught by Ann, March\n[not_answered]\nquestions = ["parking?"]  # ask reception\n')
    with PhrasingsFile(knowledge_dir) as phrasings:
        phrasings.mark_not_answered("is there a cafe")
    text = (knowledge_dir / PHRASINGS_FILE).read_text(encoding="utf-8")
    assert "# taught by Ann, March" in text and "# ask reception" in text and "is there a cafe" in text


def test_a_table_staff_left_without_questions_survives_a_mark(knowledge_dir: Path):
    """Marking a question "not answered here" untaught it everywhere, and took every empty [[taught]] table too."""
    passages = load_knowledge(knowledge_dir).passages
    write(knowledge_dir, f'[[taught]]\npassage = "{ROSES}"\nquestions = []  # Ann fills these in\n')
    teach_cases(knowledge_dir, [Case("is there a cafe", None)], passages)
    text = (knowledge_dir / PHRASINGS_FILE).read_text(encoding="utf-8")
    assert "Ann fills these in" in text and "is there a cafe" in text


def test_tables_taught_into_an_existing_file_are_a_blank_line_apart(knowledge_dir: Path):
    """tomlkit wrote a table appended to a parsed file right under the one before it."""
    passages = load_knowledge(knowledge_dir).passages
    roses = next(p for p in passages if reference(p) == ROSES)
    other = next(p for p in passages if reference(p) != ROSES)
    hand_written = f'# by Ann\n[[taught]]\npassage = "{ROSES}"\nquestions = ["a"]\n'
    write(knowledge_dir, hand_written + '[not_answered]\nquestions = ["b"]\n')
    with PhrasingsFile(knowledge_dir) as phrasings:
        phrasings.teach(other, "it's cold", passages)
        phrasings.mark_not_answered("parking?")
    text = (knowledge_dir / PHRASINGS_FILE).read_text(encoding="utf-8")
    headers = [i for i, line in enumerate(text.splitlines()) if line.startswith("[")]
    assert len(headers) == 3 and text.startswith("# by Ann\n[[taught]]\n")
    assert all(text.splitlines()[i - 1] == "" for i in headers[1:]) and "\n\n\n" not in text
    assert load_teaching(knowledge_dir, passages)[0].phrasings[roses.id] == ("a",)


def test_teaching_keeps_a_hand_written_file_valid(knowledge_dir: Path):
    """taught = [{...}], which a build reads, became unreadable TOML once a [[taught]] table was added to it; an
    entry written without questions stopped teaching with NonExistentKey."""
    passages = load_knowledge(knowledge_dir).passages
    roses = next(p for p in passages if reference(p) == ROSES)
    other = next(p for p in passages if reference(p) != ROSES)
    for text in (f'taught = [{{passage = "{ROSES}", questions = ["a"]}}]\n', f'[[taught]]\npassage = "{ROSES}"\n'):
        write(knowledge_dir, text)
        with PhrasingsFile(knowledge_dir) as phrasings:
            assert phrasings.teach(roses, 'roses "in" winter?\n', passages)
            assert phrasings.teach(other, "it's cold", passages)
        teaching, problems = load_teaching(knowledge_dir, passages)
        assert problems == [] and 'roses "in" winter?\n' in teaching.phrasings[roses.id]
        assert teaching.phrasings[other.id] == ("it's cold",)


def test_two_staff_teaching_at_once_both_keep_what_they_taught(knowledge_dir: Path):
    """Each wrote back the file as it had read it: the later lost the other's questions (20 of 40 here), and one
    swapped in the temporary file the other had just swapped in (FileNotFoundError)."""
    passages = load_knowledge(knowledge_dir).passages

    def teach(who: int) -> None:
        for n in range(20):
            with PhrasingsFile(knowledge_dir) as phrasings:
                phrasings.mark_not_answered(f"question {n} of staff {who}")

    with ThreadPoolExecutor(2) as pool:
        list(pool.map(teach, (1, 2)))
    assert len(load_teaching(knowledge_dir, passages)[0].not_answered) == 40
    assert not ignored_files(knowledge_dir)  # the lock file is no document


def test_a_question_nearer_a_not_answered_one_gets_the_fallback(fake_settings: Settings):
    folder = fake_settings.knowledge_dir
    question = "should I water roses in the morning"
    build_index(load_knowledge(folder), fake_settings.index_dir, FakeEmbedder())
    before = Assistant(load_index(fake_settings.index_dir, FakeEmbedder()), FakeEmbedder(), fake_settings)
    assert before.ask(question).answered
    write(folder, f'[not_answered]\nquestions = ["{question}"]\n')
    build_index(load_knowledge(folder), fake_settings.index_dir, FakeEmbedder())
    after = Assistant(load_index(fake_settings.index_dir, FakeEmbedder()), FakeEmbedder(), fake_settings)
    reply = after.ask(question)
    assert not reply.answered and reply.message.startswith("I have no answer to that in the garden guide")
    assert after.ask("When should I prune roses?").answered


def test_the_teach_command_exits_non_zero_when_nothing_could_be_taught(fake_settings: Settings, tmp_path: Path):
    lines = tmp_path / "lines.jsonl"
    lines.write_text(json.dumps({"question": "orchids", "expect": ["no passage says this"]}) + "\n", "utf-8")
    command = [sys.executable, "-m", "bot", "teach", str(lines), "--knowledge", str(fake_settings.knowledge_dir)]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1 and "nothing in" in result.stderr
    assert f"skipped: {lines}:1: 'orchids'" in result.stdout  # where the line to mend is


def test_the_teach_command_skips_and_names_a_broken_line_and_a_question_too_long_to_ask(
    fake_settings: Settings, tmp_path: Path
):
    """One bad JSON line stopped the whole file, and a 200,000-character line was taught and printed whole."""
    lines = tmp_path / "lines.jsonl"
    taught = {"question": "cutting roses back, when?", "expect": ["Prune roses in late winter"]}
    long = {"question": "roses " * 40_000, "expect": ["Prune roses in late winter"]}
    lines.write_text("\n".join([json.dumps(long), '{"question": "broken', json.dumps(taught)]) + "\n", "utf-8")
    command = [sys.executable, "-m", "bot", "teach", str(lines), "--knowledge", str(fake_settings.knowledge_dir)]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    said = result.stdout.splitlines()
    assert said[0].startswith(f"skipped: {lines}:1: 'roses roses ") and len(said[0]) < 450
    assert said[1] == "added: 'cutting roses back, when?' → " + ROSES
    assert said[0].endswith("…': 240,000 characters; a visitor may ask 1,000 at most, so none would match it")
    assert said[2].startswith(f"skipped: {lines}:2: expected {{")
    assert said[3] == "1 taught, 0 already there, 2 skipped."
    assert "roses roses" not in (fake_settings.knowledge_dir / "phrasings.toml").read_text(encoding="utf-8")


def test_an_untaught_folder_ranks_as_if_taught_questions_weighed_nothing(fake_index: Settings):
    index = load_index(fake_index.index_dir, FakeEmbedder())
    questions = ["When should I prune roses?", "how often to water", "mulch in summer"]
    rankings = [
        [
            [h.passage.id for h in Searcher(index, FakeEmbedder(), fake_index.replace(taught_weight=w)).search(q).hits]
            for q in questions
        ]
        for w in (0.0, 2.0, 10.0)
    ]
    assert rankings[0] == rankings[1] == rankings[2]


def test_a_question_far_from_everything_taught_ranks_as_in_the_untaught_folder(fake_settings: Settings):
    folder = fake_settings.knowledge_dir
    questions = ["how often to water", "mulch in summer", "what soil for tomatoes", "compost heap"]

    def rankings() -> list[list[tuple[str, float]]]:
        build_index(load_knowledge(folder), fake_settings.index_dir, FakeEmbedder())
        searcher = Searcher(load_index(fake_settings.index_dir, FakeEmbedder()), FakeEmbedder(), fake_settings.search)
        return [[(h.passage.id, round(h.score, 6)) for h in searcher.search(q).hits] for q in questions]

    untaught = rankings()
    write(folder, f'[[taught]]\npassage = "{ROSES}"\nquestions = ["when do roses get cut back"]\n')
    assert rankings() == untaught  # no word in common with the taught question: a cosine of 0 with it
    assert (
        Searcher(  # while the taught question itself still finds its passage
            load_index(fake_settings.index_dir, FakeEmbedder()), FakeEmbedder(), fake_settings.search
        )
        .search("when do roses get cut back")
        .hits[0]
        .matched
        == "taught"
    )


def garden_taught(folder: Path, roses_questions: list[str], watering_question: str) -> tuple[Passage, Passage]:
    """The fixture corpus copied to `folder`, its roses entry taught several questions and its watering section one:
    the two passages."""
    shutil.copytree(ROOT / "tests" / "fixtures" / "knowledge", folder)
    knowledge = load_knowledge(folder)
    roses = next(p for p in knowledge.passages if p.question == "When should I prune roses?")
    watering = next(p for p in knowledge.passages if p.heading == "Watering")
    with PhrasingsFile(folder) as phrasings:
        for question in roses_questions:
            phrasings.teach(roses, question, knowledge.passages)
        phrasings.teach(watering, watering_question, knowledge.passages)
    return roses, watering


def test_several_questions_taught_to_a_passage_outvote_a_nearer_single_one(tmp_path: Path):
    folder = tmp_path / "knowledge"
    seasons = [f"can i cut it back in my {season}" for season in ("autumn", "spring", "june")]
    roses, watering = garden_taught(folder, seasons, "can i cut it back in my garden please")  # the nearest one
    build_index(load_knowledge(folder), tmp_path / "index", FakeEmbedder())
    index = load_index(tmp_path / "index", FakeEmbedder())
    # the taught view alone decides, so that only the vote can change the order
    alone = Settings(passage_weight=0, question_weight=0, lexical_weight=0, late_interaction_weight=0)

    def first(agreement: float) -> str:
        searcher = Searcher(index, FakeEmbedder(), alone.replace(taught_agreement=agreement).search)
        return searcher.search("can i cut it back in my garden").hits[0].passage.id

    assert first(0.0) == watering.id
    assert first(alone.taught_agreement) == roses.id


def test_a_folder_taught_one_question_a_passage_ranks_the_same_with_or_without_the_vote(fake_settings: Settings):
    folder = fake_settings.knowledge_dir
    write(
        folder,
        f'[[taught]]\npassage = "{ROSES}"\nquestions = ["when do roses get cut back"]\n\n'
        '[[taught]]\npassage = "Garden Care Guide › Pests"\nquestions = ["how do i get rid of bugs"]\n',
    )
    build_index(load_knowledge(folder), fake_settings.index_dir, FakeEmbedder())
    index = load_index(fake_settings.index_dir, FakeEmbedder())
    questions = ["when do roses get cut back", "bugs on my roses", "how do i get rid of slugs", "water in summer"]
    rankings = [
        [
            [(h.passage.id, round(h.score, 6)) for h in searcher.search(q).hits]
            for q in questions
            for searcher in [Searcher(index, FakeEmbedder(), fake_settings.replace(taught_agreement=weight).search)]
        ]
        for weight in (0.0, 0.6, 5.0)
    ]
    assert rankings[0] == rankings[1] == rankings[2]


def test_a_folder_whose_taught_questions_do_not_find_each_other_fuses_as_untaught_but_for_repeats(
    fake_settings: Settings,
):
    """Its taught view counts for nothing in the fusion: the same passages reach the rerank with the same fused
    scores. The rerank still reads a taught question beside its passage's own (taught_late_floor); at 0 the whole
    ranking is the untaught one."""
    folder = fake_settings.knowledge_dir
    questions = ["bugs on my roses", "how do i get rid of slugs", "roses cut back in spring", "water in summer"]

    def searcher(settings: Settings = fake_settings) -> Searcher:
        build_index(load_knowledge(folder), settings.index_dir, FakeEmbedder())
        return Searcher(load_index(settings.index_dir, FakeEmbedder()), FakeEmbedder(), settings.search)

    def rankings(searcher: Searcher) -> list[list[tuple[str, float]]]:
        return [[(h.passage.id, round(h.score, 6)) for h in searcher.search(q).hits] for q in questions]

    def fused(searcher: Searcher) -> list[set[tuple[str, float]]]:
        return [{(h.passage.id, round(h.fused, 6)) for h in searcher.search(q).hits} for q in questions]

    before = searcher()
    untaught, untaught_fused = rankings(before), fused(before)
    write(
        folder,
        f'[[taught]]\npassage = "{ROSES}"\nquestions = ["when do roses get cut back"]\n\n'
        '[[taught]]\npassage = "Garden Care Guide › Pests"\nquestions = ["how do i get rid of bugs on roses"]\n',
    )
    taught = searcher()
    assert taught.taught_reliability == 0.0  # each taught question's nearest other is the other passage's
    assert fused(taught) == untaught_fused
    floorless = searcher(fake_settings.replace(taught_late_floor=0.0))
    assert rankings(floorless) == untaught

    def pests_rerank(searcher: Searcher) -> float:
        return next(h.rerank for h in searcher.search("bugs on my roses").hits if h.passage.heading == "Pests")

    assert pests_rerank(taught) > pests_rerank(floorless) + 0.2  # "...bugs on roses", taught to Pests, lifts it
    assert reference(taught.search("when do roses get cut back").hits[0].passage) == ROSES  # a repeat still is


@pytest.mark.integration
def test_a_taught_question_finds_its_passage_with_the_real_model(tmp_path: Path):
    from bot.embedding import SentenceEmbedder

    folder = tmp_path / "knowledge"
    shutil.copytree(ROOT / "knowledge", folder)
    settings = Settings.from_env(knowledge_dir=folder, index_dir=tmp_path / "index")
    embedder = SentenceEmbedder.from_settings(settings.model)
    question = "do the infused cells ever make people feel poorly afterwards"
    knowledge = load_knowledge(folder)
    side_effects = next(p for p in knowledge.passages if p.headings[-1:] == ("Safety and side effects",))
    with PhrasingsFile(folder) as phrasings:
        assert phrasings.teach(side_effects, question, knowledge.passages)
    build_index(load_knowledge(folder), settings.index_dir, embedder, settings=settings.index)
    reply = Assistant(load_index(settings.index_dir, embedder), embedder, settings).ask(question)
    assert reply.answered and reply.answer.passage.text == side_effects.text
    assert reply.ranking[0].matched == "taught"


@pytest.mark.integration
def test_teaching_one_question_a_passage_leaves_what_other_questions_are_shown_with_the_real_model(tmp_path: Path):
    from bot.embedding import SentenceEmbedder

    folder = tmp_path / "knowledge"
    shutil.copytree(ROOT / "knowledge", folder, ignore=shutil.ignore_patterns(PHRASINGS_FILE))  # the documents alone
    settings = Settings.from_env(knowledge_dir=folder, index_dir=tmp_path / "index")
    embedder = SentenceEmbedder.from_settings(settings.model)
    asked = ["how soon will i notice the treatment doing something", "is the infusion painful", "who can give cells"]

    def ranked() -> tuple[Searcher, list[list[str]]]:
        build_index(load_knowledge(folder), settings.index_dir, embedder, settings=settings.index)
        searcher = Searcher(load_index(settings.index_dir, embedder), embedder, settings.search)
        return searcher, [[h.passage.id for h in searcher.search(q).hits] for q in asked]

    _, untaught = ranked()
    knowledge = load_knowledge(folder)
    lessons = {  # one each, in words of their own: in a folder about one subject they sit near each other's
        ("Safety and side effects",): "could the drip make me feel ill for a few days",
        ("Types of NK cell therapy", "Allogeneic NK cell therapy"): "can my sister be the donor",
        ("The NK cell therapy process", "Treatment day"): "what happens on the day i get the cells",
        ("Response timeline",): "will my energy levels improve after nk therapy?",  # fused far below the top 20
    }
    with PhrasingsFile(folder) as phrasings:
        for headings, question in lessons.items():
            passage = next(p for p in knowledge.passages if p.headings[-len(headings) :] == headings)
            assert phrasings.teach(passage, question, knowledge.passages)
    searcher, taught = ranked()
    assert searcher.taught_reliability < searcher.settings.taught_reliability_from
    assert [ranking[:3] for ranking in taught] == [ranking[:3] for ranking in untaught]  # what a visitor is shown
    # the rerank reads a taught question beside its passage's own (taught_late_floor), further down; the fusion not
    floorless = Searcher(searcher.index, embedder, replace(settings.search, taught_late_floor=0.0))
    assert [[h.passage.id for h in floorless.search(q).hits] for q in asked] == untaught
    for headings, question in lessons.items():  # while each taught question, asked again, finds its passage
        assert searcher.search(question).hits[0].passage.headings[-len(headings) :] == headings


@pytest.mark.integration
def test_a_passage_taught_several_near_questions_gains_its_lead_with_the_real_model(tmp_path: Path):
    from bot.embedding import SentenceEmbedder

    folder = tmp_path / "knowledge"
    pruning = [f"when should i {verb} my roses back" for verb in ("prune", "cut", "trim")]
    roses, watering = garden_taught(folder, pruning, "when should i water my roses")
    settings = Settings.from_env(knowledge_dir=folder, index_dir=tmp_path / "index")
    embedder = SentenceEmbedder.from_settings(settings.model)
    build_index(load_knowledge(folder), settings.index_dir, embedder, settings=settings.index)
    index = load_index(settings.index_dir, embedder)
    question = "when should i lop my roses"  # nearest to the watering question, and near all three pruning ones

    def lead(agreement: float) -> float:
        reply = Assistant(index, embedder, settings.replace(taught_agreement=agreement)).ask(question)
        assert reply.ranking[0].passage.id == roses.id  # what staff see ranked first (the word "lop" is unknown)
        assert reply.ranking[0].taught < max(h.taught for h in reply.ranking)  # not the nearest taught question
        return reply.ranking[0].score - next(h.score for h in reply.ranking if h.passage.id == watering.id)

    assert lead(settings.taught_agreement) > lead(0.0) + 0.05


def test_a_phrasings_file_of_inline_tables_or_comments_alone_is_read(knowledge_dir: Path):
    passages = load_knowledge(knowledge_dir).passages
    for text in ("", "# nothing taught yet\n"):
        write(knowledge_dir, text)
        assert load_teaching(knowledge_dir, passages) == (load_teaching(knowledge_dir, [])[0], [])
    write(knowledge_dir, f'taught = [{{passage = "{ROSES}", questions = ["pruning when"]}}]\n')
    teaching, problems = load_teaching(knowledge_dir, passages)
    assert list(teaching.phrasings.values()) == [("pruning when",)] and problems == []


def test_follow_moves_or_removes_only_what_the_change_lost(tmp_path: Path):
    """A taught entry that named a passage before a change and none after it moves to the passage with the same
    text, or goes; one that named none before is a hand-made slip, left for `check` to report."""
    folder = tmp_path / "knowledge"
    folder.mkdir()
    document = folder / "care.md"
    document.write_text("---\ntitle: Care\n---\n\n# Water\n\nWater weekly.\n\n# Soil\n\nAdd compost.\n", "utf-8")
    before = load_knowledge(folder).passages
    water, soil = before
    with PhrasingsFile(folder) as phrasings:
        phrasings.teach(water, "how often to water?", before)
        phrasings.teach(soil, "what soil?", before)
    slip = '\n[[taught]]\npassage = "Nowhere"\nquestions = ["typo?"]\n'
    (folder / PHRASINGS_FILE).write_text((folder / PHRASINGS_FILE).read_text("utf-8") + slip, "utf-8")
    document.write_text("---\ntitle: Plant care\n---\n\n# Water\n\nWater weekly.\n", "utf-8")
    with PhrasingsFile(folder) as phrasings:
        assert phrasings.follow(before, passages_of(folder)) == (
            ["how often to water?"],
            ["what soil?"],
        )
    text = (folder / PHRASINGS_FILE).read_text("utf-8")
    assert 'passage = "Plant care › Water"' in text and "what soil?" not in text and '"Nowhere"' in text


def passages_of(folder: Path) -> list[Passage]:
    """The passages of the folder's documents, whatever phrasings.toml says of them."""
    from bot.knowledge import parse_document

    return [p for path in sorted(folder.glob("*.md")) for p in parse_document(path, path.name)[0]]


@pytest.mark.integration
def test_teaching_one_question_a_passage_still_helps_the_rerank_with_the_real_model(tmp_path: Path):
    """NK's documents taught with tests/eval/tuning.jsonl, about one question a passage, asked NK dev's questions:
    the taught view counts for nothing in the fusion, but in the rerank a taught question stands beside its passage's
    FAQ question (taught_late_floor), and more of them find their passage first than without it."""
    from bot.embedding import SentenceEmbedder
    from bot.evaluate import evaluate, load_cases
    from bot.teaching import teach_cases

    folder = tmp_path / "knowledge"
    shutil.copytree(ROOT / "knowledge", folder, ignore=shutil.ignore_patterns(PHRASINGS_FILE))  # the documents alone
    teach_cases(folder, load_cases(ROOT / "tests/eval/tuning.jsonl"), load_knowledge(folder).passages)
    settings = Settings.from_env(knowledge_dir=folder, index_dir=tmp_path / "index")
    embedder = SentenceEmbedder.from_settings(settings.model)
    build_index(load_knowledge(folder), settings.index_dir, embedder, settings=settings.index)
    index = load_index(settings.index_dir, embedder)
    asked = [case for case in load_cases(ROOT / "tests/eval/dev.jsonl") if case.expect is not None]
    floored, _ = evaluate(Assistant(index, embedder, settings), asked)
    floorless, _ = evaluate(Assistant(index, embedder, settings.replace(taught_late_floor=0.0)), asked)
    assert Searcher(index, embedder, settings.search).taught_reliability < settings.taught_reliability_from
    assert floored.hit_at_1 > floorless.hit_at_1 and floored.mrr_at_10 > floorless.mrr_at_10
