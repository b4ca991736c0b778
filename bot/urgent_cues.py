"""When a symptom is said of now: English cue words that put it outside the present (negated, asked about as a
risk, put as a condition, told of the past or as over), as NegEx reads clinical notes, and the commonest of them in
languages visitors mix with English. The engine's other language rules are English; none names a subject."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from pathlib import Path

from bot.text import WORD_OR_LETTER

# A phrase never spans two sentences ("...end? It all depends"); a decimal point ends none ("now its 37.1, feel ok").
CLAUSE_END = re.compile(r"(?:[?!;:\n]|(?<!\d)\.|\.(?!\d))+")

CUE_WINDOW = 6  # words either side of a symptom read for a cue ("she's not responding and I think it's a seizure")
# "In the past" (or "in past") is long ago, but not "in the past hour" or "in the past few days".
_IN_THE_PAST = (
    r"in (the )?past(?! (few|couple|half|\d+|one|two|three|four|five|six|seven|eight|nine|ten|several|hours?|hrs?"
    r"|minutes?|mins?|days?|nights?|weeks?|while|24))"
)
# "A few years back" is years ago, as is "long ago" (not "not long ago", which is recent).
_MONTHS_AGO = r"((years?|yrs?|months?|mths?) (ago|back)|(?<!not )(a )?long (time )?ago)"
# What "last ..." names when it is long past ("last year", "last summer", "last Christmas").
_LAST_PERIOD = r"year|yr|month|mth|summer|winter|spring|autumn|christmas|easter"
# "Before two years" or "three years before", as a learner of English writes "two years ago": only before the symptom,
# since after it the words may tell when it began ("can't breathe since the treatment before 2 months").
_BEFORE_MONTHS = r"(before (\w+ )?(years?|months?)|(years?|months?) before)"
_CHILD = r"kid|child|teen\w*|baby|toddler|infant|newborn|boy|girl|schoolboy|schoolgirl|student|youngster"
# (not "when she was 5 minutes into the infusion", "when he was 2 steps from the car")
_WHEN_YOUNG = (
    rf"when (young|little|small|(he|she|they) (was|were) (a |an )?({_CHILD}|young|little|\d+"
    r"(?! (seconds?|secs?|minutes?|mins?|hours?|hrs?|days?|weeks?|months?|steps?|metres?|meters?|yards?|feet|ft"
    r"|miles?|km)\b)))"
)
# A bare year long past: up to 2023, so that no date of these years ("since 1 December 2026") is read as one.
_PAST_YEAR = r"(19[5-9]\d|20[01]\d|202[0-3])"
_MONTH = r"(january|february|march|april|may|june|july|august|september|october|november|december)"
# Denial and a time long past in languages visitors mix with English, for the phrases of site.toml in them: denied
# before the symptom ("pas de douleur à la poitrine", "hakuna maumivu ya kifua", "khong co dau nguc") or after it
# ("nenju vali illa", "göğüs ağrısı yok"), long past on either side ("se desmayó el mes pasado", "pichle hafte behosh
# ho gayi thi", "sanadkii hore way suuxday"). Not "non" nor "bez", which phrases hold ("non respira", "bez soznaniya"),
# nor "si", "se" or "ha", which are also "yes", "himself" and "has".
_DENIED_ELSEWHERE = r"pas de|pas d|hakuna|khong co|không có|sem|sin|kein|keine|keinen|geen|nie ma|tidak ada|takde"
_DENIED_AFTER_ELSEWHERE = r"illa|illai|yok|nahi hai|nahin hai"
_LONG_PAST_ELSEWHERE = (
    r"(mes|año|ano|semana) pasad[oa]|(ano|mês|mes|semana) passad[oa]|(tahun|bulan|minggu) (lepas|lalu)"
    r"|pich?h?le (hafte|haftay|mahine|saal)|vorige? (jaar|week|maand)|(an|mois) dernier|(année|annee|semaine)"
    r" derni[eè]re|letzte[nsm]? (jahr|monat|woche)|(anno|mese) scorso|settimana scorsa|ge[çc]en (y[ıi]l|sene|ay|hafta)"
    r"|w zesz[łl]ym|rok temu|(anul|luna) trecut[aă]?|mwaka jana|mwezi uliopita|n[ăa]m ngo[áa]i|th[áa]ng tr[ưu][ớo]c"
    r"|tu[ầa]n tr[ưu][ớo]c|sanadkii hore|bishii hore|ranshe|prin \d+ (evdomades|mines|chronia|meres)"
    r"|\d+ (saal|sal|mahine) pehle|waktu kecil|wiki iliyopita"
    r"|(hace|há) (\d+|un|una|unos|unas|dos|dois|duas|tres|três|varios|varias|vários|alguns|algumas) (años|anos|meses"
    r"|semanas)|il y a (\d+|un|une|deux|trois|quelques|plusieurs) (ans?|mois|semaines?)|\d+ (anni|mesi|settimane) fa"
    r"|kyonen|sengetsu|senshuu|mukashi|kazhinja (varsham|varusham|masam|aazhcha)|pona (varusham|varsham|masam|vaaram)"
    r"|poyina (samvatsaram|nela|vaaram)|gata (varsha|bachhar|bochor|mash)|pichhle (saal|mahine|hafte)"
    r"|\d+ jaar geleden|vor \d+ (jahren|monaten|wochen)"
)
# A time long past in languages written in another script, for the phrases of site.toml in them ("போன வருஷம்
# அப்பாவுக்கு வலிப்பு வந்தது", "去年他晕倒了"): matched as the phrases are, on the words of the reading (a script
# without spaces letter by letter), since vowel signs end no word for "\\b".
# fmt: off
_LONG_PAST_IN_OTHER_SCRIPTS = (
    "去年", "前年", "上个月", "上個月", "上个星期", "上個星期", "上周", "上週", "上礼拜", "上禮拜", "几年前", "幾年前",
    "几个月前", "幾個月前", "以前", "小时候", "小時候", "舊年", "上年", "昨年", "先月", "先週", "数年前", "何年か前",
    "子供の頃", "작년", "작년에", "지난달", "지난달에", "지난주", "지난주에", "예전에", "몇 년 전", "몇 달 전",
    "어렸을 때", "पिछले साल", "पिछले महीने", "पिछले हफ्ते", "पिछले हफ़्ते", "साल पहले", "महीने पहले", "बचपन में",
    "गेल्या वर्षी", "मागच्या वर्षी", "मागच्या महिन्यात", "गत वर्ष", "पोहोर साल", "गएको महिना", "গত বছর", "গত মাসে",
    "গত সপ্তাহে", "বছর আগে", "মাস আগে", "پچھلے سال", "پچھلے مہینے", "پچھلے ہفتے", "سال پہلے", "مہینے پہلے",
    "ਪਿਛਲੇ ਸਾਲ", "ਪਿਛਲੇ ਮਹੀਨੇ", "ગયા વર્ષે", "ગયા મહિને", "போன வருஷம்", "போன வருடம்", "போன மாசம்", "போன மாதம்",
    "போன வாரம்", "கடந்த ஆண்டு", "கடந்த வருடம்", "கடந்த மாதம்", "పోయిన సంవత్సరం", "గత సంవత్సరం", "పోయిన నెల", "గత నెల",
    "ಕಳೆದ ವರ್ಷ", "ಹೋದ ವರ್ಷ", "ಕಳೆದ ತಿಂಗಳು", "കഴിഞ്ഞ വർഷം", "കഴിഞ്ഞ മാസം", "കഴിഞ്ഞ കൊല്ലം", "පසුගිය අවුරුද්දේ",
    "ගිය අවුරුද්දේ", "ගිය මාසේ", "السنة الماضية", "العام الماضي", "الشهر الماضي", "الأسبوع الماضي", "الاسبوع الماضي",
    "السنة اللي فاتت", "الشهر اللي فات", "قبل سنة", "قبل سنتين", "قبل سنوات", "پارسال", "سال گذشته", "سال پیش",
    "ماه گذشته", "ماه پیش", "هفته گذشته", "هفته پیش", "چند سال پیش", "پروسږکال", "تېر کال", "تیر کال", "בשנה שעברה",
    "בחודש שעבר", "לפני שנה", "לפני שנתיים", "לפני כמה שנים", "в прошлом году", "в прошлом месяце",
    "на прошлой неделе", "год назад", "года назад", "лет назад", "месяц назад", "месяца назад", "месяцев назад",
    "в детстве", "минулого року", "торік", "минулого місяця", "минулого тижня", "рік тому", "років тому",
    "місяць тому", "миналата година", "миналия месец", "преди години", "прошле године", "прошлог месеца", "πέρσι",
    "πέρυσι", "πριν χρόνια", "πριν από χρόνια", "τον προηγούμενο μήνα", "τον περασμένο μήνα", "ปีที่แล้ว", "ปีก่อน",
    "เดือนที่แล้ว", "เดือนก่อน", "อาทิตย์ที่แล้ว", "สัปดาห์ที่แล้ว", "ባለፈው ዓመት", "ባለፈው ወር", "შარშან", "გასულ წელს",
    "անցյալ տարի", "անցյալ ամիս",
)
# fmt: on


def _any_of(cues: Iterable[str], then: str = "") -> re.Pattern[str]:
    """Any of these words, as whole words of the phrases' reading (casefolded; a script without spaces letter by
    letter), followed by `then`."""
    read = {" ".join(WORD_OR_LETTER.findall(cue.casefold())) for cue in cues} - {""}
    return re.compile(r"(?<!\S)(" + "|".join(map(re.escape, sorted(read, key=len, reverse=True))) + r")" + then)


_LONG_PAST_READ = _any_of(_LONG_PAST_IN_OTHER_SCRIPTS, r"(?!\S)")


def _cues_elsewhere() -> dict[str, list[str]]:
    """bot/cue_words.toml: each kind of cue's words in all its languages."""
    with Path(__file__).with_name("cue_words.toml").open("rb") as file:
        kinds = tomllib.load(file)
    return {kind: [word for words in languages.values() for word in words] for kind, languages in kinds.items()}


