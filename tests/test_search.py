"""Ranking that holds on any FAQ folder: standardised views, and late interaction whose tokens count by rarity."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from bot.config import Settings
from bot.index import build_index, load_index
from bot.knowledge import load_knowledge
from bot.knowledge.phrasings import PHRASINGS_FILE, reference
from bot.scoring import standardised, taught_agreement, taught_reliability
from bot.search import Searcher, entries, question_weight

from conftest import SPLIT_ANSWER, CountingEmbedder, FakeEmbedder, split_answer_index

# Every entry names the topic ("virus") but one, which answers the question in other words; the way a public FAQ
# says "COVID-19" in one entry and "coronavirus" in the next.
ENTRIES = {
    "What are the symptoms?": "Fever and a dry cough are the common symptoms.",
    "Where did the virus come from?": "The virus came from animals; the virus then reached people.",
    "How does the virus spread?": "The virus spreads through droplets, and the virus lingers on hands.",
    "How long does the virus last on surfaces?": "The virus lasts for hours on plastic.",
}


@pytest.fixture
def faq(tmp_path: Path) -> Searcher:
    return faq_searcher(tmp_path)


def faq_searcher(tmp_path: Path, phrasings: str = "") -> Searcher:
    folder = tmp_path / "faq"
    folder.mkdir(exist_ok=True)
    for number, (question, answer) in enumerate(ENTRIES.items()):
        text = f"---\ntitle: Entry {number}\n---\n\n## {question}\n\n{answer}\n"
        (folder / f"entry-{number}.md").write_text(text, encoding="utf-8")
    (folder / PHRASINGS_FILE).write_text(phrasings, encoding="utf-8")
    build_index(load_knowledge(folder), tmp_path / "index", FakeEmbedder())
    return Searcher(load_index(tmp_path / "index", FakeEmbedder()), FakeEmbedder(), Settings().search)


def test_standardised_rows_have_mean_0_and_deviation_1_and_flat_rows_become_0():
    rows = np.array([[1.0, 2.0, 3.0, 4.0], [5.0, 5.0, 5.0, 5.0], [0.0, 100.0, 0.0, 100.0]])
    result = standardised(rows)
    assert np.allclose(result[[0, 2]].mean(axis=1), 0) and np.allclose(result[[0, 2]].std(axis=1), 1)
    assert np.all(result[1] == 0)  # nothing to tell apart: no say in the ranking
    assert np.allclose(result[2], [-1, 1, -1, 1])  # a wide range counts no more than a narrow one
    among = standardised(np.array([[1.0, 3.0, 10.0]]), among=2)  # statistics of the first two only
    assert np.allclose(among, [[-1.0, 1.0, 8.0]])


def test_taught_agreement_is_each_passages_vote_beyond_its_nearest_question():
    # taught questions' cosines with the query, and the candidate (0, 1 or 2) each was taught to
    cosines = np.array([0.90, 0.88, 0.87, 0.86, 0.50])
    owners = np.array([1, 0, 0, 0, 2])
    agreement = taught_agreement(cosines, owners, 3, neighbours=4, temperature=0.05)
    votes = np.exp((cosines[:4] - 0.90) / 0.05) / np.exp((cosines[:4] - 0.90) / 0.05).sum()
    assert agreement[0] == pytest.approx(votes[2] + votes[3])  # its 2nd and 3rd questions; the nearest counts apart
    assert agreement[1] == 0.0 and agreement[2] == 0.0  # one question near (or none among the neighbours): no vote
    one_each = taught_agreement(np.array([0.9, 0.8, 0.7]), np.array([0, 1, 2]), 3, neighbours=10, temperature=0.05)
    assert not one_each.any()  # a passage taught one question ranks as without the vote
    assert not taught_agreement(cosines, owners, 3, neighbours=0, temperature=0.05).any()
    assert not taught_agreement(np.zeros(0), np.zeros(0, int), 3, neighbours=10, temperature=0.05).any()


def test_taught_reliability_is_the_share_whose_nearest_other_taught_question_is_the_same_passages():
    vectors = np.array([[1.0, 0.0], [0.99, 0.14], [0.0, 1.0], [0.14, 0.99], [0.7, 0.7]])
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    assert taught_reliability(vectors, np.array([0, 0, 1, 1, 2])) == pytest.approx(4 / 5)  # only the lone one misses
    assert taught_reliability(vectors, np.array([0, 1, 2, 3, 4])) == 0.0  # one question a passage: none predicts
    assert taught_reliability(vectors[:1], np.array([0])) == 0.0
    assert taught_reliability(vectors, np.array([0, 0, 1, 1, 2]), sample=2) == 0.5  # the first, and the lone last


def test_the_question_view_counts_more_only_where_nearly_every_passage_is_an_faq_entry(faq: Searcher):
    s = Settings().search
    assert question_weight(0.15, s) == s.question_weight  # a folder of prose with a few FAQ entries: as before
    assert question_weight(0.95, s) == s.faq_question_weight
    assert s.question_weight < question_weight(0.7, s) < s.faq_question_weight
    assert faq.question_weight == s.faq_question_weight  # every entry of the fixture is an FAQ entry
    assert question_weight(0.95, replace(s, question_weight=0.0)) == 0.0  # a view turned off stays off
    assert question_weight(0.95, replace(s, question_weight=4.0)) == 4.0  # never less in an FAQ folder
    step = replace(s, faq_share_from=0.9, faq_share_full=0.9)
    assert (question_weight(0.89, step), question_weight(0.9, step)) == (s.question_weight, s.faq_question_weight)


def test_a_word_every_entry_uses_decides_nothing_in_the_rerank(faq: Searcher):
    """Plain MeanMaxSim gives "virus" as much say as "symptoms": three entries match it and tie with the one that
    answers. Weighted by how rare a match is among the reranked entries, the symptoms entry wins."""
    question = "virus symptoms"
    uniform = Searcher(faq.index, faq.embedder, replace(faq.settings, late_match_similarity=2.0))  # no token rarer
    plain = {hit.passage.question: hit.late for hit in uniform.search(question, k=4).hits}
    assert plain["What are the symptoms?"] == pytest.approx(plain["How does the virus spread?"], abs=1e-3)
    hits = faq.search(question, k=4).hits
    weighted = {hit.passage.question: hit.late for hit in hits}
    assert weighted["What are the symptoms?"] > weighted["How does the virus spread?"] + 0.3
    assert hits[0].passage.question == "What are the symptoms?"


def test_an_faq_entry_is_also_read_against_its_question_alone(faq: Searcher):
    """The entry's question tokens come first among its tokens: late interaction with them alone sees that a
    question's words are in the answer only, not in the question."""
    symptoms = next(p for p in faq.index.passages if p.question == "What are the symptoms?")
    assert faq.late_interaction.question_length(symptoms) == 4  # what, are, the, symptoms
    _, tokens = faq.embedder.encode_with_tokens(["dry cough symptoms"])
    whole, question = faq.late_interaction.max_sims(tokens[0], [symptoms])
    assert np.allclose(whole[:, 0], 1.0)  # every word is in the passage
    assert np.allclose(question[:, 0], [0.0, 0.0, 1.0])  # only "symptoms" is in its question


