"""Urgent stage: does a message describe an emergency? Checked on every message, before anything else.

Six signals, any of which raises the alarm (a false alarm costs a visitor one extra sentence; a miss can
cost far more):

- a phrase of site.toml's urgent_phrases or self_harm_phrases, as whole words within one sentence (a word of
  emphasis may come between two of them);
- a temperature of urgent_fever_celsius or more, in °C or °F ("temp is 39.8", "103 F", "40 degrees");
- an oxygen saturation below urgent_oxygen_below percent ("his oxygen monitor shows 82%", "sats 85");
- a blood pressure whose upper number is below urgent_systolic_below ("my blood pressure on the machine is 70/40");
- a Glasgow coma score below urgent_coma_score_below, as clinicians write it ("GCS 8 (E2V2M4), was 15 this am");
- an overdose: urgent_pill_count or more of something taken or swallowed, or a whole packet or bottle of it, or a
  bottle, packet or box of a medicine, said of now ("i swallowed about 30 paracetamol", "took the whole bottle of my
  sleeping pills", "swallowed a bottle of paracetamol");
- meaning: the message is nearer to site.toml's urgent (or self-harm) examples than to its not-urgent ones.

Meaning is read token by token, as the search's rerank reads passages: each example's tokens meet their most
similar tokens of the message, in context, and the message's tokens theirs of the example (late interaction,
both ways). A message is scored whole and sentence by sentence, so an emergency told in one sentence of a long
message is not drowned by the rest (a sentence needs a wider margin than the whole: each is one more chance of a
chance likeness); and against the mean
of its nearest few examples of each kind, so that no single example decides. The not-urgent examples are what
keeps "how often do allergic reactions happen?" or "will I be able to breathe as usual while the cells go in?" from
raising the alarm: questions about risk, negations, past events and mild symptoms, worded like the emergencies they
are not. When a symptom is said of now, for the phrases and the temperature, is bot/urgent_cues.py's to say.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from text_to_num import alpha2digit

from bot.config import UrgentSettings
from bot.knowledge import Site
from bot.search import normalize_query
from bot.text import UNSPACED, WORD_OR_LETTER, content_words, word_or_letter
from bot.urgent_cues import (
    CLAUSE_END,
    DASH,
    LAUGHING_EMOJI,
    WELL_WORDS,
    asked_about,
    conditions,
    has_it_now,
    names_something_else,
    owned_now,
    said_of_now,
    told_of_the_past,
)

URGENT, SELF_HARM = "urgent", "self_harm"
ACROSS_LANGUAGES = "example in another language"  # an Alarm's reason when the multilingual model read it

_QUOTES = "'’‘ʼ`´"
_APOSTROPHES = re.compile(f"[{_QUOTES}]")
# Where a message is cut into pieces scored on their own: sentence ends (not a decimal point) and commas; and, for
# pieces scored as well, where a clause turns to something else ("no history of epilepsy but my son is fitting").
_PIECE_END = re.compile(r"(?<!\d)[.?!;:]+(?!\d)|[,\n]")
_TURN = re.compile(r"\b(but|though|although|however|whereas|and now|and then|and suddenly)\b", re.IGNORECASE)
# Where a run-on sentence starts a new clause without a stop: a subject pronoun after a word that does not bind it
# to what came before ("...since this afternoon | he had nk monday", "...on the machine and | i feel like im gonna
# faint"); not "where he is", "if she", "that they". The parts either side are scored as pieces too.
_SUBJECT = r"(?:i|im|i'm|he|hes|he's|she|shes|she's|they|theyre|they're|we|we're)"
_RUN_ON = re.compile(rf"\b(?P<before>[\w']+)\s+(?:and\s+)?(?={_SUBJECT}\b)", re.IGNORECASE)
_BINDS_A_CLAUSE = re.compile(
    r"where|when|whenever|what|how|why|who|which|that|if|unless|whether|because|cause|cuz|cos|coz|bc|as|than|until"
    r"|till|while|since|before|after|so|or|though|although"
    # a question's verb before its subject ("can he bring"), and verbs whose object is a clause ("says he'll")
    r"|can|could|will|would|should|shall|may|might|must|do|does|did|is|are|was|am|have|has|had|say|says|said|tell"
    r"|tells|told|think|thinks|thought|know|knows|knew|feel|feels|felt|like|hope|guess|reckon|mean|worried|afraid"
    r"|scared|sure",
    re.IGNORECASE,
)
# A part that says no more than that someone is well ("...it settled quickly and | i'm fine now"): never an emergency,
# though a few words read alone may come near one.
_ONLY_WELL = re.compile(
    rf"\W*{_SUBJECT}( (feel|feels|am|is|are|was|were|seems?))?( (all|totally|completely|doing|feeling))?"
    rf" ({'|'.join((*WELL_WORDS, 'well', 'great'))})( (now|again|today|since|thanks?|thank god))*\W*",
    re.IGNORECASE,
)
# A number then, if given, its degree sign and unit: "39.6 °C", "103F", and as Chinese and Japanese write them
# "39.6度" and "39.5℃". Not run into a digit or into a word of letters ("39kg", "40мл"); a letter of a script without
# spaces may follow ("烧到39.6度了").
_NUMBER = re.compile(
    r"(?<![\d.,])(\d{2,3}(?:[.,]\d{1,2})?)(?!\d)\s*(°|º|˚|度|degrees?|deg)?\s*(c|f|celsius|fahrenheit|℃|℉)?"
    rf"(?!\d|_|(?![{UNSPACED}])[^\W\d_])",
    re.IGNORECASE,
)
# "39度5分" or "39度5", as Japanese and Chinese say 39.5
_DEGREES_AND_TENTHS = re.compile(r"(?<![\d.,])(\d{2,3})度(\d)分?(?!\d)")
# In Chinese or Japanese, where the cue words of now are not read, a reading counts only beside a word for fever or
# body temperature, and not with a word that makes it a condition, a threshold or the past: a bath, the weather or a
# bed's angle is as many degrees ("お風呂は40度", "今天外面39度", "抬高45度"), and so is "如果烧到39度", "超过38度",
# "昨天烧到39度，今天已经退烧了".
_FEVER_IN_CHINESE_OR_JAPANESE = re.compile("烧|燒|发热|發熱|発熱|熱[がはもで]|体温|體溫")  # not "热" alone: "hot"
_NOT_NOW_IN_CHINESE_OR_JAPANESE = re.compile(
    "如果|假如|万一|萬一|要是|的话|的話|超过|超過|以上|以下|昨天|昨晚|前天|上次|退烧|退燒|退了|もし|たら|なら|超え|昨日|前回|下がっ"
)
# A bare number is a temperature only in a sentence that speaks of one (English, like the rest of the engine);
# one after "over", "above", "if it reaches", "the threshold is"... is a threshold someone was told about, not a
# reading.
_THRESHOLD = re.compile(
    r"\b(over|above|below|under|exceeds?|more than|less than|higher than|reach(es)?|hits?|gets? to|goes? to"
    r"|(threshold|cut-?off|limit)( is| of)?|(watch|look) (out )?for (an? |any )?(high )?(temp\w*|fever)( of)?)\s*$",
    re.IGNORECASE,
)
# An overdose, told as a count: a verb of taking, then within a few words a number (or a whole packet, bottle, all
# of one's pills) of something that is not a unit of measure or time ("took 30 minutes", "swallowed 500 mg"), and not
# a habit ("I take 12 tablets a day").
_TAKEN = re.compile(r"\b(took|taken|swallow|swallowed|downed|necked|popped|ate|eaten|overdosed on)\b")
# "Swallow" as written English learnt late tells of what was done ("I swallow whole box 1 hour ago"), only with a time
# that says so ("now", "today" and "just" tell as often of a habit or a plan there), and not after a word that makes
# it a plan, a rule or a question ("I have to swallow 20 capsules", "do I just swallow the 12 tablets whole?").
_BARE_VERB = "swallow"
_DONE = re.compile(
    r"\b(ago|just now|right now|last night|yesterday|this (morning|afternoon|evening)|by (mistake|accident)"
    r"|accidentally|on purpose)\b"
)
_NOT_DONE_BEFORE = re.compile(
    r"\b(to|must|should|can|cant|cannot|could|couldnt|dont|doesnt|didnt|will|wont|would|need|needs|do|does|shall"
    r"|gonna|me|that|if|when)( (i|you|he|she|we|they))?( (just|now|also|still|only|then|really|first|already|all))?"
    r"\s+$"
)
# fmt: off
_COUNT_WORDS = {
    "ten": 10, "eleven": 11, "twelve": 12, "dozen": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40,
    "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100, "dozens": 24,
}
# fmt: on
# not a year ("overdosed on painkillers by accident in 2018")
_COUNT = re.compile(rf"(?<![\d.,])(?<!\bin )(?<!\bsince )(\d+|{'|'.join(_COUNT_WORDS)})(?![\d.,]\d)")
_UNIT = re.compile(
    r"^\s*(-|\s)?(mg|mcg|µg|ug|g|grams?|ml|mls|l|litres?|liters?|units?|iu|kg|lbs?|pounds|%|percent|degrees?|°"
    r"|seconds?|secs?|minutes?|mins?|hours?|hrs?|days?|nights?|weeks?|months?|years?|yrs?|am|pm|oclock|o'clock"
    r"|times|steps|sessions?|cycles?|infusions?|rounds?|mmol|bpm|over|out of|/)\b",
)
# Medicines people overdose on, named in place of "pills" after "a load of", "a handful of" or "the whole".
# fmt: off
_OVERDOSED = (
    "paracetamol", "acetaminophen", "tylenol", "ibuprofen", "aspirin", "codeine", "co-codamol", "tramadol", "morphine",
    "oxycodone", "fentanyl", "diazepam", "valium", "insulin", "antidepressants", "sleepers",
)
# fmt: on
_MEDICINE = r"pills?|tablets?|tabs|capsules?|caps|meds|medications?|medicines?|painkillers|" + "|".join(_OVERDOSED)
_CONTAINER = r"packets?|packs?|bottles?|box(es)?|strips?|tubs?"
_ALL_OF_IT = re.compile(
    r"^\W*(\w+\W+){0,3}?(the |a |an )?(whole|entire|full|all( of)?|(way )?too many|handfuls?|bunch|loads?)\W+"
    rf"(\w+\W+){{0,4}}?({_MEDICINE}|{_CONTAINER}|blisters?|supply)\b"
)
# A container of a medicine, its contents named ("swallowed a bottle of paracetamol", "took 2 boxes of his tablets"):
# a bottle of water or a box of chocolates is no overdose.
_CONTAINER_OF = re.compile(
    rf"^\W*(\w+\W+){{0,2}}?(a|an|one|two|three|four|five|\d+)\W+(\w+\W+)?({_CONTAINER})\W+of\W+(\w+\W+){{0,3}}?"
    rf"({_MEDICINE})\b"
)
_HABIT = re.compile(
    r"\b((a|per|each|every) (day|night|morning|evening|week)|daily|twice|as prescribed|usually|as (usual|normal|always)"
    r"|over (the )?(last|past))\b"
)
# "what counts as too high, like 38?": after a question and a comma; not "my temp is like 39.2".
_EXAMPLE = re.compile(
    r"\b(what|which|how)\b.*,\s*(like|say|e\.?g\.?|such as|for example|for instance)\s*$", re.IGNORECASE
)
_NUMBERS_ALONE = re.compile(r"^[\s\d.,°cfCF]*(or)?[\s\d.,°cfCF]*$")
# A whole number with another measure's unit after it is no temperature ("the temp agency is 40 minutes away"); not
# a time since a reading ("fever of 39.4 hours after the infusion", "temp 39 minutes ago"), nor a label with its own
# number after it ("temp 39.1 HR 125", "fever 38.9 day 7 after car-t").
_OTHER_UNIT = re.compile(
    r"\s*(%|percent|mg|mcg|ml|kg|kilos?|lbs?|pounds|stone|minutes?|mins?|hours?|days?|weeks?|months?|years?"
    r"|yrs?|miles?|km|quid|euros?|dollars?|mmhg)\b(?!\s*\d)(?!\s+(ago|after|later|since)\b)",
    re.IGNORECASE,
)
# and "fever" in languages visitors mix with English ("tengo 40 de fiebre", "bukhar 104 hai", "ateşi 39.5")
_TEMPERATURE_WORDS = re.compile(
    r"\b(temp\w*|fever\w*|feverish|thermometer|febrile|degrees?|°|fiebre|fi[eè]vre|febre|febbre|fieber|bukhar"
    r"|lagnat|demam|gor[aą]czk\w*|febr[aă]|ate[sş]i|homa|pyret\w*)",
    re.IGNORECASE,
)
# "fever" misspelt or misheard before a reading ("fiver of 39", "fevr is 38.5"): a temperature for that rule alone,
# never a reason for the overdose rule to skip a count ("took 20 pills i got for a fiver")
_MISHEARD_FEVER = re.compile(r"\b(fiver|fevr|feaver|fevor)(?= (of|is|at|was) \d)", re.IGNORECASE)
# A fever come down: a high reading told as earlier ("was 38.3 yesterday", "had 38.1"), or a lower one after it said of
# now ("... but now its 37.1", "şimdi 36.9"), within three words of it.
_READ_EARLIER = re.compile(
    r"\b(was|were|had|yesterday|last night|earlier|overnight|olmuştu|olmustu|era|était|etait|war|hatte)\b", re.I
)
_FEVER_MEDICINE = re.compile(
    r"\b(paracetamol|acetaminophen|tylenol|panadol|calpol|ibuprofen|advil|nurofen|motrin|antipyretic|fever reducer)",
    re.IGNORECASE,
)
_A_TIME = re.compile(r"\s*(minutes?|mins?|hours?|hrs?|days?|weeks?|months?|years?)\b")
_NOW_BEFORE_A_READING = re.compile(
    r"\b(now|today|currently|şimdi|simdi|ahora|agora|maintenant|jetzt|sekarang|abhi|ab|simera|adesso|teraz|acum)\b"
    r"(\W+\w+){0,3}\W*$",
    re.IGNORECASE,
)
# An oxygen saturation: a percentage in a sentence that speaks of oxygen ("her oxygen monitor shows 82%"), or a bare
# number of 50-99 right after the word ("sats 85", "o2 at 88") or read off what shows it ("oxygen reading on the finger
# device is 88").
_OXYGEN_WORDS = re.compile(r"\b(oxygen|o2|spo2|sp02|sats?|saturations?|saturating|oximeters?|pulse ox\w*)\b", re.I)
_SHARE = re.compile(r"^\s*(of|are|were|have|had|get|got|need)\b", re.IGNORECASE)
# A bare number read off a named measure: the oxygen word, a few words naming what shows it, and a verb of reading
# ("my oxygen reading on the finger device is 88"); no new clause between ("on oxygen and he is 85").
_READ_OFF = re.compile(
    r"^(?:(?!\b(?:and|but|or|who|he|she|they|i|we|you|age[ds]?|years?|old)\b)[^\W\d]+\s+){0,6}"
    r"(?:is|was|reads?|says|shows?|showing|showed|at|of|to|only|just|now|around|about)\s*$",
    re.IGNORECASE,
)
_ANOTHER_READING = re.compile(r"[\d,;]")  # between the word and the number: "oxygen 95, pulse 80"
# A saturation aimed at or usual, right before the number ("target sats: 88-92%", "my normal oxygen: 90%"); not
# "normally 95 but now 85".
_AIMED_AT = re.compile(
    r"\b(target|goal|aim|normal|usual|baseline|normally|usually|typically)"
    r"( (sats?|saturations?|oxygen|o2|spo2|levels?|range|is|of|around|about|at))*\s*$",
    re.IGNORECASE,
)
_PERCENTAGE = re.compile(r"(?<![\d.,])(\d{2})(?:[.,]\d)?(?![\d.,]\d)\s*(%|percent|per cent)?", re.IGNORECASE)
# A blood pressure: upper over lower number ("70/40", "78 over 40") in a sentence that speaks of one ("tension" as
# many learners of English say it; "90 by 60" as in India). A date ("30/11") has no upper number of 40 or more, and a
# wound's size has a unit after it.
_PRESSURE_WORDS = re.compile(
    r"\b(blood ?pres+ure|bp|b/p|pres+ure|cuff|sbp|systolic|tension|(top|upper) number)\b", re.IGNORECASE
)
_PRESSURE = re.compile(
    r"(?<![\d./])(\d{2,3})\s*(?:/|over|by)\s*(\d{2,3})(?![\d./])(?!\s*(mm|cm|mg|m|in|inch\w*)\b)", re.IGNORECASE
)
# An upper number named alone ("upper number is 85 on the machine", "systolic 82", "top number only 78").
_UPPER_ALONE = re.compile(
    r"\b(?:top|upper|sbp|systolic)(?:\s+(?:number|reading|one|value|pressure))?"
    r"(?:\s+(?:is|was|of|at|now|only|just|reads?|says|shows|showing|down to|dropped to|fell to|fallen to))*\s*[:=]?\s*"
    r"(\d{2,3})(?![\d./])(?!\s*(?:/|over|by)\s*\d)(?!\s*(%|(mm|cm|mg|m|in|inch\w*|percent)\b))",
    re.IGNORECASE,
)
# A Glasgow coma score: its name, then the score right after it, out of 15 or not; not a day count ("4/7") nor a
# decimal.
_COMA_NAME = r"\b(?:gcs|glasgow coma (?:scale|score)|coma (?:scale|score))\b"
_COMA_WORDS = re.compile(_COMA_NAME, re.IGNORECASE)
_COMA_SCORE = re.compile(
    _COMA_NAME + r"(?:\s+(?:is|was|of|at|now|only|just|down to|dropped to|fell to|fallen to|dropping to))*\s*[:=]?\s*"
    r"(\d{1,2})(?:\s*/\s*15)?(?![\d.,]\d|\s*/\s*(?!15)\d)",
    re.IGNORECASE,
)
# A measure's name as a label ("BP: 80/50", "sats: 85", "b.p. 82/48"), read as one sentence with its reading.
_LABEL = re.compile(
    r"\b((?:bp|blood ?pres+ure|tension|sats?|spo2|sp02|o2|oxygen|saturations?|gcs)(?: (?:readings?|levels?|sat))?)\s*:",
    re.IGNORECASE,
)
_DOTTED_BP = re.compile(r"\bb\.\s?p\b\.?(\s*:)?", re.IGNORECASE)
# A reading that changed, of which the last counts ("sats 92->86", "bp from 120/80 to 80/50"): the earlier one goes.
_A_READING = r"\d{2,3}(?:[./]\d{1,3})?\s*%?"
_EARLIER_READING = re.compile(
    rf"(?:\bfrom\s+{_A_READING}\s+to|(?<![\d./]){_A_READING}\s*(?:-+>|→|=>|⇒))\s*(?=\d)", re.IGNORECASE
)
# What a blood pressure reading is not: one the writer always has ("my normal bp is 85/55", "runs around 88/58", "86/56,
# which is normal for me"), a target, one of a past visit ("at my last visit my bp was 85/55"), or one after which the
# writer feels well ("88/58 and I feel fine"); nor a medicine's strengths ("Micardis HCT 80/25").
_USUAL_BEFORE = re.compile(
    r"\b(normal(ly)?|always|usually|usual|typical(ly)?|baseline|naturally|runs|tends|target|goal"
    r"|last (week|month|year|visit)|at (my|the|his|her) last (visit|appointment|check\w*))\b",
    re.IGNORECASE,
)
_USUAL_AFTER = re.compile(
    r"\b(normal for (me|him|her|them|us)|for years|as usual"
    r"|(i|he|she|we) (feel|feels) (fine|normal|ok|okay|good|great|well))\b",
    re.IGNORECASE,
)
_TURN_TO_NOW = re.compile(r",|\b(but|now|today|then|and)\b", re.IGNORECASE)
_A_MEDICINE = re.compile(r"\b(hct|hctz|mg|tablets?|pills?)\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Alarm:
    """Why a message got the urgent notice: the kind, and the rule, phrase or example that decided it."""

    kind: str  # URGENT or SELF_HARM
    # "phrase", "temperature", "oxygen", "blood pressure", "overdose", "example" or ACROSS_LANGUAGES
    reason: str
    detail: str  # the phrase, the reading or what was taken, or the nearest example message
    similarity: float = 0.0  # for an example: the urgent examples' score less the not-urgent examples'

    def __str__(self) -> str:
        if self.reason == "example":
            return f"close in meaning to the example {self.detail!r} (margin {self.similarity:+.3f})"
        if self.reason == ACROSS_LANGUAGES:
            return f"close in meaning, across languages, to the example {self.detail!r} (margin {self.similarity:+.3f})"
        return f"the {self.reason} {self.detail!r}"


@dataclass(frozen=True)
class ExampleList:
    """One list of example messages: their token vectors stacked, each example's first row, and its centroid
    (the normalised mean of its token vectors, near what the model's mean pooling makes of it)."""

    texts: tuple[str, ...]
    tokens: np.ndarray  # every example's token vectors, one example after another
    offsets: np.ndarray  # example i is rows offsets[i]:offsets[i + 1]
    centroids: np.ndarray

    @classmethod
    def of(cls, texts: tuple[str, ...], tokens: list[np.ndarray]) -> ExampleList:
        dimension = tokens[0].shape[1] if tokens else 1
        stacked = np.vstack(tokens) if tokens else np.zeros((0, dimension), np.float32)
        centroids = np.array([t.mean(axis=0) for t in tokens], dtype=np.float32).reshape(-1, dimension)
        centroids /= np.maximum(np.linalg.norm(centroids, axis=1, keepdims=True), 1e-12)
        return cls(texts, stacked, np.cumsum([0, *(len(t) for t in tokens)]), centroids)

    def scores(
        self, message: np.ndarray, pieces: list[list[int]], weight: float, candidates: int
    ) -> list[tuple[np.ndarray, np.ndarray]]:
        """For each piece of the message (rows of its tokens): late interaction of the piece's tokens with the
        examples whose centroids come nearest to its own (the rest cannot be among the nearest few), both ways:
        weight × the share of the piece an example accounts for + (1 - weight) × the share of the example the
        piece holds. One product of the message's tokens with every piece's candidates serves all the pieces.
        Returns (scores, which) for each piece."""
        if not len(self.texts) or not len(message):
            return [(np.zeros(0, dtype=np.float32), np.zeros(0, dtype=int))] * len(pieces)
        picks = self._nearest(message, pieces, candidates)
        union = np.unique(np.concatenate(picks))
        lengths = self.offsets[union + 1] - self.offsets[union]
        first = np.concatenate(([0], np.cumsum(lengths)[:-1]))
        # the candidates' rows, in order: each example's run of rows, without a mask over every example's rows
        rows_of_union = np.arange(int(lengths.sum())) + np.repeat(self.offsets[union] - first, lengths)
        similarity = self.tokens[rows_of_union] @ message.T  # candidates' tokens × message's
        # The maxima read along rows of 8 to 20 message tokens cost numpy a loop each; laid out message token by
        # token, they are a few long rows. A maximum is the same in any order, so the scores are the same to the
        # bit; the means still run over (candidates × piece tokens), as numpy's pairwise sums depend on the order.
        by_message = np.ascontiguousarray(similarity.T)
        best = np.maximum.reduceat(by_message, first, axis=1)  # each message token's best match in each candidate
        found = []
        for rows, which in zip(pieces, picks, strict=True):
            whole = len(rows) == len(message)  # the whole message: no copies
            held = np.add.reduceat((by_message if whole else by_message[rows]).max(axis=0), first)
            example_side = held / np.maximum(lengths, 1)  # float64, as lengths are integers
            message_side = np.ascontiguousarray((best if whole else best[rows]).T).mean(axis=1)
            scores = weight * message_side + (1 - weight) * example_side
            found.append((scores[np.searchsorted(union, which)], which))
        return found

    def _nearest(self, message: np.ndarray, pieces: list[list[int]], candidates: int) -> list[np.ndarray]:
        """For each piece, the examples whose centroids come nearest to the piece's, in order of position: one
        product of the centroids with every piece's, as the list is read from memory once for them all."""
        centroids = np.array([message[rows].mean(axis=0) for rows in pieces], dtype=np.float32)
        centroids /= np.maximum(np.linalg.norm(centroids, axis=1, keepdims=True), 1e-12)
        nearness = self.centroids @ centroids.T
        if candidates >= len(nearness):
            return [np.arange(len(nearness))] * len(pieces)
        return [np.sort(np.argpartition(-column, candidates - 1)[:candidates]) for column in nearness.T]


Examples = dict[str, ExampleList]  # site.toml's list name → its examples


def stack_examples(texts: dict[str, tuple[str, ...]], tokens: dict[str, list[np.ndarray]]) -> Examples:
    return {name: ExampleList.of(texts[name], tokens[name]) for name in tokens}


@dataclass(frozen=True)
class Meaning:
    """How near in meaning a message's most urgent piece comes to the urgent examples."""

    kind: str  # URGENT or SELF_HARM: which list held the nearest examples
    margin: float  # mean score of its nearest examples of that kind less that of its nearest not-urgent ones
    nearest: str  # the example nearest to it
    needed: float  # the margin it needs: the whole message's, or a piece's (UrgentSettings.piece_margin)
    reason: str = "example"  # or ACROSS_LANGUAGES: read by the multilingual model (bot/other_languages.py)


def detect(message: str, site: Site, meaning: Meaning | None) -> Alarm | None:
    """The alarm a message raises, if any, given how near it came to the examples (None: no examples)."""
    phrase = urgent_phrase(message, site)
    if phrase:
        return Alarm(SELF_HARM if phrase in site.self_harm_phrases else URGENT, "phrase", phrase)
    # each reading rule reads the message as written and with its numbers in words as digits: either may say more
    # ("oxygen on fifteen litres is only 88" reads best as written, "temp thirty eight point four" as digits); once
    # when the two are the same, as for most messages
    written = dict.fromkeys((message, in_digits(message)))
    fever = _first(temperature(text, site.urgent_fever_celsius) for text in written)
    if fever:
        return Alarm(URGENT, "temperature", fever)
    saturation = _first(low_oxygen(text, site.urgent_oxygen_below) for text in written)
    if saturation:
        return Alarm(URGENT, "oxygen", saturation)
    pressure = _first(low_blood_pressure(text, site.urgent_systolic_below) for text in written)
    if pressure:
        return Alarm(URGENT, "blood pressure", pressure)
    coma = _first(low_coma_score(text, site.urgent_coma_score_below) for text in written)
    if coma:
        return Alarm(URGENT, "coma score", coma)
    taken = _first(overdose(text, site.urgent_pill_count) for text in written)
    if taken:
        return Alarm(URGENT, "overdose", taken)
    if meaning and meaning.margin >= meaning.needed:
        return Alarm(meaning.kind, meaning.reason, meaning.nearest, meaning.margin)
    return None


def _first(found: Iterator[str | None]) -> str | None:
    """The first reading a rule found in any of the texts."""
    return next((item for item in found if item), None)


def in_digits(message: str) -> str:
    """The message with numbers said in words as digits, as dictated messages and letters say them ("temp thirty
    eight point four" -> "temp 38.4", "eighty six over fifty" -> "86 over 50"); "one" or "two" alone stays a word.
    A temperature said digit by digit too, which text2num leaves apart: "one oh three point five" -> "103.5"."""
    return alpha2digit(_SAID_BY_DIGITS.sub(_said_by_digits, message), "en")


_DIGITS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
_DIGIT_WORDS = {word: str(digit) for digit, word in enumerate(_DIGITS)} | {"oh": "0", "o": "0"}
_DIGIT = rf"(?:{'|'.join(_DIGIT_WORDS)}|\d)"
# ASCII: a dotless "ı" is no "i" to a digit word ("fıve" stays as written)
_SAID_BY_DIGITS = re.compile(
    rf"\bone[\s-]+(?:oh|o|zero)[\s-]+(?P<unit>{_DIGIT})(?:\s+point\s+(?P<tenth>{_DIGIT}))?\b",
    re.IGNORECASE | re.ASCII,
)


def _said_by_digits(match: re.Match[str]) -> str:
    """ "one oh four" -> "104", "one oh one point two" -> "101.2"."""
    digits = [_DIGIT_WORDS.get(word.lower(), word) for word in (match["unit"], match["tenth"]) if word]
    return "10" + ".".join(digits)


def by_meaning(
    text: str,
    examples: Examples,
    tokens: np.ndarray,
    spans: list[tuple[int, int]],
    settings: UrgentSettings,
    left_out: Sequence[tuple[int, int]] = (),
) -> Meaning | None:
    """How near the text's most urgent piece comes to the urgent or self-harm examples, for the margin it needs
    (the whole message's, or a piece's). tokens are the text's token vectors in context, and spans where each lies
    in it, from the pass through the model that searching it makes. None when the site has no urgent examples.

    left_out: spans of phrases the text says of something else than now, and of parts told of a time long past
    (ruled_out: "no chest pain", "I get short of breath on stairs", "I had some chest tightness last month"). The
    text is read with and without them, and the less urgent reading counts: leaving the words out may only quieten
    it ("seeing the invoice i almost fainted haha" without "fainted" reads as an urgent example about an invoice)."""
    if not content_words(text):  # punctuation, numbers or "is it?" alone say nothing of an emergency
        return None
    readings = [_most_urgent(_pieces(text, spans, len(tokens)), examples, tokens, settings)]
    if left_out:
        readings.append(_most_urgent(_pieces(text, spans, len(tokens), left_out), examples, tokens, settings))
    if None in readings:  # all of it a condition, or said of something else: "if I can't breathe?"
        return None
    return min(readings, key=lambda meaning: meaning.margin - meaning.needed)


def _most_urgent(
    pieces: list[list[int]], examples: Examples, tokens: np.ndarray, settings: UrgentSettings
) -> Meaning | None:
    """The nearest in meaning to the urgent or self-harm examples of these pieces (rows of tokens), for the margin
    it needs; None when there are no pieces."""
    best: Meaning | None = None
    weight, candidates = settings.message_weight, settings.candidates
    scored = {name: examples[name].scores(tokens, pieces, weight, candidates) for name in examples} if pieces else {}
    for number in range(len(pieces)):
        calm_score = _nearest(scored["not_urgent_examples"][number][0], settings, settings.neighbours)
        # pieces[0] is the whole message, unless a condition was left out of it: then it is a piece as well
        whole = number == 0 and len(pieces[0]) == len(tokens)
        needed = settings.margin if whole else settings.piece_margin
        for kind, name, neighbours in (
            (URGENT, "urgent_examples", settings.neighbours),
            (SELF_HARM, "self_harm_examples", settings.self_harm_neighbours),
        ):
            scores, which = scored[name][number]
            if len(scores):
                margin = _nearest(scores, settings, neighbours) - calm_score
                if best is None or margin - needed > best.margin - best.needed:
                    best = Meaning(kind, margin, examples[name].texts[int(which[scores.argmax()])], needed)
    return best


def _nearest(scores: np.ndarray, settings: UrgentSettings, neighbours: int) -> float:
    """Mean of the `neighbours` best scores (0 with none), so that no single example decides; unless one is the
    message itself or nearly (a message staff added as an example): then that one's score."""
    if not len(scores):
        return 0.0
    count = max(1, min(neighbours, len(scores)))
    best = np.partition(scores, len(scores) - count)[-count:]
    return float(best.max() if best.max() >= settings.same_as else best.mean())


def _pieces(
    message: str, spans: list[tuple[int, int]], count: int, left_out: Sequence[tuple[int, int]] = ()
) -> list[list[int]]:
    """The rows of the whole message, then of each of its pieces of three tokens or more (cut at sentence ends and
    commas, and again at turns such as "but"; a message with no stop or comma also where a new clause starts); none
    of them in a condition ("what should I do if he has a seizure at home"), which the phrases do not count either,
    nor in left_out."""
    cut = [*conditions(message), *left_out]
    kept = [i for i, (a, b) in enumerate(spans[:count]) if not any(a >= s and b <= e for s, e in cut)]
    pieces: list[list[int]] = []
    for cut_at in (_PIECE_END, _TURN):  # the pieces between turns too: either side of one may be the emergency
        ends = {m.end() for m in _PIECE_END.finditer(message)}
        if cut_at is _TURN:  # "but he says it's indigestion" left out, or "no history of epilepsy" before it
            ends |= {m.end() for m in _TURN.finditer(message)}
        cuts = sorted({0, *ends, len(message)})
        for start, end in zip(cuts, cuts[1:], strict=False):
            for part in _run_on_parts(message, start, end):
                rows = [i for i in kept if spans[i][0] >= part[0] and spans[i][1] <= part[1]]
                if 3 <= len(rows) < len(kept) and rows not in pieces:
                    pieces.append(rows)
    return [kept, *pieces] if kept else []


def _run_on_parts(message: str, start: int, end: int) -> list[tuple[int, int]]:
    """The piece from start to end, and where a clause starts in it without a stop, the parts before and after; not
    a part that only says someone is well. A message with stops or commas has its clauses cut already; one whose
    only marks are turns ("...going to book but honestly i dont see the point i have decided to end it tonight")
    is cut between them as well."""
    parts = [(start, end)]
    if _PIECE_END.search(message.rstrip(" .?!")):
        return parts
    for found in _RUN_ON.finditer(message, start, end):
        if not _BINDS_A_CLAUSE.fullmatch(found["before"]):
            parts += [(start, found.end("before")), (found.end(), end)]
    return [(a, b) for a, b in parts if not _ONLY_WELL.fullmatch(message[a:b])]


def temperature(message: str, celsius: float) -> str | None:
    """A temperature of at least `celsius` the message gives (as written), in °C or °F; None below it or when the
    rule is off (0). A number without a unit counts in a sentence that speaks of a temperature or fever; a high one
    does not once a later reading below it says the fever has come down ("38.5 last night, now 37.1")."""
    if celsius <= 0:
        return None
    readings = list(_temperatures(_DEGREES_AND_TENTHS.sub(r"\1.\2度", message)))
    for at, (reading, value, before, _) in enumerate(readings):
        if celsius <= value <= 45 and not _come_down(message, before, readings[at + 1 :], celsius):
            return reading
    return None


def _come_down(message: str, before: str, later: list[tuple[str, float, str, str]], celsius: float) -> bool:
    """Whether a later reading below the threshold says a high one is over: the high one told as earlier, or the
    lower one said of now; not a fever held down by a medicine ("now its 37.9 after paracetamol"), which still is
    one, nor a time ("fever 39.2 now 36 hours after car-t")."""
    return not _FEVER_MEDICINE.search(message) and any(
        lower < celsius
        and not _A_TIME.match(after)
        and bool(_READ_EARLIER.search(before) or _NOW_BEFORE_A_READING.search(later_before))
        for _, lower, later_before, after in later
    )


def _temperatures(message: str) -> Iterator[tuple[str, float, str, str]]:
    """Each temperature the message gives of now, in °C, with the words of its sentence before and after it."""
    giving_examples = False
    for clause in CLAUSE_END.split(message):
        about_temperature = bool(_TEMPERATURE_WORDS.search(clause) or _MISHEARD_FEVER.search(clause))
        # "what counts as too high, like 38? 38.5?": a number offered as an example, and those listed after it
        giving_examples = giving_examples and bool(_NUMBERS_ALONE.match(clause))
        for match in _NUMBER.finditer(clause):
            number, degree, unit = match.groups()
            if not _may_be_a_temperature(clause, degree, unit):
                continue
            bare_reading = "." in number or "," in number  # "38.7 and feel rough": ages and counts are whole
            giving_examples = giving_examples or bool(_EXAMPLE.search(clause[: match.start()]))
            if (
                not (degree or unit or about_temperature or bare_reading)
                or (not bare_reading and _OTHER_UNIT.match(clause, match.end()))
                or _THRESHOLD.search(clause[: match.start()])
                or giving_examples
            ):
                continue
            before, after = clause[: match.start()].casefold(), clause[match.end() :].casefold()
            if not said_of_now(before, after):
                continue
            value = float(number.replace(",", "."))
            # a bare 95 to 110 is in °F; not 112, Europe's emergency number ("do we call you or 112?")
            fahrenheit = (unit or "").lower().startswith(("f", "℉")) or (not unit and 95 <= value <= 110)
            yield match.group(0).strip(), (value - 32) * 5 / 9 if fahrenheit else value, before, after


def _may_be_a_temperature(clause: str, degree: str | None, unit: str | None) -> bool:
    """False for a number with "度" or "℃" in a sentence of Chinese or Japanese that names no fever, or names one as
    a condition, a threshold or the past; True for any other, which the rules below read."""
    if not (_READ_LETTER_BY_LETTER.search(clause) and (degree == "度" or unit in ("℃", "℉"))):
        return True
    return bool(_FEVER_IN_CHINESE_OR_JAPANESE.search(clause)) and not _NOT_NOW_IN_CHINESE_OR_JAPANESE.search(clause)


def low_oxygen(message: str, below: float) -> str | None:
    """An oxygen saturation below `below` percent that the message gives (as written), in a sentence that speaks of
    oxygen, said of now; None otherwise or when the rule is off (0). A threshold ("call if it drops below 90") is
    not a reading, nor is an example offered ("what is too low, like 88?"), a share ("70% of patients") or a number
    that is no saturation (under 50)."""
    for match, before, after in _readings(message, below, _OXYGEN_WORDS, _PERCENTAGE):
        if _SHARE.match(after) or _AIMED_AT.search(before) or not 50 <= float(match.group(1)) < below:
            continue  # "70% of patients" is no reading, nor "target sats: 88-92%"
        # a bare number is a reading right after the word ("sats 85", "o2 at 88"), not an age ("dad is 85 and on
        # oxygen at home")
        if not match.group(2) and not _read_off(before):
            continue
        if said_of_now(before.casefold(), after.casefold()):
            return match.group(0).strip()
    return None


def _read_off(before: str) -> bool:
    """Whether a bare number after these words is a saturation read off: right after the oxygen word ("sats 85", "o2
    at 88"), or after what shows it and a verb of reading ("oxygen reading on the finger device is 88")."""
    words = list(_OXYGEN_WORDS.finditer(before))
    if not words:
        return False
    tail = before[words[-1].end() :]
    if _ANOTHER_READING.search(tail):
        return False
    return len(tail.split()) <= 2 or bool(_READ_OFF.match(tail.strip()))


def low_blood_pressure(message: str, below: float) -> str | None:
    """A blood pressure whose upper (systolic) number is below `below` that the message gives (as written), in a
    sentence that speaks of blood pressure, said of now ("my blood pressure on the machine is 70/40"); None otherwise
    or when the rule is off (0). A threshold ("call if it drops below 90/60") or an example offered is no reading."""
    for match, before, after in _readings(message, below, _PRESSURE_WORDS, _PRESSURE, _UPPER_ALONE):
        upper, lower = int(match.group(1)), int(match.group(2)) if match.re is _PRESSURE else None
        if not (40 <= upper < below and (lower is None or 20 <= lower < upper)) or _A_MEDICINE.search(before):
            continue
        # what the writer's pressure usually is, or was at a past visit, in its part of the sentence ("my normal bp is
        # 85/55", but "88/58 is normal for me but now 70/40"), or a reading after which they feel well
        usual = _USUAL_BEFORE.search(_TURN_TO_NOW.split(before)[-1]) or _USUAL_AFTER.search(after)
        if not usual and said_of_now(before.casefold(), after.casefold()):
            return match.group(0).strip()
    return None


def low_coma_score(message: str, below: float) -> str | None:
    """A Glasgow coma score below `below` that the message gives right after its name ("GCS 8", "gcs now 10/15",
    "GCS 15 -> 11"), said of now; None otherwise or when the rule is off (0). A threshold ("intubate if GCS under 9")
    or an example offered is no reading."""
    for match, before, after in _readings(message, below, _COMA_WORDS, _COMA_SCORE):
        if 3 <= int(match.group(1)) < below and said_of_now(before.casefold(), after.casefold()):
            return match.group(0).strip()
    return None


def _readings(
    message: str, below: float, words: re.Pattern[str], *readings: re.Pattern[str]
) -> Iterator[tuple[re.Match[str], str, str]]:
    """Each reading (by each pattern in turn) in a sentence that speaks of its measure, with the words of the sentence
    before and after it; not a threshold someone was told of, nor an example offered. Nothing when the rule is off
    (below is 0)."""
    if below <= 0:
        return
    speaking = [clause for clause in _reading_clauses(message) if words.search(clause)]
    for reading in readings:
        for clause in speaking:
            for match in reading.finditer(clause):
                before, after = clause[: match.start()], clause[match.end() :]
                if not (_THRESHOLD.search(before) or _EXAMPLE.search(before)):
                    yield match, before, after


# Three reading rules read each message (and its numbers said in words as digits): its sentences are made once.
@lru_cache(maxsize=64)
def _reading_clauses(message: str) -> tuple[str, ...]:
    """The message's sentences as the reading rules read them: a label's colon, a dotted "b.p." and the earlier
    value of a reading that changed taken out."""
    return tuple(CLAUSE_END.split(_LABEL.sub(r"\1 ", _DOTTED_BP.sub("bp ", _EARLIER_READING.sub("", message)))))


def overdose(message: str, count: float) -> str | None:
    """What the message says was taken, when it is `count` or more of something (pills, tablets, a drug's name), or
    a whole packet, bottle or all of someone's pills, or a bottle, packet or box of a medicine, said of now; None
    otherwise or when the rule is off (0)."""
    if count <= 0:
        return None
    for clause in CLAUSE_END.split(_APOSTROPHES.sub("", message.casefold())):
        for verb in _TAKEN.finditer(clause):
            if verb.group(0) == _BARE_VERB and not _told_as_done(clause, verb.start()):
                continue
            rest = clause[verb.end() :]
            window = " ".join(rest.split()[:8])
            if _TEMPERATURE_WORDS.search(window):  # "took my temperature and it's 40": the temperature rule's
                continue
            found = _ALL_OF_IT.match(window) or _CONTAINER_OF.match(window)
            if not found:
                for number in _COUNT.finditer(window):
                    value = int(number.group(1)) if number.group(1).isdigit() else _COUNT_WORDS[number.group(1)]
                    if value >= count and not _UNIT.match(window[number.end() :]):
                        found = number
                        break
            if not found or _HABIT.search(rest):
                continue
            after = rest[rest.find(found.group(0)) + len(found.group(0)) :] if found.group(0) in rest else rest
            if said_of_now(clause[: verb.start()], after) and not asked_about(clause[: verb.start()]):
                return f"{verb.group(0)} {window[: found.end()].strip()}".strip()
    return None


def _told_as_done(clause: str, at: int) -> bool:
    """Whether a verb in its bare form, at this place in the clause, tells of what was done: a time says so, and no
    word before it makes it a plan, a rule or a question."""
    return bool(_DONE.search(clause)) and not _NOT_DONE_BEFORE.search(clause[:at])


def urgent_phrase(question: str, site: Site) -> str | None:
    """The configured urgent or self-harm phrase the message contains, if any: matched as whole words within one
    sentence, whatever the case, punctuation, hyphens or apostrophes ("Chest-pain!", "cant breathe"), and with a
    word of emphasis between two of its words ("chest is really tight"); a phrase ending in "*" also matches as the
    start of a word ("anaphyla*": "anaphylaxis", "anaphylactic"). A phrase said
    of something else than now does not count: negated, asked about, past or over ("no chest pain", "can it cause
    seizures?", "is anaphylaxis possible?", "I had a seizure years ago", "short of breath but it went away")."""
    return next((found.phrase for found in _mentions(question, site) if found.heard), None)


def ruled_out(message: str, site: Site) -> list[tuple[int, int]]:
    """Where the message names an urgent or self-harm phrase that it says of something else than now ("no chest
    pain", "I get short of breath on stairs"), and where it tells of a time long past ("I had some chest tightness
    last month"): by_meaning leaves those words out, as the phrases do. Not a phrase found only with a word of
    emphasis between its words or a "2" after one: a looser find, it may raise the notice but takes no words away."""
    spans = [found.span for found in _mentions(message, site) if found.exact and not found.heard]
    return spans + told_of_the_past(message)


@dataclass(frozen=True)
class _Mention:
    phrase: str
    span: tuple[int, int]  # where its words are in the message
    heard: bool  # said of now
    exact: bool  # its words as written, with no word of emphasis between them


def _mentions(message: str, site: Site) -> tuple[_Mention, ...]:
    """Each place a configured phrase is named in the message, phrase by phrase, and whether it is said of now."""
    return _mentions_of(message, site.self_harm_phrases, site.urgent_phrases)


# Each question's message is read for phrases twice, for what it rules out (by_meaning) and for the phrases
# themselves (detect): the second time comes from here. Keyed by the phrases, so an edited site.toml reads anew.
@lru_cache(maxsize=64)
def _mentions_of(
    message: str, self_harm_phrases: tuple[str, ...], urgent_phrases: tuple[str, ...]
) -> tuple[_Mention, ...]:
    return tuple(_each_mention(message, self_harm_phrases, urgent_phrases))


def _each_mention(
    message: str, self_harm_phrases: tuple[str, ...], urgent_phrases: tuple[str, ...]
) -> Iterator[_Mention]:
    clauses = _clauses(message)
    patterns = _urgent_patterns(self_harm_phrases, urgent_phrases)
    for phrase, wanted, self_harm in patterns.named_in(clauses):
        pattern = _phrase_pattern(wanted)
        for (clause, words), (next_clause, _) in zip(clauses, clauses[1:] + [(" ", {})], strict=True):
            found = pattern.search(clause)
            while found:
                start = found.start()
                # A starred phrase ends where its word does; another just before the space its pattern ends with.
                end = clause.find(" ", found.end()) if phrase.endswith("*") else found.end() - 1
                # Self-harm asked about as what something brings on is still heard, and so is any self-harm
                # question the next sentence owns ("does this make you suicidal? because i am right now"), and any
                # question whose next sentence says someone has it ("chest pain is side effect? my husband has it").
                # Self-harm as what follows a condition is a threat ("if the scan is bad i will kill myself").
                heard = (
                    said_of_now(clause[:start], clause[end:], threat=self_harm)
                    and not asked_about(clause[:start], not self_harm)
                    and not names_something_else(clause[:start], clause[end:])
                )
                first, last = words[start + 1], words[max(w for w in words if w < end)]
                owned = (self_harm and owned_now(next_clause)) or has_it_now(next_clause)
                yield _Mention(phrase, (first[0], last[1]), heard or owned, found.group(0) == wanted)
                found = pattern.search(clause, start + 1)


# A message read for phrases: its sentences' words, casefolded and without apostrophes, commas kept (they end a
# condition), and a dash set apart by spaces read as one; a laughing emoji is read as "lol"; a script without
# spaces letter by letter.
_PHRASE_TOKEN = re.compile(
    rf"(?P<end>{CLAUSE_END.pattern})|(?P<comma>,|{DASH})|(?P<laugh>[{LAUGHING_EMOJI}])"
    rf"|(?P<word>{word_or_letter(_QUOTES)})"
)


def _clauses(message: str) -> list[tuple[str, dict[int, tuple[int, int]]]]:
    """Each sentence as " word word , word " and, for each word's place in that text, its span in the message."""
    clauses: list[tuple[str, dict[int, tuple[int, int]]]] = []
    text, words = " ", {}
    for token in _PHRASE_TOKEN.finditer(message):
        if token.lastgroup == "end":
            clauses.append((text, words))
            text, words = " ", {}
            continue
        word = {"comma": ",", "laugh": "lol"}.get(token.lastgroup or "")
        if not word:  # apostrophes go first: NFKC would make "can´t" two words
            word = _phrase_words(_APOSTROPHES.sub("", token.group(0)))
        if word:
            words[len(text)] = token.span()
            text += word + " "
    return [*clauses, (text, words)]


@dataclass(frozen=True)
class _Patterns:
    """Each phrase with the text it must find in a clause and whether it is a self-harm phrase, in the lists' order,
    indexed by its first word: a message is read only for the phrases whose first word and every other whole word
    it holds (ten thousand phrases in sixty languages, of which a message names a handful), and for the one-word
    phrases ending in "*" whose first two letters begin one of its words."""

    patterns: tuple[tuple[str, str, bool], ...]
    by_first_word: dict[str, tuple[int, ...]]
    by_first_letters: dict[str, tuple[int, ...]]  # the one-word starred phrases, by their first two letters
    whole_words: tuple[frozenset[str], ...]  # each phrase's words, but a starred last one

    def named_in(self, clauses: list[tuple[str, dict[int, tuple[int, int]]]]) -> list[tuple[str, str, bool]]:
        words = {word for clause, _ in clauses for word in clause.split()}
        words |= {word[:-1] for word in words if word.endswith("2") and word[:-1].isalpha()}  # "kejang2"
        found = {i for word in words for i in self.by_first_word.get(word, ()) if self.whole_words[i] <= words}
        starts = {start for word in words for start in (word[:1], word[:2])}
        found.update(i for start in starts for i in self.by_first_letters.get(start, ()))
        return [self.patterns[i] for i in sorted(found)]


@lru_cache(maxsize=8)
def _urgent_patterns(self_harm_phrases: tuple[str, ...], urgent_phrases: tuple[str, ...]) -> _Patterns:
    """The phrases of both lists, normalised and indexed once, not on every question."""
    self_harm = set(self_harm_phrases)
    patterns, whole_words = [], []
    by_first_word: defaultdict[str, list[int]] = defaultdict(list)
    by_first_letters: defaultdict[str, list[int]] = defaultdict(list)
    for phrase in self_harm_phrases + urgent_phrases:
        words = _phrase_words(phrase.rstrip("*"))
        if not words:  # a phrase of punctuation alone would match everything
            continue
        starred = phrase.endswith("*")
        if starred and " " not in words:
            by_first_letters[words[:2]].append(len(patterns))
        else:
            by_first_word[words.split()[0]].append(len(patterns))
        patterns.append((phrase, f" {words}" if starred else f" {words} ", phrase in self_harm))
        whole_words.append(frozenset(words.split()[: -1 if starred else None]))
    return _Patterns(
        tuple(patterns),
        {word: tuple(at) for word, at in by_first_word.items()},
        {letters: tuple(at) for letters, at in by_first_letters.items()},
        tuple(whole_words),
    )


# A phrase of several words is found with one more word between two of its words when that word only makes it
# stronger ("chest is really tight", "she's suddenly talking gibberish", "ruk hi nahi raha"), or is the verb of a
# second subject ("lips and tongue are swelling"): not any word, which may hedge or deny ("less tight", "hardly an
# emergency", "gak bengkak") or make it something else ("doing a cpr course", "someone to help"). Not right after a
# word that denies, where the word hedges ("not really making sense", "can't really wake up that early"); never in a
# script read letter by letter, where one more letter is as likely a denial ("胸口不痛").
_EMPHASIS = (
    "really|very|so|super|too|badly|seriously|completely|totally|literally|suddenly|extremely|terribly|are|am|hi|bhi"
    "|hee|bahut|bohot|bahot|बहुत|khup|khub|khoob|romba|chala|muy|mucho|muito|très|tres|trop|molto|tanto|sehr|ganz"
    "|banget|sangat|çok|cok|очень|совсем|сильно|дуже"
)
_ONE_MORE_WORD = rf" (?:(?:{_EMPHASIS}) )?"
_DENYING = frozenset(
    {"no", "not", "nt", "cant", "cannot", "wont", "dont", "doesnt", "isnt", "arent", "couldnt", "nahi", "nahin", "ne"}
    | {"nie", "não", "nao", "non", "nicht", "kein", "không", "khong", "tidak", "gak", "nggak", "ga", "hindi", "не"}
)
_READ_LETTER_BY_LETTER = re.compile(f"[{UNSPACED}]")


@lru_cache(maxsize=32768)
def _phrase_pattern(wanted: str) -> re.Pattern[str]:
    """What finds a phrase's text (" word word ", or " word wor" when starred) in a sentence's words: with one word
    of emphasis between two of them, and each word also written twice with a "2" ("kejang2")."""
    words = wanted.split()
    letter_by_letter = bool(_READ_LETTER_BY_LETTER.search(wanted))
    pattern = ""
    for at, word in enumerate(words):
        if at:
            pattern += " " if letter_by_letter or words[at - 1] in _DENYING else _ONE_MORE_WORD
        pattern += re.escape(word) + ("2?" if word.isalpha() and len(word) > 2 else "")
    return re.compile(f" {pattern}{' ' if wanted.endswith(' ') else ''}")


def _phrase_words(text: str) -> str:
    """Casefolded words joined by single spaces, apostrophes dropped: "Can’t-breathe" → "cant breathe"."""
    return " ".join(WORD_OR_LETTER.findall(_APOSTROPHES.sub("", normalize_query(text).casefold())))