_CUES_ELSEWHERE = _cues_elsewhere()
_DENIED_RIGHT_BEFORE_READ = _any_of(_CUES_ELSEWHERE["deny_before"], r"\s*$")
# the denial, or what it could bring on, told right after the symptom ("nahi hai", "yok", "auslösen", "olur mu")
_NOT_NOW_RIGHT_AFTER_READ = _any_of(_CUES_ELSEWHERE["deny_after"] + _CUES_ELSEWHERE["cause_after"], r"(?!\S)")
# what something could bring on, asked, right before the symptom or two words before it ("может вызвать судороги")
_BROUGHT_ON_READ = _any_of(_CUES_ELSEWHERE["cause_asked"], r"(\s+\S+){0,2}\s*$")
# Cue words that put a symptom outside the present, before it in its sentence ("no chest pain", "can it cause
# seizures", "a history of fainting", "watched a film where the guy collapsed") or after it ("fainted once years ago",
# "a few years back"). Not "is it normal to": it is asked by someone who has the symptom ("is it normal to have the
# worst headache ever after the infusion?").
_NOT_NOW_BEFORE = re.compile(
    r"\b(no|not|never|without|risk of|chances? of|history of|hx|pmh|h/o|causes?|causing|prevent|avoid|died (of|from)"
    r"|survived|recovered from|got over"
    r"|passed away (of|from|with)|(has|have|had|did)n'?t (had|have|got|get|been|shown|experienced)"
    r"|signs? of|symptoms? of|what is|what are|what does|what do|how often|how common|how likely"
    r"|is it common"
    r"|(do|does|will|would) (you|they|the nurses?|your nurses?|the staff|your staff|the doctors?) (check|monitor|test"
    r"|screen|watch|look) (me |patients )?(for|out for)"
    r"|does it|can it|could it|would it|will it|can this|could this|does this|will this"
    r"|(trained|training|experience[ds]?|equipped|protocols?|procedures?) (in|for|to|with)"
    r"|seen (my|our|their|his|her) (fair )?share of|seen (plenty|lots|a lot|many) of"
    r"|(spend|spent) (my|our|their|his|her) (days|time|working life|career|shifts?) (with|around|dealing with)"
    r"|(forms?|questions?|questionnaires?|sections?) (asks?|asking|asked) about"
    r"|(percentage|proportion|share|number) of (patients|people)|how many (patients|people)"
    r"|(project|essay|homework|article|paper|lecture|course|dissertation|thesis)( is| was)? (on|about|into)"
    r"|(book|novel|film|movie|documentary)( is| was)? about|(book|novel|film|movie|documentary|episode|series|story)"
    r"( \w+)? (where|in which))\b"
)
# ... and in languages mixed with English, only in its part of the sentence, since their words that turn to now are
# unknown here ("pas de réponse, il est évanoui", "el mes pasado empezó, ahora no respira")
_NOT_NOW_BEFORE_ELSEWHERE = re.compile(rf"\b({_DENIED_ELSEWHERE}|{_LONG_PAST_ELSEWHERE})\b")
# Someone seen on a screen, in its part since "and" ("I see on TV news a man have heart attack"; not "we were watching a
# movie on tv and my dad collapsed", nor "watching football on tv my dad collapsed").
_ON_A_SCREEN = re.compile(
    r"\b(on|in) (the )?(tv|television|news|tv news|film|movie|documentary|youtube)\b.*\b(a |an |some |the )?(man|woman"
    r"|person|people|guy|girl|boy|player|actor|footballer|celebrity|patient|somebody|someone)\b"
)
# Someone in a story read or watched, named right after what it was about ("reading a forum where a guy said he had
# seizures", "watching a film where a man collapses"; not "reading an article about NK cells when the man in the next
# chair collapsed").
_READ_OF = re.compile(
    r"\b(reading|read|watching|watched|saw) (a |an |the |this |some )?(forum|post|article|blog|story|film|movie"
    r"|documentary|video|show)( \w+)? (where|in which|about|of) (a |an |the |some |this )?(\w+ )?(man|woman|person"
    r"|people|guy|girl|boy|player|actor|patient|somebody|someone)\b"
)
# How someone is, denied: "not feeling well", "not ok", "not doing great". It negates no more than being well, never the
# symptom after it ("I'm not feeling well, chest pain and sweating", "not good, cant breathe"); not "not ok with".
_UNWELL = re.compile(
    r"\bnot( (feeling|feel|doing|looking|look|been|very|so|too|at all))*"
    r" (well|good|great|ok|okay|right|fine|myself|herself|himself|themselves)\b(?! with)"
)
# The symptom as the topic of a question it opens: "High fever is common after the first infusion?", "vomiting blood is
# side effect?"; not "my child has seizure is side effect of the cells", a report.
_TOPIC_OF_A_QUESTION = re.compile(
    r"^\s*(is|are) (an? )?(very |quite |listed |known |possible |common |rare )?(risk|side effects?|common|rare)\b"
)
# A year right after it ("had a heart attack 2015, stented since"), not a dose ("overdosed on 2000 mg") nor a date of
# these years ("seizure 2026-12-02").
_YEAR_RIGHT_AFTER = re.compile(rf"^\W*{_PAST_YEAR}(?![\d.,/-])(?!\s*(mg|mcg|ml|g|units?|iu)\b)")
# Denied by how the writer feels, right before it ("I don't feel short of breath"); not further ("I don't feel right,
# short of breath", where the denial is of something else).
_DENIED_RIGHT_BEFORE = re.compile(r"\b(do|does|did)n'?t (feel|get|have|seem)( any| to be)?\s*$")
# After it, a year long past as well ("collapsed in shop 2019"): up to 2023, so never a date of these years ("chest
# pain since 1 December 2026"), and not a room, a bed, a flight, a time of day or a height.
_NOT_NOW_AFTER = re.compile(
    rf"\b({_MONTHS_AGO}|(weeks?|wks?|\d+(\s*/\s*|\s+)(52|12)) ago|as (an? )?(little |young )?({_CHILD})|when i was"
    rf"|{_WHEN_YOUNG}"
    r"|in (my|his|her|their|our) (teens|twenties|thirties|forties|fifties|sixties|seventies|youth|childhood)"
    r"|(during|in) (my|his|her|their|our|the) (last|previous) (chemo\w*|cycle|round|course|admission|hospital stay"
    r"|stay|pregnancy|treatment|session)"
    r"|in (19|20)\d\d|(?<![\d/.-])(?<!room )(?<!bed )(?<!ward )(?<!suite )(?<!flight )(?<!number )(?<!no )(?<!flat )"
    rf"(?<!apartment )(?<!floor )(?<!since )(?<!at ){_PAST_YEAR}(?![\d/.-])"
    r"(?!\s*(mg|mcg|ml|g|units?|iu|m|metres?|meters?|ft|feet|hrs?|hours?|h)\b)"
    rf"|(?<!since )last (week|wk|{_LAST_PERIOD})"
    r"|at (my|his|her|the) last (?!hours?|minutes?|mins?|few|couple)\w+"
    rf"|years|once|{_IN_THE_PAST}|history|(could|might|may) be an? (concern|risk|problem|worry)"
    r"|(is|are) an? (known |possible |common |rare |listed )?(risk|side effect)"
    r"|in (the |a )?(film|movie|documentary)|when (i|he|she|they|we) (see|sees|saw|seeing) (blood|needles?)"
    rf"|{_DENIED_AFTER_ELSEWHERE}|{_LONG_PAST_ELSEWHERE})\b"
)
# A question about the symptom in general, right before it in its part of the sentence: it as the subject of "is"
# or "are" ("is anaphylaxis possible with donor cells?"), what someone could get ("could I have an allergic
# reaction if...", "can you overdose on it?"), or what has been reported ("are there any reports of severe allergic
# reactions"). "Could I be having a heart attack?" asks about now: it still counts.
_ASKED_ABOUT = re.compile(
    r"^\s*(is|are|isnt|arent)(\s+(a|an|any|the))?\s*$"
    r"|\b(can|could|might|may|would|will|do|does)\s+(i|you|he|she|they|we|someone|anyone|people|patients?|one)"
    r"(\s+(ever|still|also|really))?(\s+(get|have|develop|suffer|experience|go into|end up with))?"
    r"(\s+(a|an|any|some|the))?\s*$"
    r"|\b(have|has|had) (you|he|she|they|i) ever (been|had)(\s+(a|an|any|some|the))?\s*$"
    r"|\bwhat (does )?means?( the| a)?( word)?\W*$"
    r"|\b((are|were|is) there|(have|has) there been) (any )?(reports?|cases?|records?) of( an?| any)?( \w+)?\s*$"
)
# What something could bring on: "can NK cells make breathing difficult?", "will the drip give me chest pain?". Not
# for self-harm: "does this treatment make you suicidal? because i am" is asked by someone who is.
_BROUGHT_ON = re.compile(
    r"\b(can|could|might|may|would|will|do|does)\s+(\w+\s+){1,3}(make|give|trigger|bring on|lead to)"
    r"(\s+(me|you|him|her|them|us|people|patients|someone|anyone))?(\s+(a|an|any|some|the))?\s*$"
    # "to cause" in languages visitors mix with English, as asked ("puede causar fiebre", "inaweza kusababisha homa
    # kali", "a mund të shkaktojë ethe"); not "provoca" or "menyebabkan" alone, which also tell what is happening
    r"|\b(causar|provocar|causer|provoquer|verursachen|auslösen|auslosen|causare|provocare|spowodować|spowodowac"
    r"|powodować|powodowac|kusababisha|shkaktojë|shkaktoje|vyzvat|вызвать|gây ra|gay ra"
    r"|(bisa|boleh|dapat) (menyebabkan|sebabkan|mengakibatkan))(\s+\w+){0,2}\s*$"
)
# A condition governs all of its part of the sentence, however far before the symptom ("call if her temperature
# goes over 38 or she has trouble breathing"), up to a comma or a word that turns to something else ("I don't know
# if it matters but I can't breathe"); a time long past as far, but not past "and", after which the message may
# come to now ("last month I had a temperature of 38.5", "last time I had blood taken I fainted", but "had my
# infusion last month and I can't breathe").
# Words that make what follows a condition: "if", and "supposing" (not "I suppose", which guesses).
# ... and in languages visitors mix with English: Malay and Indonesian, Hindi and Urdu, German, Turkish.
_CONDITION_WORDS = (
    r"if|whether|in case|unless|suppos(e|ing)(?<!i suppose)|hypothetically|kalau|jika|agar|wenn|eğer|eger"
)
_CONDITION_PART = re.compile(rf"\b({_CONDITION_WORDS})\b")
_SUBJECTS = frozenset({"i", "im", "ill", "ive", "id", "he", "hes", "she", "shes", "we", "they", "theyre"})
_LONG_PAST_PART = re.compile(
    rf"\b(when i was|{_WHEN_YOUNG}|{_MONTHS_AGO}|{_BEFORE_MONTHS}|{_IN_THE_PAST}"
    rf"|(?<!since )last ({_LAST_PERIOD})"
    r"|in (19|20)\d\d|back in \w+|when (i|he|she|they) (was|were) in (the )?(army|military)"
    r"|at (my|his|her|our|the) last (visit|appointment|session|check\w*))\b"
)
# The last visit or procedure, as far ("last time i came for the blood draw i fainted"); not "last time i checked she
# was unresponsive", which is just now, nor "for the last time", a farewell; and only in its part, never past commas.
_LAST_OCCASION = re.compile(
    r"(?<!for )\b(the )?last time (i|we|he|she|they|you) (came|had|was|were|went|visited|got|gave|donated)\b"
)
_AND = re.compile(r"\band\b")
_RELATIVE = re.compile(r"\b(who|whom|whose|which)\b")
_BEGAN = re.compile(r"\b(since|from|after)\b")
# Told in the past tense after that time: what began then is over ("after my cells went back in last month I had a
# temperature of 38.3 for one evening"), where "since the treatment two months ago I can't breathe" is not.
_TOLD_AS_PAST = re.compile(r"\b(i|he|she|we|they) (had|was|were|got|ran|developed)\b")
# A time told of the past, after it ("ran a fever of 38.2 that evening"), unless it runs to now ("since that night").
_THAT_TIME = re.compile(r"\bthat (same )?(evening|night|morning|afternoon|day)\b")
_SINCE_THEN = re.compile(r"\b(since|from|still|worse|rising|now)\b")
# A time long past that opens the sentence reaches past its commas, up to a word that turns to now ("eight years ago,
# after my divorce, I took an overdose", but "two years ago he had a stroke, now he can't breathe").
_OPENS_LONG_PAST = re.compile(rf"^\W*(\w+ )?({_LONG_PAST_PART.pattern})")
# How the clinic handles it, anywhere before it in its part of the sentence ("how would your staff deal with a seizure
# during the drip?"); not how the writer should ("how do I deal with a seizure, my son is having one").
_HOW_HANDLED = re.compile(
    r"\b(how (do|does|would|will|did|should|can)|(interested|curious) (in|about|to know|to hear) how)"
    r" (you|you guys|they|the clinic|your clinic|the staff|your staff"
    r"|the team|your team|the nurses|your nurses|the doctors|your doctors) (handle|deal with|manage|cope with"
    r"|respond to)\b"
)
# After the symptom, only a time long past reaches that far ("I collapsed at a festival when I was 20"): a condition
# after it is how it shows ("I can't breathe if I lie down").
_PAST_PART = re.compile(
    r"\b((years?|yrs?) (ago|back)|when i was (a |an )?(kid|child|teen\w*|baby|young|little|\d+)|in (19|20)\d\d"
    rf"|{_WHEN_YOUNG}|(?<!not )(a )?long (time )?ago|last (year|yr)"
    r"|(once|twice|\w+ times) in (my|his|her|their) life"
    rf"|{_IN_THE_PAST}"
    rf"|back in {_MONTH})\b"
)
# The sentence after a question about self-harm that says, and says no more than, that the writer feels it now
# ("because i am", "i do", "ive been feeling like that lately"); not one that goes on to something else ("i am
# starting next week").
_OWNED_NOW = re.compile(
    r"^\s*(because |cause |cos |coz |as |and |well |honestly |tbh )?(i am|im|i do|i feel|i have been|ive been"
    r"|i think i am|i think im|i keep feeling)((\s+(right now|now|too|already|at the moment|so|actually|really"
    r"|feeling|like (that|this|it)|that way|this way|it|lately|all the time|every day|tbh|honestly))*)\s*$"
)
# The sentence after a question about a symptom that says, and says no more than, that someone has it now ("chest pain
# is side effect? my husband has it strong", "can it cause seizures? my son has it now").
_HAS_IT_NOW = re.compile(
    r"^\s*(and |but |because |cause |coz )?(i|he|she|they|we|hes|shes|im|theyre|my \w+)( also| too)?( is| s| am)?"
    r" (have|has|got|having)"
    r" (it|this|that)\b(?! (condition|question|worry|written|on the|under control|in (my|his|her|the)))"
    r"(?!.*\b(sometimes|often|usually|in the past|ago|years?)\b)"
)
# Someone else's history ("my brother had anaphylaxis to bee stings, does that...", "my dad and uncle both had heart
# attacks", "someone had a seizure after CAR-T", "once he had anaphylaxis at school") or habit ("my husband gets short
# of breath walking long distances", "I get short of breath on stairs because of my lung fibrosis") right before the
# symptom, unless the message brings it to now ("my son had a seizure ten minutes ago", "dad gets chest pain but today
# it won't stop").
_KIN = r"(mum|mom|mother|dad|father|brother|sister|nan|gran\w*|grand\w+|aunt\w*|uncle|cousin|parents?|family)"
_HISTORY_OR_HABIT = re.compile(
    rf"\b({_KIN} (and (my )?{_KIN} )?(both |all )?(had|has had)|(someone|somebody|people|a friend|my friend) "
    rf"(had|has had)|(he|she|they|{_KIN}|husband|wife|partner|son|daughter) "
    r"(usually |often |sometimes |always )?gets|i (usually |often |sometimes |always )?get"
    r"|once (i|he|she|we|they) (had|got))( an?| the| any)?( (bit|little|touch|tad)| slightly| quite| rather| more)?\s*$"
)
# How often, not now, right before it ("she has sometimes chest pain on stairs", "my wife sometimes faint when she see
# blood"), on the same terms; not further ("my mother sometimes has asthma she cannot breathe").
_HABITUAL = re.compile(
    r"\b(sometimes?|often|usually|occasionally|from time to time)( (i|he|she|they|we))?"
    r"( (am|is|are|has|have|get|gets|feel|feels))?( an?| the)?\s*$"
)
# How often, right after it ("the man I support has seizures sometimes", "gets chest pain now and then").
_HABITUAL_AFTER = re.compile(
    r"^\s*(sometimes|occasionally|from time to time|now and (then|again)|every (so often|now and then)|at times"
    r"|on and off)\b"
)
# ("now and then", "now and again": how often, not now)
_RECENT = re.compile(
    r"\b(now(?! and (then|again))|just|today|tonight|this (morning|afternoon|evening)|minutes?|hours?|yesterday|still"
    r"|(?<!now and )again|worse|wont stop|won't stop|right now|at the moment)\b"
)
# Feared, not felt: the fear right before the symptom ("nervous about passing out", "scared of having a seizure");
# not a worry about someone that goes on to the symptom ("worried about my dad, he's not breathing").
_FEARED = re.compile(
    r"\b(scared|afraid|nervous|worried|frightened|terrified|anxious|fear|fearful|panicking) (of|about)"
    r"( (having|getting|another|a|an|the)){0,2}\s*$"
)
# Dreamt, not felt, right before it ("last night i dream i was unconscious"); not "woke from a dream and I can't
# breathe".
_DREAMT = re.compile(
    r"\b(i|he|she|we|they) (dream|dreams|dreamt|dreamed)( that| about| of)?( (i|he|she|we|they)( was| were| had)?)?"
    r"( an?| the)?\s*$"
)
# Said in jest: a laugh in the sentence and an overstatement before the symptom ("the price nearly gave me a heart
# attack lol", "my boss will have a heart attack lol", "my wife says i will have a heart attack, joke"). A laugh alone
# is not enough: people laugh nervously about real trouble.
LAUGHING_EMOJI = "\U0001f602\U0001f923\U0001f606\U0001f605\U0001f639"  # 😂 🤣 😆 😅 😹 laugh as "lol" does
_LAUGH = re.compile(
    rf"\b(lol|lmao|rofl|haha\w*|hehe\w*|jk|(only|just) (joke|joking|kidding)|we laugh\w*)\b|:-?\)|[{LAUGHING_EMOJI}]"
)
_OVERSTATED = re.compile(
    r"\b(nearly|almost|practically|literally|gave|give|gives|giving|laugh\w* (until|till|so much)"
    r"|(?!(i|im|ill|id|we)\b)\w+ (will|would|gonna) have"
    r"|(says?|said|thinks?|thought) (i|we|you) (will|would|gonna) have)\b"
)
# A figure of speech the symptom's words begin: "can't breathe a word of this to my mum", "overdosing on information
# from google", "mum is having a fit about the bill"; or an overstatement ("nearly", "almost") of what a price did
# ("nearly had a heart attack at the cost").
_FIGURE_AFTER = re.compile(
    r"^\s*(a word|parade|free|to (my |our |your |his |her |their )?(emails?|letters?)"
    r"|on (information|info|the news|news|google|research|reading|websites?|articles?|forums?|videos?"
    r"|((christmas|easter|halloween|birthday) )?(chocolate|sweets|candy|cake|sugar|cookies|biscuits|mince pies))"
    r"|(about|over) (the |my |your |our )?(cost|costs|price|prices|bill|bills|invoice|fees?|wait|waiting list|parking"
    r"|mess|paperwork)|with (this|all (this|these)|so much|so many) (\w+ )?(paperwork|forms?|admin"
    r"|bureaucracy|homework|emails?|questions|papers))\b"
)
# A saying, named as one anywhere in the sentence: "is like I cannot breathe, we say so in Arabic", "as we say".
_FIGURE_OF_SPEECH = re.compile(
    r"\b((we|people) say (so|this|that|it) in \w+|as (we|people) say|in (our|my) language (we|they|people) say"
    r"|figure of speech|in \w+ (we|they|people) say|say (it|this|that|so) when|(an|the|our|this) (idiom|saying))\b"
)
# A phrase's words naming something else, a medicine, a plan, a service, a risk or a thing: "seizure medication", "a
# seizure disorder", "the chest pain clinic", "is there suicide risk with this therapy" (not "I'm a high suicide
# risk"), "my seizure alert dog", "an SOS button"; not for the overdose rule, where a count of tablets comes right
# before them.
_NAMES_SOMETHING_ELSE = re.compile(
    r"^\s*(medications?|medicines?|threshold|disorders?|action plan|care plan|protocols?|policy|clinic|specialist"
    r"|((alert|assistance|response|service) )?dogs?|buttons?|features?|bracelets?|pendants?"
    r"|training|precautions|management|risks?)\b"
)
_HAPPENING = re.compile(r"\b(having|started|starting|keeps|keep|is|another)( an?| another)?\s*$")
_AT_RISK = re.compile(r"\b(am|im|is|are|has|have|had)( an?)?( (?!there\b)\w+)?\s*$")  # apostrophes are gone
_PRICE = r"cost|costs|price|prices|bill|quote|invoice|fees?"
# A price said to bring it on, right before it ("the price is giving me a heart attack honestly").
_A_PRICE_DID_IT = re.compile(
    rf"\b({_PRICE})( (is|are|was|were|will|would|almost|nearly|literally|be|enough to|going to|about to))*"
    r" (giving|gave|give|gives|gonna give) (me|him|her|us|them|my \w+)( an?)?\s*$"
)
_AT_A_PRICE = re.compile(
    r"^\s*(at|over|when i (see|saw|hear|heard|read|get|got)|reading|seeing) (the |that |this |your |my |a )?(\w+ )?"
    rf"({_PRICE}|total|estimate)\b"
)
# Over by now, anywhere after the symptom in its sentence ("short of breath for a day but it went away", "it was only
# muscle", "I woke up after one minute"), unless something after that brings it back ("it went away but now it's
# back"). Not "was fine": after a symptom it is as often the time before it ("she collapsed, she was fine an hour ago").
_NOT_DENIED = "(?<!not )(?<!nt )(?<!never )"  # "hasn't been fine since" is not over
_OVER = re.compile(
    r"\b(went away|wore off|passed off|settled( down)?|cleared up|back to normal"
    r"|(i|he|she|they|and|then) came (a)?round"
    r"|(woke up|came to) (after|within|in) (a|an|one|two|a few|few|\d+) (seconds?|minutes?|mins?|moments?)"
    r"|(it|this|that) (pass|passes|passed|finish|finishe[sd]|ended) (after|within|yesterday|last)"
    r"|then (it|this|that) (passed|stopped|cleared|eased)"
    r"|(was|were|had been) gone by (the )?(next )?(morning|day|evening)"
    r"|(next day|next morning|by morning) (it was |was |she was |he was |i was )?(fine|ok|okay|normal|good|well|gone)"
    r"|(in (the )?morning|by morning) (it|the fever|the pain) (was|had) gone"
    r"|now (is |it is |its )?(finish\w*|gone|normal)"
    r"|was (only|just) (muscle|muscular|anxiety|stress|indigestion|reflux|heartburn|gas|wind|panic)"
    r"|(turned out to be|(they|doctors?|the doctors?) said it was|found (out )?it was) (only |just )?(an? )?(nothing"
    r"|(pulled|strained) muscle|muscular|anxiety|stress|indigestion|reflux|heartburn|panic( attack)?|low (blood )?sugar"
    r"|dehydration)|it was (only |just )?an? (pulled|strained) muscle"
    rf"|(that|this|it) (was|happened) (all )?({_MONTHS_AGO}|(back )?in ({_MONTH}|(19|20)\d\d)|last (year|yr|month))"
    rf"|{_NOT_DENIED}been (fine|ok|okay|well) (ever )?since"
    rf"|(?<!been ){_NOT_DENIED}(fine|ok|okay|well) (ever )?since"
    rf"|{_NOT_DENIED}(stopped|gone|all fine|all good|fine) now)\b"
)
# "Now" after a word of being well is how the writer is now ("it settled and I feel fine now"), unless that word is
# denied ("it went away but I'm not ok now", "I don't feel fine now").
WELL_WORDS = ("fine", "ok", "okay", "better", "good", "normal", "alright", "all right")
_AFTER_NO_WELL_WORD = "".join(f"(?<!{word} )" for word in WELL_WORDS)
# "Now I feel normal" is how the writer is now, as "normal now" is.
_NOT_WELL_AFTER = rf"(?! (i|he|she|we|they) (feel|feels|am|is|are) ({'|'.join(WELL_WORDS)}))"
# "Can she still have the infusion" asks whether she may, not whether it is back; "will it happen again" asks
# whether it will (but "it happen again", as learners tell it, is back).
_ASKER = ("", "i ", "he ", "she ", "we ", "they ")
_STILL = "".join(f"(?<!{modal} {who})" for modal in ("can", "could") for who in _ASKER) + "still"
_AGAIN = (
    "".join(
        f"(?<!{modal} {it} happen )"
        for modal in ("will", "would", "could", "might", "can", "may", "does")
        for it in ("it", "this", "that")
    )
    + "again"
)
_BACK = re.compile(
    rf"\b({_AFTER_NO_WELL_WORD}now{_NOT_WELL_AFTER}|\w*(not|nt|never) (\w+ )?({'|'.join(WELL_WORDS)}) now"
    rf"|{_AGAIN}|{_STILL}|worse|keeps?|returned|came back|(it'?s|its|it is) back|another)\b"
)
# "Is it normal if she won't wake up?" asks about what is happening: only a true condition is left out of meaning.
_CONDITION = re.compile(rf"(?<!normal )(?<!ok )(?<!okay )(?<!fine )(?<!bad )(?<!serious )\b({_CONDITION_WORDS})\b")
# A word that turns to something else, where a negation's reach ends ("she hasn't had any seizures before but
# she's fitting right now"); a comma does not end it ("no fever, cough or chest pain").
_SCOPE_END = re.compile(
    r"\b(but|now|however|although|though|and then|since then|today|tonight|this (morning|afternoon|evening|week)"
    r"|yesterday|just|currently|still|again)\b"
)
# A dash set apart by spaces, or a long one: it ends a part of a sentence as a comma does ("tell me if the treatment
# caused this - her lips have swollen up").
DASH = r"\s[-–—]+\s|—"
# A comma, a dash, or a word that turns to now.
_PART_END = re.compile(rf",|{DASH}|{_SCOPE_END.pattern}")
# Where a part told of a time long past ends: a sentence end, a comma, "and", or a word that turns to now.
_PAST_PART_END = re.compile(rf"{CLAUSE_END.pattern}|,|\band\b|{_SCOPE_END.pattern}")