def test_a_threads_answer_is_read_against_its_title_alone_though_the_title_is_no_question(tmp_path: Path):
    """A forum thread's answers, a document each under the thread's title: the title is the question they answer,
    whether or not it ends in "?". Read whole in its stead, a statement-titled thread's answer matched more of any
    question than a question-titled thread's few title words, and outranked it in the rerank's question share."""
    folder = tmp_path / "knowledge"
    folder.mkdir()
    for name, answer in {"a1": "Boil it with baking soda once.", "a2": "Most new ones smell for a week."}.items():
        text = f"---\ntitle: New kettle smells of plastic\n---\n\n## New kettle smells of plastic\n\n{answer}\n"
        (folder / f"kettle-{name}.md").write_text(text, encoding="utf-8")
    (folder / "guide.md").write_text("---\ntitle: Kettle guide\n---\n\n## Descaling\n\nVinegar lifts scale.\n")
    build_index(load_knowledge(folder), tmp_path / "index", FakeEmbedder())
    searcher = Searcher(load_index(tmp_path / "index", FakeEmbedder()), FakeEmbedder(), Settings().search)
    passages = {p.text: p for p in searcher.index.passages}
    answer, prose = passages["Boil it with baking soda once."], passages["Vinegar lifts scale."]
    assert searcher.late_interaction.question_length(answer) == 5  # new, kettle, smells, of, plastic
    assert searcher.late_interaction.question_length(prose) == 0  # a section of prose is read whole
    _, tokens = searcher.embedder.encode_with_tokens(["kettle baking soda"])
    whole, question = searcher.late_interaction.max_sims(tokens[0], [answer, prose])
    assert np.allclose(whole[:, 0], 1.0)  # every word is in the answer
    assert np.allclose(question[:, 0], [1.0, 0.0, 0.0])  # only "kettle" is in its title
    assert np.array_equal(question[:, 1], whole[:, 1])


