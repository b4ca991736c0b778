"""End to end with the real model and a real FAISS index built from knowledge/:
through the CLI as staff use it, and through the running app's HTTP API as the page uses it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import Settings
from bot.index import embedding_text, live_build
from bot.render import escape_markdown
from bot.search import Searcher

from conftest import ROOT, bot_command, copy_of_real
from http_client import call

pytestmark = pytest.mark.integration

SIDE_EFFECTS = "Possible side effects may include fatigue, fever, chills"
DISCLAIMER_START = "This content is for informational purposes only"


def bot(settings: Settings, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(bot_command(settings, *args), cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_side_effects_question_quotes_the_faq_answer_first(real_assistant):
    reply = real_assistant.ask("What are the side effects of NK cell therapy?")
    assert reply.answered
    assert reply.answer.passage.text.startswith(SIDE_EFFECTS)
    assert reply.answer.passage.citation.startswith("Natural Killer (NK) Cell Therapy › ")
    assert reply.disclaimer.startswith(DISCLAIMER_START)


@pytest.mark.parametrize(
    "question",
    [
        "How much does NK cell therapy cost?",
        "what is the price of nk cell therapy",  # "price" has a near-miss in the documents: "offer", 0.57
        "Is NK cell therapy covered by my health insurance?",
        "Does my health insurance pay for NK cell therapy?",  # "pay" is 0.59 from "charged"
        "where is the nk cell therapy clinic located",
    ],
)
def test_a_question_on_the_topic_but_outside_the_documents_gets_the_fallback(real_assistant, question: str):
    reply = real_assistant.ask(question)
    assert not reply.answered
    assert reply.message == real_assistant.site.fallback
    assert reply.disclaimer.startswith(DISCLAIMER_START)


def test_cli_ask_json(real_settings: Settings):
    result = bot(real_settings, "ask", "What are the side effects of NK cell therapy?", "-k", "3", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["question"] == "What are the side effects of NK cell therapy?"
    assert data["answered"] is True
    assert data["passages"][0]["text"].startswith(SIDE_EFFECTS)
    assert data["passages"][0]["title"] == "Natural Killer (NK) Cell Therapy"
    assert data["passages"][0]["heading"].endswith("What are the side effects of NK cell therapy?")
    assert [p["score"] for p in data["passages"]] == sorted((p["score"] for p in data["passages"]), reverse=True)
    assert data["disclaimer"].startswith(DISCLAIMER_START)


def test_cli_ask_text_and_fallback(real_settings: Settings):
    answered = bot(real_settings, "ask", "What is CAR-NK therapy?")
    assert answered.returncode == 0 and "CAR-NK therapy" in answered.stdout and "Disclaimer:" in answered.stdout
    fallback = bot(real_settings, "ask", "How much does NK cell therapy cost?", "-k", "5", "--json")
    data = json.loads(fallback.stdout)
    assert data["answered"] is False and "Stemcell Consultancy" in data["message"]
    assert data["passages"] == []  # nothing is shown as an answer...
    assert len(data["ranking"]) == 5 and data["confidence"] < real_settings.min_confidence  # ...staff see why


def test_cli_build_prints_a_summary_and_warnings_with_file_and_line(tmp_path: Path):
    def build(*flags: str) -> subprocess.CompletedProcess:
        command = [sys.executable, "-m", "bot", "build", "--quiet", *flags, "--index", str(tmp_path / "index")]
        return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)

    result = build()
    assert result.returncode == 0, result.stderr
    assert "Built " in result.stdout and "2 documents" in result.stdout and "warnings" in result.stdout
    assert "nk-cell-therapy-stemcell-consultancy.md:36: warning: line ends with ':'" in result.stderr
    assert "is up to date" in build("--if-needed").stdout
    # an index from an older version of the bot is rebuilt by --if-needed, as `make run` uses it
    manifest = next((tmp_path / "index" / "builds").glob("*/manifest.json"))
    manifest.write_text(json.dumps({**json.loads(manifest.read_text()), "format": 1}))
    result = build("--if-needed")
    assert result.returncode == 0 and "Built " in result.stdout, result.stderr
    assert "Building: The index was built in format 1" in result.stderr
    assert "run `python -m bot build`" not in result.stderr  # which is what it is doing


@pytest.mark.parametrize("command", [["-m", "bot", "ask", "hello"], ["app.py", "--port", "7899"]])
def test_cli_errors_are_one_line_with_the_fix(tmp_path: Path, command: list[str]):
    """app.py followed the line with the model process's traceback: it was still loading when the app gave up."""
    result = subprocess.run(
        [sys.executable, *command, "--index", str(tmp_path / "none")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"error: No index in {tmp_path / 'none'}/; run `python -m bot build` to build it from the knowledge folder."
    ]
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("folder", ["missing", "empty"])
def test_cli_check_of_a_missing_or_empty_folder_says_what_is_wrong(tmp_path: Path, folder: str):
    (tmp_path / "empty").mkdir()
    command = [sys.executable, "-m", "bot", "check", "--knowledge", str(tmp_path / folder)]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 2
    expected = "does not exist; create it" if folder == "missing" else "No Markdown (.md) files"
    assert len(result.stderr.strip().splitlines()) == 1 and expected in result.stderr


@pytest.mark.parametrize(
    ("setting", "expected"),
    [("BOT_PORT=abc", "BOT_PORT must be a whole number"), ("--port=70000", "cannot listen on 127.0.0.1:70000")],
)
def test_the_app_refuses_a_bad_port_in_one_line(real_settings: Settings, setting: str, expected: str):
    env = {**os.environ, "BOT_INDEX_DIR": str(real_settings.index_dir), "BOT_VISIT_LOG": "0"}
    argv = [sys.executable, "app.py"]
    if setting.startswith("--"):
        argv.append(setting)
    else:
        env[setting.split("=")[0]] = setting.split("=")[1]
    result = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith(f"error: {expected}")


def test_cli_evaluate_reports_the_metrics(real_settings: Settings):
    result = bot(real_settings, "evaluate", "tests/eval/heldout.jsonl", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data["metrics"]) >= {
        "hit_at_1",
        "hit_at_3",
        "mrr_at_10",
        "out_of_scope_rejected",
        "in_scope_false_rejection",
    }
    assert all(set(q) == {"question", "rank", "answered", "notice"} for q in data["questions"])


def test_cli_evaluate_reports_urgent_caught_and_false_alarms(real_settings: Settings, tmp_path):
    lines = [
        {"question": "i cant breathe and my lips are blue", "urgent": True},
        {"question": "how often do allergic reactions happen?", "urgent": False},
        {"question": "What are NK cells?", "expect": ["NK cells are lymphocytes"], "urgent": False},
    ]
    cases = tmp_path / "urgent.jsonl"
    cases.write_text("\n".join(json.dumps(line) for line in lines), encoding="utf-8")
    data = json.loads(bot(real_settings, "evaluate", str(cases), "--json").stdout)
    assert data["metrics"]["urgent"] == 1 and data["metrics"]["calm"] == 2 and data["metrics"]["in_scope"] == 1
    assert data["metrics"]["urgent_caught"] == 1.0 and data["metrics"]["false_alarms"] == 0.0
    assert [q["notice"] for q in data["questions"]] == [True, False, False]
    shown = bot(real_settings, "evaluate", str(cases)).stdout
    assert "urgent caught              1.000 (of 1 urgent messages)" in shown and "false alarms" in shown


def text_of(message: dict) -> str:
    """A chat message's text, whether Gradio sends a string or a list of parts."""
    content = message["content"]
    return content if isinstance(content, str) else "".join(part.get("text", "") for part in content)


def test_app_chat_over_http_answers_verbatim_with_citation_and_disclaimer(app_url: str):
    event, (history, box) = call(app_url, "respond", "What are the side effects of NK cell therapy?", [])
    assert event == "complete" and box == ""
    user, answer = history
    assert user["role"] == "user" and answer["role"] == "assistant"
    assert escape_markdown(SIDE_EFFECTS) in text_of(answer)
    assert "Source: What are the side effects of NK cell therapy? — Natural Killer (NK) Cell Therapy" in text_of(answer)
    assert DISCLAIMER_START in text_of(answer)


def test_app_json_api_and_fallback_over_http(app_url: str):
    event, (data,) = call(app_url, "ask", "How much does NK cell therapy cost?")
    assert event == "complete"
    assert data["answered"] is False and data["disclaimer"].startswith(DISCLAIMER_START)


def test_app_shows_visitor_html_as_text(app_url: str):
    event, (history, _) = call(app_url, "respond", "<script>alert('x')</script> side effects?", [])
    assert event == "complete"
    assert "<script>" not in text_of(history[0]) and "&lt;script&gt;" in text_of(history[0])


def test_app_serves_the_published_build_when_knowledge_changed_and_tells_staff(real_settings: Settings, tmp_path: Path):
    """Staff editing knowledge/ (or staging a document) must not take the chat away from visitors."""
    import requests

    from http_client import start_app

    settings = copy_of_real(real_settings, tmp_path)
    (settings.knowledge_dir / "extra.md").write_text("# Extra\n\nNew text, not built yet.\n", encoding="utf-8")
    env = {**os.environ, "BOT_INDEX_DIR": str(settings.index_dir), "BOT_KNOWLEDGE_DIR": str(settings.knowledge_dir)}
    app = start_app(ROOT, env=env)
    try:
        reply = requests.post(f"{app.base}/api/ask", json={"question": "What are the side effects?"}, timeout=60)
        ready = requests.get(f"{app.base}/readyz", timeout=10).json()
        (settings.knowledge_dir / "unreadable.md").symlink_to("/proc/self/mem")  # a file whose read fails (EIO)
        unreadable = requests.get(f"{app.base}/readyz", timeout=10)
        log = app.output()
    finally:
        app.stop()
    assert reply.ok and reply.json()["passages"][0]["text"].startswith(SIDE_EFFECTS)
    assert ready["build"] == live_build(settings.index_dir) and ready["stale"] is True
    assert unreadable.status_code == 200 and unreadable.json()["stale"] is None  # still ready, its staleness unknown
    assert f"is older than {settings.knowledge_dir}/ (extra.md changed since)" in log
    assert "run `python -m bot build`" in log and "python -m bot publish" in log


def test_cli_ask_answers_from_the_live_build_with_a_warning_when_knowledge_changed(
    real_settings: Settings, tmp_path: Path
):
    settings = copy_of_real(real_settings, tmp_path)
    (settings.knowledge_dir / "extra.md").write_text("# Extra\n\nNew text, not built yet.\n", encoding="utf-8")
    result = bot(settings, "ask", "What are the side effects of NK cell therapy?")
    assert result.returncode == 0 and SIDE_EFFECTS in result.stdout
    assert result.stderr.startswith("warning: the live index") and "(extra.md changed since)" in result.stderr


def test_app_refuses_a_damaged_index_with_the_fix(real_settings: Settings, tmp_path: Path):
    settings = copy_of_real(real_settings, tmp_path)
    (settings.index_dir / "builds" / live_build(settings.index_dir) / "vectors.faiss").write_bytes(b"garbage")
    result = subprocess.run(
        [sys.executable, "app.py", "--knowledge", str(settings.knowledge_dir), "--index", str(settings.index_dir)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert "is damaged or incomplete" in result.stderr and "run `python -m bot build`" in result.stderr


def test_cli_evaluate_sweep_prints_the_trade_off(documents_assistant):
    # Asked of the documents alone: knowledge/ ships taught with the tuning split's own questions, which the sweep
    # would score by the confidence of questions it was taught (teaching dev12 and dev13 moved it a step).
    real_settings = documents_assistant.settings
    result = bot(real_settings, "evaluate", "tests/eval/tuning.jsonl", "--sweep")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"current threshold: {real_settings.min_confidence}"
    assert lines[1].split() == ["threshold", "answered", "in-scope", "answered", "right", "out-of-scope", "rejected"]
    rows = [[float(cell) for cell in line.split()] for line in lines[2:-1]]
    assert rows[0][1] == 1.0 and rows[-1][0] == 1.0  # from answering every in-scope question, up to 1
    thresholds, answered, _, rejected = zip(*rows, strict=True)
    assert list(thresholds) == sorted(set(thresholds)) and list(answered) == sorted(answered, reverse=True)
    assert list(rejected) == sorted(rejected) and len(rows) > 10
    assert real_settings.min_confidence in thresholds  # the current threshold's row is always shown
    # The shipped threshold is the one the rule in bot/config.py picks on the tuning split.
    assert lines[-1].startswith(f"suggested threshold: {real_settings.min_confidence:.3f} (one step above")


@pytest.mark.parametrize(
    "message",
    [
        "I have chest pain after my infusion",
        "I can’t breathe properly since yesterday",
        "Chest-pain after the infusion!!",
        "i cant breath after the infusion",
    ],
)
def test_urgent_messages_get_the_notice_then_the_reactions_to_report(real_assistant, message: str):
    reply = real_assistant.ask(message)
    assert reply.notice and reply.notice.startswith("If you are having a medical emergency")
    assert "should report fever, breathing difficulty" in reply.answer.passage.text
    assert reply.disclaimer.startswith(DISCLAIMER_START)


def test_an_emergency_buried_among_questions_of_cost_and_travel_gets_the_notice(real_assistant):
    """Around questions of cost and travel the emergency came short in meaning, and "coughing up a lot of blood" is
    not the phrase "coughing up blood": no notice. A calm question that names self-harm for the future gets none."""
    reply = real_assistant.ask(
        "Hi, I'm enquiring on behalf of my father who has stage 3 lung cancer. We'd been looking at your NK cell "
        "programme and had a few questions about costs and travel. Right now he's coughing up a lot of blood, cups of "
        "it, and he's gasping. Also, do you accept patients over 75?"
    )
    assert reply.notice and reply.notice.startswith("If you are having a medical emergency")
    calm = real_assistant.ask(
        "If I ever felt suicidal, is there someone at the clinic I could talk to? I'm okay right now, just want to "
        "know for the future."
    )
    assert calm.notice is None


def test_an_emergency_in_another_language_that_no_phrase_names_gets_the_notice_by_the_multilingual_model(
    real_assistant,
):
    """Korean: "after the injection my father's chest hurts badly and he is breaking out in a cold sweat". The served
    model reads English only and no phrase of site.toml names it; the multilingual model puts it near the urgent
    examples. A question about cost in the same language stays calm, and with the model off the emergency is lost."""
    from bot.assistant import Assistant
    from bot.urgent import ACROSS_LANGUAGES

    emergency = "아버지가 주사를 맞은 후 가슴이 너무 아프고 식은땀을 흘려요"
    reply = real_assistant.ask(emergency)
    assert reply.notice.startswith("If you are having a medical emergency")
    assert reply.alarm.reason == ACROSS_LANGUAGES and "across languages" in str(reply.alarm)
    assert "should report fever, breathing difficulty" in reply.answer.passage.text
    assert real_assistant.ask("NK 세포 치료 비용은 얼마인가요?").notice is None
    english_only = Settings.from_env(
        knowledge_dir=real_assistant.settings.knowledge_dir,
        index_dir=real_assistant.settings.index_dir,
        urgent_other_languages=False,
    )
    assert Assistant(real_assistant.index, real_assistant.embedder, english_only).ask(emergency).notice is None


def test_a_message_of_self_harm_gets_its_own_notice_and_no_passage(real_assistant):
    """It was told of chest pain and allergic reactions, and quoted the passage on reactions to treatment."""
    reply = real_assistant.ask("I want to die")
    assert reply.notice.startswith("If you are thinking about ending your life") and reply.passages == ()
    assert reply.disclaimer.startswith(DISCLAIMER_START)


def test_follow_up_questions_come_from_the_faq_headings(real_assistant):
    reply = real_assistant.ask("What are the side effects of NK cell therapy?")
    assert 2 <= len(reply.follow_ups) <= 3
    faq = {p.question for p in real_assistant.index.passages if p.question}
    assert all(p.question in faq for p in reply.follow_ups)
    assert "What are the side effects of NK cell therapy?" not in {p.question for p in reply.follow_ups}


@pytest.mark.parametrize(
    "question",
    [
        "where do the cells come from, me or someone else?",  # "come": everyday English, not in the documents
        "I think I might have some kind of immune deficiency, who should I see?",  # "think", "kind"
    ],
)
def test_everyday_words_the_documents_lack_do_not_turn_a_question_away(real_assistant, question: str):
    results = real_assistant.searcher.search(question)
    price = real_assistant.searcher.search("How much does NK cell therapy cost?")
    assert real_assistant.ask(question).answered
    assert price.uncovered_words == ("cost",)  # the rarer word the documents never come near still counts
    assert results.confidence > price.confidence


@pytest.mark.parametrize(
    "question",
    ["I've heard it won't help with leukemia, is that true?", "what if i'm not suitable and haven't finished chemo"],
)
def test_the_pieces_of_contractions_are_not_words_the_documents_lack(real_assistant, question: str):
    """The tokenizer splits "won't" into "won" and "t"; such pieces once counted as uncovered and turned these away."""
    results = real_assistant.searcher.search(question)
    assert not {"ve", "won", "haven"} & set(results.uncovered_words)
    assert real_assistant.ask(question).answered


def test_a_lay_word_finds_passages_through_the_documents_own_word(real_assistant):
    """The word "tired" is not in the documents; BM25 still reaches the passages that say "fatigue" or "exhausted"."""
    expanded = real_assistant.searcher.search("tired", k=50)
    plain = Searcher(
        real_assistant.index, real_assistant.embedder, real_assistant.settings.replace(expansion_weight=0).search
    )
    assert all(hit.lexical == 0 for hit in plain.search("tired", k=50).hits)
    reached = [hit.passage.text for hit in expanded.hits if hit.lexical > 0]
    assert reached and all("fatigue" in text.casefold() or "exhausted" in text.casefold() for text in reached)


def test_words_a_question_shares_with_one_taught_to_its_answer_no_longer_turn_it_away(
    real_assistant, documents_assistant
):
    """ "drip" and "injection" are words the documents never use, and their penalty turned the question away; knowledge/
    teaches "is it given as a drip or an injection?" to the treatment-day passage, so in its near paraphrase they
    count as covered (BOT_TAUGHT_CONFIDENCE). A word no taught question uses still counts: "pregnancy", in a question
    near the taught "is nk cell therapy safe", asks what the documents never say. The documents alone give the
    fallback to both."""
    drip = "is it given by drip or injection"
    reply = real_assistant.ask(drip)
    assert reply.answered and reply.answer.passage.headings[-1] == "Treatment day"
    assert not {"drip", "injection"} & set(real_assistant.searcher.search(drip).uncovered_words)
    pregnancy = "is nk cell therapy safe during pregnancy?"
    assert real_assistant.searcher.search(pregnancy).hits[0].taught >= real_assistant.settings.taught_confidence
    assert not real_assistant.ask(pregnancy).answered
    assert not documents_assistant.ask(drip).answered and not documents_assistant.ask(pregnancy).answered


@pytest.mark.parametrize("message", ["nice one", "take care", "have a good one!", "interesting, ok"])
def test_a_message_unrelated_to_every_passage_gets_no_passage_whatever_its_tokens_meet(documents_assistant, message):
    """A sign-off shares no meaning with any passage, yet each of its tokens meets some token of the best one, and
    the late interaction lifted the confidence over the threshold: it was answered with a passage on treatment."""
    reply = documents_assistant.ask(message)
    settings = documents_assistant.settings
    assert reply.confidence >= settings.min_confidence  # the confidence alone would answer it
    assert reply.ranking[0].dense < settings.min_answer_similarity
    assert not reply.answered and reply.passages == () and reply.message == documents_assistant.site.fallback


@pytest.mark.parametrize(
    ("question", "heading"),
    [
        (
            "my wife is terrified, will nk cells definitely cure her cancer?",
            "Myth 1: 'NK Therapy is a Miracle Cure for All Cancers.'",
        ),
        ("my sister and her boyfriend are worried about side effects", "Safety and side effects"),
    ],
)
def test_who_a_visitor_asks_for_and_how_they_feel_do_not_turn_the_question_away(
    documents_assistant, question: str, heading: str
):
    """The documents never say "wife", "sister", "boyfriend", "terrified" or "worried"; counted as words they lack,
    they turned these away. They say who asks and how they feel, not what is asked: an intent word beside them still
    counts, and so do they when the question names nothing else."""
    results = documents_assistant.searcher.search(question)
    assert not {"wife", "terrified", "sister", "boyfriend", "worried"} & set(results.uncovered_words)
    reply = documents_assistant.ask(question)
    assert reply.answered and reply.answer.passage.headings[-1] == heading
    price = "how much does it cost for my husband"
    assert documents_assistant.searcher.search(price).uncovered_words == ("cost",)
    assert not documents_assistant.ask(price).answered
    assert documents_assistant.searcher.search("can my grandparents have it").uncovered_words == ("grandparents",)


def test_a_not_answered_example_turns_away_only_what_the_documents_answer_less_surely(documents_assistant, tmp_path):
    """Staff marked "how many patients has stemcell consultancy treated with nk cells so far" as not answered here.
    "what does stemcell consultancy offer for nk therapy" comes nearer to it than to any row of the documents, yet
    they answer it word for word and closely: above BOT_NOT_ANSWERED_CONFIDENCE the example does not turn it away.
    The question staff marked itself, bar case and punctuation, still gets the fallback."""
    from bot.assistant import Assistant
    from bot.embedding import SentenceEmbedder
    from bot.evaluate import Case
    from bot.index import build_index
    from bot.knowledge import load_knowledge
    from bot.teaching import teach_cases

    settings = copy_of_real(documents_assistant.settings, tmp_path)  # the documents alone, and their index's cache
    marked = "how many patients has stemcell consultancy treated with nk cells so far"
    teach_cases(settings.knowledge_dir, [Case(marked, None)], load_knowledge(settings.knowledge_dir).passages)
    embedder = SentenceEmbedder.from_settings(settings.model)
    build_index(load_knowledge(settings.knowledge_dir), settings.index_dir, embedder)
    offer = "what does stemcell consultancy offer for nk therapy"
    always = Assistant.load(settings.replace(not_answered_confidence=2.0))  # the example turns away all it is nearest
    assert always.searcher.search(offer).not_answered == marked and not always.ask(offer).answered
    assistant = Assistant.load(settings)
    reply = assistant.ask(offer)
    assert reply.answered and reply.confidence >= settings.not_answered_confidence
    assert reply.answer.passage.headings[-1] == "Why choose Stemcell Consultancy"
    same = assistant.searcher.search(marked)  # the question staff marked, which the documents seem to answer
    assert same.confidence >= settings.not_answered_confidence and same.not_answered == marked
    assert not assistant.ask(marked.upper() + "?").answered


def test_an_inflected_everyday_word_counts_as_common_as_its_stem(documents_assistant):
    """ "taking" is rarer in English than "take" (Zipf 5.4 and 5.9), and the documents use neither: counted by its
    own frequency it turned "can i keep taking my vitamins during treatment" away. A word is as everyday as its most
    common form; "booking" (as common as "book") still asks what the documents never say."""
    from bot.text import general_frequency

    assert general_frequency("taking") + 0.5 < general_frequency("take")
    reply = documents_assistant.ask("can i keep taking my vitamins during treatment")
    assert reply.answered and reply.answer.passage.headings[-1] == "Supporting the immune system during treatment"
    assert not documents_assistant.ask("can i make a booking").answered


def test_late_interaction_puts_the_passage_that_answers_first(documents_assistant):
    """One vector per text ranks the medical-evaluation passage first for this question; meeting it token by
    token, the reranker finds the passage on how long a response takes (in the documents alone: what knowledge/
    ships taught finds it either way)."""
    question = "how long before you see results"
    assistant = documents_assistant
    plain = Searcher(assistant.index, assistant.embedder, assistant.settings.replace(late_interaction_weight=0).search)
    assert plain.search(question, k=1).hits[0].passage.headings[-1] != "Response timeline"
    hit = assistant.searcher.search(question, k=1).hits[0]
    assert hit.passage.headings[-1] == "Response timeline"
    _, (query_tokens, passage_tokens) = assistant.embedder.encode_with_tokens([question, embedding_text(hit.passage)])
    best = (query_tokens @ passage_tokens.T).max(axis=1)  # each token's best match; late weighs them
    assert best.min() - 2e-3 <= hit.late <= best.max() + 2e-3


def test_a_word_the_answer_covers_in_context_does_not_turn_the_question_away(real_assistant):
    """Read in context, "everybody" meets the answer's own wording ("suitable for every"); measured against the
    vocabulary alone, it would count as a word the documents never use, and the visitor would get the fallback.
    ("ok" is chat shorthand, a stopword.)"""
    question = "is nk therapy ok for everybody"
    settings = real_assistant.settings
    vocabulary_only = settings.replace(
        answer_coverage=99.0, answer_coverage_floor=99.0
    ).search  # never covered in context
    before = Searcher(real_assistant.index, real_assistant.embedder, vocabulary_only).search(question)
    assert before.confidence < settings.min_confidence and before.uncovered_words == ("everybody",)
    reply = real_assistant.ask(question)
    assert reply.answered
    assert reply.answer.passage.headings[-1] == "Is NK cell therapy suitable for every cancer patient?"
    assert reply.confidence > before.confidence
    dont = real_assistant.ask("why dont nk cells attack my own healthy tissues?")
    assert dont.answered and dont.answer.passage.headings[-1] == "How NK cells recognize abnormal cells"
    assert not real_assistant.ask("How much does NK cell therapy cost?").answered  # "cost" still counts in full


def test_asking_for_more_passages_never_changes_the_first_ones(real_assistant):
    """The Inspector's depth slider and `ask -k` must show what the visitor gets first."""
    cases = [json.loads(line)["question"] for line in (ROOT / "tests/eval/tuning.jsonl").read_text().splitlines()]
    for question in cases[:40]:
        # Asked once first: words the documents lack go through the model with the question the first time and
        # are kept, so the first pass's shape differs from later ones and moves the confidence by ~1e-7; that is
        # the model's float rounding, not the depth asked for.
        real_assistant.searcher.search(question, k=1)
        few, many = real_assistant.searcher.search(question, k=3), real_assistant.searcher.search(question, k=50)
        assert [h.passage.id for h in few.hits] == [h.passage.id for h in many.hits[:3]], question
        assert few.confidence == many.confidence, question


def test_a_thread_titled_by_a_statement_does_not_outrank_the_thread_whose_question_answers(real_settings, tmp_path):
    """Four threads of benchmarks/housefaq, two on kettles: "How do I descale an electric kettle?" and "New kettle
    makes the water taste and smell like plastic". Asked how to clean chalky flakes out of a kettle, the plastic
    thread came first: the rerank read its answers whole where the descaling thread's answers were read against
    their question's few words. A thread's title is now its answers' question, a question or not."""
    from bot.assistant import Assistant
    from bot.embedding import SentenceEmbedder
    from bot.index import build_index
    from bot.knowledge import load_knowledge

    house = ROOT / "benchmarks" / "housefaq" / "knowledge"
    folder = tmp_path / "knowledge"
    folder.mkdir()
    for thread in ("t01", "t02", "t28", "t33"):  # descaling, a new kettle's plastic taste, a pan, a shower door
        for answer in house.glob(f"{thread}-*.md"):
            shutil.copy(answer, folder)
    settings = real_settings.replace(knowledge_dir=folder, index_dir=tmp_path / "index")
    build_index(load_knowledge(folder), settings.index_dir, SentenceEmbedder.from_settings(settings.model))
    question = (
        "We live in a hard water area and the inside of my electric kettle is coated in chalky white flakes. Bits of "
        "it end up floating in my tea now. What is the safest way to clean it out without ruining the element?"
    )
    reply = Assistant.load(settings).ask(question)
    assert reply.answered and reply.answer.passage.source.title == "How do I descale an electric kettle?"


def test_a_threads_several_answers_leave_room_for_the_thread_that_answers(real_settings, tmp_path):
    """Four threads of benchmarks/forumfaq, an answer a document under its thread's title. Asked how to keep the
    first row in view in Google Sheets, the Excel thread's answers came first, second and third, the Sheets thread
    after them; each thread's best answer now comes before any thread's second. The visitor still gets another
    Excel answer as related, when it scores close to the first."""
    from bot.assistant import Assistant
    from bot.embedding import SentenceEmbedder
    from bot.index import build_index
    from bot.knowledge import load_knowledge

    forum = ROOT / "benchmarks" / "forumfaq" / "knowledge"
    folder = tmp_path / "knowledge"
    folder.mkdir()
    for thread in ("t10", "t11", "t12", "t14"):  # Excel, Google Sheets, duplicate rows, highlighting a row
        for answer in forum.glob(f"{thread}-*.md"):
            shutil.copy(answer, folder)
    settings = real_settings.replace(knowledge_dir=folder, index_dir=tmp_path / "index")
    build_index(load_knowledge(folder), settings.index_dir, SentenceEmbedder.from_settings(settings.model))
    question = "google sheets keep first row visible scrolling"
    threads = [hit.passage.source.title for hit in Assistant.load(settings).ask(question, k=3).ranking]
    assert len(set(threads)) == 3 and threads[1] == "How do I freeze the header row in Google Sheets?"
    by_score = Assistant.load(settings.replace(entries_first=False)).ask(question, k=3).ranking
    assert {hit.passage.source.title for hit in by_score} == {threads[0]}  # the Excel thread's, all three
    reply = Assistant.load(settings).ask(question)
    related = [hit for hit in reply.related if hit.passage.source.title == threads[0]]
    assert related and related[0].passage in [hit.passage for hit in by_score[1:]]