def said_of_now(before: str, after: str, threat: bool = False) -> bool:
    """Whether what stands between these two parts of a clause (casefolded words) is said of the present: not
    negated, asked about as a risk or in general, put as a condition, told of the past or as over (cue words within
    CUE_WINDOW words; a condition or a time long past anywhere in its part of the sentence). With threat (self-harm),
    only what a condition supposes is outside the present, not what it says will follow ("if i ever felt suicidal",
    but "if the scan is bad i will kill myself")."""
    part_before, part_after = _PART_END.split(before)[-1], _PART_END.split(after)[0]
    window_before = " ".join([w for w in _SCOPE_END.split(before)[-1].split() if w != ","][-CUE_WINDOW:])
    # after the symptom, to the next comma: what follows one is told of something else ("39.6, feel awful, had
    # chemo last week")
    window_after = " ".join(re.split(r",", after, maxsplit=1)[0].split()[:CUE_WINDOW])
    since_and = _AND.split(part_before)[-1]  # a time past reaches back to "and", after which a message may turn to now
    sentence = f"{before} {after}"
    over = _OVER.search(after)
    return not (
        _NOT_NOW_BEFORE.search(_UNWELL.sub(" ", window_before))
        or _NOT_NOW_BEFORE_ELSEWHERE.search(" ".join(part_before.split()[-CUE_WINDOW:]))
        or _DENIED_RIGHT_BEFORE_READ.search(part_before)
        or _NOT_NOW_RIGHT_AFTER_READ.match(after.lstrip())
        or _LONG_PAST_READ.search(part_before)
        or _LONG_PAST_READ.search(part_after)
        or _DENIED_RIGHT_BEFORE.search(before)
        or _YEAR_RIGHT_AFTER.match(after)
        or (not before.strip() and _TOPIC_OF_A_QUESTION.match(after) and not _RECENT.search(after))
        or _FEARED.search(before)
        or _DREAMT.search(before)
        or _ON_A_SCREEN.search(since_and)
        or _READ_OF.search(since_and)
        or (
            (_HISTORY_OR_HABIT.search(before) or _HABITUAL.search(before) or _HABITUAL_AFTER.match(after))
            and not _RECENT.search(sentence)
        )
        or (_FIGURE_OF_SPEECH.search(sentence) and not _RECENT.search(sentence))
        or (_LAUGH.search(sentence) and _OVERSTATED.search(window_before))
        or _NOT_NOW_AFTER.search(window_after)
        or _supposed(part_before, threat)
        or _long_past(since_and, after)
        or _LAST_OCCASION.search(since_and)
        or (_THAT_TIME.search(window_after) and not _SINCE_THEN.search(window_after))
        or (_OPENS_LONG_PAST.match(before) and not _SCOPE_END.search(before))
        or _HOW_HANDLED.search(part_before)
        or _PAST_PART.search(part_after)
        or (over and not _BACK.search(after, over.end()))
        or _FIGURE_AFTER.match(after)
        or ((_OVERSTATED.search(window_before) or _LAUGH.search(after)) and _AT_A_PRICE.match(after))
        or _A_PRICE_DID_IT.search(part_before)
    )