def test_a_taught_question_is_one_more_question_of_its_passage_in_the_rerank(tmp_path: Path):
    """Late interaction reads the query against the questions staff taught too, as far as teaching in the folder
    predicts itself: the question's share takes the better of the FAQ question and the best taught question."""
    taught = {"Where did the virus come from?": ["germ origin bats", "origin of the germ"]}
    taught |= {"What are the symptoms?": ["signs of illness", "illness signs"]}
    searcher = faq_searcher(
        tmp_path,
        "".join(
            f'[[taught]]\npassage = "Entry {list(ENTRIES).index(q)} › {q}"\nquestions = {questions}\n\n'
            for q, questions in taught.items()
        ).replace("'", '"'),
    )
    assert searcher.taught_reliability == 1.0  # each taught question's nearest other is its own passage's
    passages = searcher.index.passages
    origin = next(i for i, p in enumerate(passages) if p.question == "Where did the virus come from?")
    _, tokens = searcher.embedder.encode_with_tokens(["germ origin"])
    interaction, settings = searcher.late_interaction, searcher.settings
    best = interaction.taught_late(tokens[0], passages, np.array([0.5, 0.5]))
    assert best[origin] == pytest.approx(1.0)  # both words are in "germ origin bats"
    assert [np.isfinite(b) for b in best] == [bool(p.phrasings) for p in passages]  # -inf where none was taught
    late, untaught = interaction.rerank_scores(tokens[0], passages, len(passages), settings, taught_trust=0.0)
    same_late, rerank = interaction.rerank_scores(tokens[0], passages, len(passages), settings, taught_trust=1.0)
    assert np.array_equal(late, same_late)  # the passage's own late interaction is untouched
    assert np.allclose(untaught, 0.0)  # no query word is in any entry: late interaction alone tells none apart
    assert int(np.argmax(rerank)) == origin and rerank[origin] > 0
    assert reference(searcher.search("germ origin").hits[0].passage) == reference(passages[origin])


def test_a_passage_s_taught_questions_are_read_as_runs_of_neighbouring_token_rows():
    from bot.scoring import _runs

    offsets = np.array([0, 3, 3, 7, 9, 12])  # question 1 has no tokens; question 3 is another passage's
    runs = _runs(np.array([0, 1, 2, 4]), offsets)
    assert [(start, end, list(starts)) for start, end, starts in runs] == [(0, 7, [0, 3]), (9, 12, [0])]


def test_the_scores_add_up_and_the_reranked_come_first(faq: Searcher):
    hits = faq.search("does the virus spread on hands", k=4).hits
    weight = faq.settings.late_interaction_weight
    for hit in hits:
        assert hit.score == pytest.approx((1 - weight) * hit.fused + weight * hit.rerank)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert hits[0].passage.question == "How does the virus spread?"
    off = Searcher(faq.index, faq.embedder, replace(faq.settings, late_interaction_weight=0)).search("virus", k=4)
    assert [h.score for h in off.hits] == [h.fused for h in off.hits]  # no rerank: the fused order


def test_confidence_starts_from_the_answers_cosine_and_late_interaction(faq: Searcher):
    """Every word is the documents' own, so nothing is taken off: the confidence is the blend itself."""
    results = faq.search("how does the virus spread", k=3)
    answer, share = results.hits[0], faq.settings.confidence_late_share
    assert results.uncovered_words == () and 0 < share < 1
    assert results.confidence == pytest.approx((1 - share) * answer.dense + share * answer.late)
    off = Searcher(faq.index, faq.embedder, replace(faq.settings, late_interaction_weight=0)).search("virus spread")
    assert off.confidence == pytest.approx(off.hits[0].dense)  # no rerank, no late interaction to blend


def test_a_word_the_documents_lack_goes_through_the_model_once_and_ranks_the_same_after(tmp_path: Path):
    folder = tmp_path / "faq"
    folder.mkdir()
    for number, (question, answer) in enumerate(ENTRIES.items()):
        (folder / f"entry-{number}.md").write_text(f"## {question}\n\n{answer}\n", encoding="utf-8")
    build_index(load_knowledge(folder), tmp_path / "index", FakeEmbedder())
    embedder = CountingEmbedder()
    searcher = Searcher(load_index(tmp_path / "index", embedder), embedder, Settings(word_cache_size=1).search)
    first = searcher.search("how much does the virus cost")
    again = searcher.search("what does the virus cost")
    assert embedder.seen == ["how much does the virus cost", "cost", "what does the virus cost"]
    cold = Searcher(load_index(tmp_path / "index", FakeEmbedder()), FakeEmbedder(), Settings().search)
    assert again == cold.search("what does the virus cost") and first.hits
    searcher.search("is there a vaccine")  # a second word: the cache of one lets go of "cost"
    searcher.search("the cost")
    assert embedder.seen[-4:] == ["is there a vaccine", "vaccine", "the cost", "cost"]
    two = Searcher(load_index(tmp_path / "index", embedder), embedder, Settings(word_cache_size=2).search)
    for question in ("the cost", "a vaccine", "the cost", "any tests"):  # "cost", met again, outlives "vaccine"
        two.search(question)
    two.search("what cost")
    assert embedder.seen[-3:] == ["any tests", "tests", "what cost"] and "vaccine" not in two._word_vectors