def _supposed(part: str, threat: bool) -> bool:
    """Whether the part of a sentence before a symptom puts it under a condition; for a threat, only when no clause
    of its own starts after the condition's subject."""
    conditions = list(_CONDITION_PART.finditer(part))
    if not conditions or not threat:
        return bool(conditions)
    return not any(word in _SUBJECTS for word in part[conditions[-1].end() :].split()[1:])


def _long_past(part: str, after: str = "") -> bool:
    """Whether a part of a sentence names a time long past, not within a relative clause ("my mother who got the
    infusion two months ago is unconscious": the time is the infusion's) nor as when something began ("since the
    treatment two months ago I can't breathe", "after the infusion at my last visit I can't breathe"), unless what
    began is told in the past tense and nothing after it is of now ("after my cells went back in last month I had a
    temperature of 38.3", but "... last month she had a seizure and now she is having another one")."""
    found = _LONG_PAST_PART.search(part)
    if not found or _RELATIVE.search(part, 0, found.start()):
        return False
    if not _BEGAN.search(part, 0, found.start()):
        return True
    return bool(_TOLD_AS_PAST.search(part, found.end())) and not _RECENT.search(after)


def asked_about(before: str, brought_on: bool = True) -> bool:
    """Whether the words before a symptom ask about it in general, not of now (a number is left to said_of_now:
    "is 39.5 too high?" is asked by someone who has it); with brought_on, also as what something could bring on."""
    part = _PART_END.split(before)[-1]
    return bool(
        _ASKED_ABOUT.search(part) or (brought_on and (_BROUGHT_ON.search(part) or _BROUGHT_ON_READ.search(part)))
    )


def names_something_else(before: str, after: str) -> bool:
    """Whether the words right after a phrase make it name a medicine, a plan, a service or a risk ("seizure
    medication", "is there suicide risk"), unless the words before it tell of one happening ("he's having a seizure
    medication isn't helping") or say someone is at the risk ("I'm a high suicide risk")."""
    named = _NAMES_SOMETHING_ELSE.match(after)
    if not named or _HAPPENING.search(before):
        return False
    return not (named.group(1).startswith("risk") and _AT_RISK.search(before))


def owned_now(next_sentence: str) -> bool:
    """Whether the sentence after a question about self-harm says the writer feels it now ("does this treatment
    make you suicidal? because i am right now", "can it make you want to die? i do"), not that they are fine."""
    return bool(_OWNED_NOW.match(next_sentence))


def has_it_now(next_sentence: str) -> bool:
    """Whether the sentence after a question about a symptom says someone has it now ("my husband has it strong")."""
    return bool(_HAS_IT_NOW.match(next_sentence))


def conditions(message: str) -> list[tuple[int, int]]:
    """Where the message puts something as a condition: from "if", "whether", "in case", "unless" or "supposing" to
    the end of its part of the sentence."""
    text = message.lower()
    found = []
    for cue in _CONDITION.finditer(text):
        ends = [m.start() for m in (_PART_END.search(text, cue.end()), CLAUSE_END.search(text, cue.end())) if m]
        found.append((cue.start(), min(ends, default=len(text))))
    return found


def told_of_the_past(message: str) -> list[tuple[int, int]]:
    """Where the message tells of a time long past: each part of a sentence (to a comma, "and", or a word that turns
    to now) that names one ("I had some chest tightness last month", "when I was 20 I took an overdose"), but not
    "my dad had a heart attack years ago and he's grey and sweating", whose last part is of now."""
    text = message.lower()
    cuts = sorted({0, len(text), *(m.start() for m in _PAST_PART_END.finditer(text))})
    return [
        (start, end)
        for start, end in zip(cuts, cuts[1:], strict=False)
        if _long_past(text[start:end]) and not _RECENT.search(text[start:end])
    ]