def test_bm25_held_dense_gives_bm25s_sums_to_the_bit(faq: Searcher, monkeypatch: pytest.MonkeyPatch):
    import bot.lexical

    lexical = faq.lexical
    queries = [["virus", "spread"], ["virus", "virus", "hands"], ["cough"], ["plastic", "animals", "fever"], ["zebra"]]
    dense = [lexical.scores(words) for words in queries]
    assert lexical._dense is not None and any(scores.any() for scores in dense)
    monkeypatch.setattr(bot.lexical, "DENSE_SCORES_MB", 0)  # a corpus too big to hold dense: bm25s's own scoring
    sparse = bot.lexical.LexicalIndex(faq.index.passages, lexical.vocabulary)
    assert sparse._dense is None
    for words, held in zip(queries, dense, strict=True):
        assert held.dtype == np.float32 and np.array_equal(held, sparse.scores(words))
    assert np.array_equal(
        lexical.weighted_scores({"virus": 0.3, "cough": 1.7}), sparse.weighted_scores({"virus": 0.3, "cough": 1.7})
    )


def ranked(settings: Settings, question: str) -> list[str]:
    searcher = Searcher(load_index(settings.index_dir, FakeEmbedder()), FakeEmbedder(), settings.search)
    return [hit.passage.text[:25] for hit in searcher.search(question, k=4).hits]


def test_an_faq_entrys_second_part_ranks_after_the_other_entries(tmp_path: Path):
    settings = split_answer_index(tmp_path)
    first, second = "The virus spreads through", "The virus spreads on hand"
    other, symptoms = "Wash hands so the virus d", "Fever and a dry cough."
    assert ranked(settings, "how does the virus spread") == [first, other, symptoms, second]
    assert ranked(settings.replace(entries_first=False), "how does the virus spread") == [
        first,
        second,
        other,
        symptoms,
    ]


def test_a_section_of_prose_in_two_passages_ranks_by_score(tmp_path: Path):
    settings = split_answer_index(tmp_path, ending="")  # "How does the virus spread" is a heading, not a question
    by_score = ranked(settings.replace(entries_first=False), "how does the virus spread")
    assert ranked(settings, "how does the virus spread") == by_score
    assert by_score[1:3] == ["The virus spreads through", "The virus spreads on hand"]


def test_a_threads_answers_are_one_entry_whatever_its_title(tmp_path: Path):
    """Each answer of a forum thread is a document under the thread's title, a question or not; one document's
    section of prose cut in two is not an entry."""
    folder = tmp_path / "knowledge"
    folder.mkdir()
    answers = {"a1": "Boil it with baking soda once.", "a2": "Most new ones smell for a week."}
    for name, answer in answers.items():
        text = f"---\ntitle: New kettle smells of plastic\n---\n\n## New kettle smells of plastic\n\n{answer}\n"
        (folder / f"kettle-{name}.md").write_text(text, encoding="utf-8")
    (folder / "guide.md").write_text(
        "---\ntitle: Kettle guide\n---\n\n## Descaling\n\n" + SPLIT_ANSWER["How does the virus spread?"] + "\n"
    )
    passages = load_knowledge(folder).passages
    parts = entries(passages)
    thread = {parts[p.id] for p in passages if p.source.title == "New kettle smells of plastic"}
    assert thread == {("New kettle smells of plastic", ("New kettle smells of plastic",))}
    assert [p.id for p in passages if p.source.title == "Kettle guide" and p.id in parts] == []


def test_documents_that_share_a_title_and_a_heading_of_prose_are_no_entry(tmp_path: Path):
    """Two leaflets under one template title, each with its own "Side effects": unrelated sections, not a thread."""
    folder = tmp_path / "knowledge"
    folder.mkdir()
    for drug in ("aspirin", "ibuprofen"):
        text = f"---\ntitle: Patient leaflet\n---\n\n## Side effects\n\n{drug.title()} can upset the stomach.\n"
        (folder / f"{drug}.md").write_text(text, encoding="utf-8")
    assert entries(load_knowledge(folder).passages) == {}
