"""Rules that find action items, decisions and due dates in a meeting transcript.

Written for what Whisper really produces: punctuation and capitals may be missing,
sentences run into each other and names may be misheard by a letter. The rules prefer
precision to recall: a wrong task in someone's list costs more than a missed one.

Due dates are resolved against the meeting date:
- a weekday ("by Friday", "this Friday", "on Friday") is the next such day strictly after
  the meeting day; "next Friday" is the Friday of the calendar week (Monday to Sunday)
  after the meeting's week;
- "today", "tonight", "end of day" are the meeting day; "tomorrow" the day after;
- "end of the week", "this week" are the Friday of the meeting's week (the next Friday
  when the meeting is on a weekend); "next week" the Friday of the following week;
- "end of the month" its last day; "in two days", "within a week" count from the meeting;
- "by the 15th", "on the fifteenth" are the next 15th strictly after the meeting day;
  "June 15th", "the 15th of June" are in the meeting's year, or the next year when that
  date has passed.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Literal

from rapidfuzz import fuzz

from transcription.engines.base import ActionItem, Utterance
from transcription.engines.names import match_member, normalize_name

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MONTHS = (
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december",
)


# ---------------------------------------------------------------------------- text


def normalize_text(text: str) -> str:
    """Straight apostrophes and single spaces, so the patterns see one spelling."""
    return " ".join(text.replace("\u2019", "'").replace("\u2018", "'").split())


_SENTENCE_END_RE = re.compile(r"(?<=[.!?])\s+")
_ABBREVIATIONS = frozenset(
    {"mr.", "mrs.", "ms.", "dr.", "vs.", "etc.", "e.g.", "i.e.", "a.m.", "p.m."}
)


def split_sentences(text: str) -> list[str]:
    """Sentences of one utterance; a run-on without punctuation stays one sentence."""
    sentences: list[str] = []
    for piece in _SENTENCE_END_RE.split(normalize_text(text)):
        if sentences and sentences[-1].split()[-1].lower() in _ABBREVIATIONS:
            sentences[-1] += " " + piece
        elif piece:
            sentences.append(piece)
    return sentences


def _joined(
    utterances: Sequence[Utterance], goes_on: Callable[[str, str], bool], glue: Callable[[str], str] = str.rstrip
) -> list[Utterance]:
    """Each line joined to the same speaker's line before it when `goes_on(before, line)`, the
    line before as `glue` leaves it; a joined line keeps the first one's start and segment."""
    joined: list[Utterance] = []
    for utterance in utterances:
        last = joined[-1] if joined else None
        if last and last.speaker == utterance.speaker and goes_on(last.text.rstrip(), utterance.text.lstrip()):
            joined[-1] = replace(last, text=f"{glue(last.text)} {utterance.text.lstrip()}")
        else:
            joined.append(utterance)
    return joined


def _without_full_stop(text: str) -> str:
    text = text.rstrip()
    return text[:-1] if text.endswith(".") and text.split()[-1].lower() not in _ABBREVIATIONS else text


def whole_sentences(utterances: Sequence[Utterance]) -> list[Utterance]:
    """Lines with a sentence cut at a pause read whole: "Then I will keep seven days for
    staging," and "and open a ticket for production." are one line of Raj's, "I'll write the
    plan up and share it." and "today." one sentence. Whisper starts a sentence with a
    capital, so a line of the same speaker that starts in lower case goes on the sentence
    before, whatever stop the line before ends with (a question or an exclamation stays)."""
    return _joined(
        utterances, lambda before, line: not before.endswith(("!", "?")) and line[:1].islower(), _without_full_stop
    )


def speaker_turns(utterances: Sequence[Utterance]) -> list[Utterance]:
    """Each speaker's consecutive lines as one turn: "One question." and "Do we have any
    money for the rebrand?" are one, however the transcript cut them."""
    return _joined(utterances, lambda before, line: True)


# --------------------------------------------------------------------------- dates


def _ordinal_words() -> dict[str, int]:
    units = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth")
    teens = (
        "tenth", "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth",
        "seventeenth", "eighteenth", "nineteenth",
    )
    words = {word: day for day, word in enumerate(units, 1)}
    words |= {word: day for day, word in enumerate(teens, 10)}
    words |= {f"twenty {word}": 20 + day for day, word in enumerate(units, 1)}
    return words | {"twentieth": 20, "thirtieth": 30, "thirty first": 31}


_ORDINALS = _ordinal_words()
_COUNTS = {"a": 1, "an": 1, "a couple of": 2}
_NUMBERS = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
_COUNTS |= {word: count for count, word in enumerate(_NUMBERS, 1)}


def _alternation(words: Iterable[str]) -> str:
    # Longest first so "twenty first" wins over "first"; "twenty-first" is also written.
    return "|".join(w.replace(" ", r"[\s-]+") for w in sorted(words, key=len, reverse=True))


_WEEKDAY = _alternation(WEEKDAYS)
_MONTH = _alternation(MONTHS)
_DAY_ORDINAL = rf"(?:\d{{1,2}}(?:st|nd|rd|th)|{_alternation(_ORDINALS)})"
_DAY = rf"(?:{_DAY_ORDINAL}|\d{{1,2}})"
_CLOCK = r"(?:\d{1,2}(?::\d{2})?\s*(?:a\.?m\.?|p\.?m\.?)|noon|midday)"
# "5 pm on Friday", "Friday at noon": the time of day goes with the date.
_TIME_BEFORE = rf"(?:(?:at\s+)?{_CLOCK}\s+(?:on\s+)?)?"
_PART_OF_DAY = (
    rf"(?:\s+(?:morning|afternoon|evening|night|end\s+of\s+day|eod|(?:at\s+)?{_CLOCK}))?"
)
_PREPOSITION = r"(?:(?:by|before|on|until|till|due|for|no\s+later\s+than)\s+)?"


@dataclass(frozen=True)
class DuePhrase:
    """A due date and where its words ("by Friday") sit in the text."""

    due: date
    start: int
    end: int


_Resolver = Callable[[re.Match[str], date], "date | None"]
_DATE_RULES: list[tuple[re.Pattern[str], _Resolver]] = []


def _date_rule(pattern: str, prefix: str = _PREPOSITION) -> Callable[[_Resolver], _Resolver]:
    def register(resolve: _Resolver) -> _Resolver:
        _DATE_RULES.append((re.compile(rf"\b{prefix}{pattern}\b", re.IGNORECASE), resolve))
        return resolve

    return register


def _next_monday(day: date) -> date:
    return day + timedelta(days=7 - day.weekday())


def _day_number(text: str) -> int:
    digits = re.match(r"\d+", text)
    return int(digits[0]) if digits else _ORDINALS[re.sub(r"[\s-]+", " ", text.lower())]


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


@_date_rule(
    _TIME_BEFORE + r"(?:the\s+)?(?P<rel>day\s+after\s+tomorrow|tomorrow|today|tonight"
    r"|end\s+of\s+(?:the\s+)?day|eod|close\s+of\s+business|later\s+today|this\s+(?:morning|afternoon|evening)"
    r"|within\s+the\s+hour|(?:right\s+)?after\s+(?:this(?=\s*(?:[.,;!?]|$))|(?:this|the)\s+(?:meeting|call)))"
    + _PART_OF_DAY
)
def _relative_day(match: re.Match[str], meeting: date) -> date:
    relative = match["rel"].lower()
    if relative.startswith("day"):
        return meeting + timedelta(days=2)
    return meeting + timedelta(days=1) if relative == "tomorrow" else meeting


@_date_rule(
    r"(?:the\s+)?(?:end\s+of\s+(?:the\s+|this\s+)?week|this\s+week(?:end)?|the\s+weekend"
    r"|(?:end\s+of\s+)?(?P<next>next)\s+week)"
)
def _friday(match: re.Match[str], meeting: date) -> date:
    if match["next"]:
        return _next_monday(meeting) + timedelta(days=4)
    return meeting + timedelta(days=(4 - meeting.weekday()) % 7)


@_date_rule(r"(?:the\s+)?end\s+of\s+(?:the\s+|this\s+)?month")
def _month_end(match: re.Match[str], meeting: date) -> date:
    return meeting.replace(day=calendar.monthrange(meeting.year, meeting.month)[1])


@_date_rule(
    rf"(?:in|within)\s+(?:the\s+next\s+)?(?P<count>\d{{1,2}}|{_alternation(_COUNTS)})"
    r"\s+(?P<unit>days?|weeks?)"
)
def _in_days(match: re.Match[str], meeting: date) -> date:
    count = " ".join(match["count"].lower().split())
    days = int(count) if count.isdigit() else _COUNTS[count]
    return meeting + timedelta(days=days * (7 if match["unit"].lower().startswith("w") else 1))


@_date_rule(
    rf"{_TIME_BEFORE}(?:end\s+of\s+(?:the\s+)?day\s+(?:on\s+)?)?"
    r"(?:(?P<next>next)\s+|(?:this\s+)?coming\s+"
    rf"|this\s+)?(?P<weekday>{_WEEKDAY}){_PART_OF_DAY}"
)
def _weekday(match: re.Match[str], meeting: date) -> date:
    weekday = WEEKDAYS.index(match["weekday"].lower())
    if match["next"]:
        return _next_monday(meeting) + timedelta(days=weekday)
    return meeting + timedelta(days=(weekday - meeting.weekday()) % 7 or 7)


@_date_rule(
    rf"(?:the\s+)?(?:(?P<day1>{_DAY})\s+(?:of\s+)?(?P<month1>{_MONTH})"
    rf"|(?P<month2>{_MONTH})\s+(?:the\s+)?(?P<day2>{_DAY}))(?:,?\s+(?P<year>\d{{4}}))?"
)
def _month_day(match: re.Match[str], meeting: date) -> date | None:
    month = MONTHS.index((match["month1"] or match["month2"]).lower()) + 1
    day = _day_number(match["day1"] or match["day2"])
    if match["year"]:
        return _safe_date(int(match["year"]), month, day)
    due = _safe_date(meeting.year, month, day)
    return _safe_date(meeting.year + 1, month, day) if due and due < meeting else due


# "on the second floor" is not a date: a bare ordinal must end its clause.
@_date_rule(
    rf"the\s+(?P<day>{_DAY_ORDINAL})(?=\s*(?:[,.;:!?]|$)|\s+(?:and|so|then|please|or|if|because"
    r"|but|latest|at\s+the\s+latest|okay|ok|thanks|i|we|you)\b)",
    prefix=r"(?:(?:by|before|on|until|till|due)\s+)?",
)
def _ordinal_day(match: re.Match[str], meeting: date) -> date | None:
    day = _day_number(match["day"])
    year, month = meeting.year, meeting.month
    for _ in range(13):
        due = _safe_date(year, month, day)
        if due and due > meeting:
            return due
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return None


def _due_phrases(text: str, meeting_date: date) -> list[DuePhrase]:
    """Every date phrase in `text`, in order (the longest first when several start together)."""
    found = [
        DuePhrase(due, match.start(), match.end())
        for pattern, resolve in _DATE_RULES
        for match in pattern.finditer(text)
        if (due := resolve(match, meeting_date)) is not None
    ]
    return sorted(found, key=lambda phrase: (phrase.start, -phrase.end))


def find_due_date(text: str, meeting_date: date) -> DuePhrase | None:
    """The first date phrase in `text` (the longest when several start together)."""
    return next(iter(_due_phrases(text, meeting_date)), None)


_DEADLINE_RE = re.compile(r"(?:by|before|until|till|no\s+later\s+than|due)\b", re.IGNORECASE)


def find_deadline(text: str, meeting_date: date) -> DuePhrase | None:
    """The date a task is due: "book the training for Thursday by tomorrow" is due
    tomorrow, as "by", "before" or "until" say; without one, the first date."""
    phrases = _due_phrases(text, meeting_date)
    marked = (p for p in phrases if _DEADLINE_RE.match(text, p.start))
    return next(marked, next(iter(phrases), None))


def parse_due_date(text: str, meeting_date: date) -> date | None:
    phrase = find_due_date(normalize_text(text), meeting_date)
    return phrase.due if phrase else None


# --------------------------------------------------------------------------- names

# Words that stand where a name could ("It will", "So, please") but never name anyone.
_NOT_NAMES = frozenset(
    {
        "i", "you", "he", "she", "it", "we", "they", "me", "him", "her", "us", "them", "my",
        "your", "our", "their", "his", "its", "this", "that", "these", "those", "there",
        "here", "who", "what", "which", "where", "when", "why", "how", "whoever", "everyone",
        "everybody", "someone", "somebody", "anyone", "anybody", "nobody", "everything",
        "something", "anything", "nothing", "one", "all", "both", "each", "either", "neither",
        "some", "many", "most", "few", "several", "people", "folks", "guys", "team",
        "customers", "users", "clients", "things", "and", "so", "then", "now", "well", "okay",
        "ok", "right", "also", "but", "or", "alright", "yes", "yeah", "no", "maybe", "please",
        "thanks", "thank", "hi", "hello", "hey", "sure", "just", "actually", "really", "oh",
        "um", "uh", "hmm", "again", "too", "first", "next", "finally", "today", "tomorrow",
        "tonight", "the", "a", "an", "if", "time", "date", "release",
        # Adjectives that start a sentence before "to": "Nice to meet you", "Enough to replay".
        "nice", "good", "great", "glad", "happy", "enough", "hard", "easy", "fine", "better", "best",
    }
    | set(WEEKDAYS)
    | set(MONTHS)
)
# Words after which a new clause starts, so a capital there proves nothing.
_DISCOURSE = frozenset(
    {"and", "so", "then", "now", "well", "okay", "ok", "right", "also", "but", "alright", "yes"}
)


class NameResolver:
    """Says whether a word names a person, and which known person when it can."""

    def __init__(self, known: Iterable[str]) -> None:
        # One label per person: the e-mail local part "ines" and the display name "Ines"
        # would be two equally close people, and then nobody would be recognised.
        spellings: dict[str, str] = {}
        for label in (label.strip() for label in known if label and label.strip()):
            key = normalize_name(label)
            if key not in spellings or (label[0].isupper() and not spellings[key][0].isupper()):
                spellings[key] = label
        labels = set(spellings.values())
        self._aliases = {label: [label, label.split()[0]] for label in labels}
        self._exact = {
            alias.lower(): label for label, aliases in self._aliases.items() for alias in aliases
        }

    def known(self, word: str) -> str | None:
        """The known person `word` names, allowing one misheard letter."""
        if word.lower() in _NOT_NAMES:
            # A speaker called "Will" is named only by a capital and the exact spelling.
            return self._exact.get(word.lower()) if word[:1].isupper() else None
        return match_member(word, self._aliases)

    def resolve(self, word: str, *, unknown_ok: bool) -> str | None:
        """The person's name, or None. `unknown_ok` admits a name nobody spoke."""
        if known := self.known(word):
            return known
        if not unknown_ok or word.lower() in _NOT_NAMES or (len(word) > 1 and word.isupper()):
            return None  # "API will return ..." names a system, not a person
        return word[0].upper() + word[1:]


def _at_clause_start(text: str, position: int) -> bool:
    before = text[:position].rstrip()
    return not before or before[-1] in ",;:.!?-" or before.split()[-1].lower() in _DISCOURSE


# ------------------------------------------------------------------------ triggers

_NAME = r"[^\W\d_][\w-]*"
_NOT_NEGATED = r"(?!\s+(?:not|never)\b)"
_SELF_RE = re.compile(
    r"\b(?:i(?:\s+will|'ll|\s+shall|\s+am\s+going\s+to|'m\s+going\s+to|'m\s+gonna|\s+am\s+gonna"
    r")|let\s+me)\b" + _NOT_NEGATED,
    re.IGNORECASE,
)
_NAMED_RE = re.compile(
    rf"\b(?P<name>{_NAME})(?:'ll|\s+will|\s+is\s+going\s+to|'s\s+going\s+to|\s+is\s+gonna"
    r"|\s+(?:has\s+)?agreed\s+to)\b(?!\s+(?:not|never|you|we|i|they)\b)",
    re.IGNORECASE,
)
# "Hannah and Oliver to finish ..." (at a clause start), "let's have Yuki do ...".
_ASSIGNED_RE = re.compile(
    rf"(?:^|[,;:]\s*)(?:(?P<first>{_NAME})\s+and\s+)?(?P<name>{_NAME})\s+to\s+(?=[a-z])"
    rf"|\blet's\s+have\s+(?P<had>{_NAME})\s+",
    re.IGNORECASE,
)
_ASK = (
    r"(?:please|(?:can|could|would|will)\s+you(?:\s+please)?|you(?:'ll|\s+will|\s+need\s+to"
    r"|\s+have\s+to)|i(?:\s+need|\s+want|\s+would\s+like|'d\s+like)\s+you\s+to)"
)
_NOT_FORBIDDEN = r"(?!\s+(?:don't|do\s+not|not|never)\b)"
_VOCATIVE_RE = re.compile(
    rf"\b(?:(?P<first>{_NAME})\s+and\s+)?(?P<name>{_NAME})\s*,?\s+{_ASK}\b{_NOT_FORBIDDEN}", re.IGNORECASE
)
_ASK_RE = re.compile(rf"\b{_ASK}\b{_NOT_FORBIDDEN}", re.IGNORECASE)
# "Ines, send me the notes": someone addressed at a clause start, then an order.
_ADDRESSED_RE = re.compile(
    rf"(?:^|[,;:]\s*|\b(?i:and|so|then|okay|ok)\s+)(?P<name>{_NAME})\s*,\s+(?P<verb>[a-z]+)\b"
)
# Verbs that open an order (a name then "which one would you pick?" is no order); the
# common ones of meetings, so "Ravi, good point" or "Noah, thanks" stay what they are.
_ORDER_VERBS = frozenset(
    {
        "send", "write", "talk", "make", "check", "ask", "call", "fix", "update", "book",
        "prepare", "review", "share", "set", "schedule", "draft", "create", "add", "test",
        "file", "look", "find", "follow", "reach", "email", "ping", "contact", "organize",
        "organise", "plan", "put", "move", "run", "start", "finish", "clean", "get", "bring",
        "tell", "invite", "order", "confirm", "submit", "publish", "post", "upload", "remove",
        "close", "merge", "deploy", "build", "sketch", "present", "list", "reply", "brief",
        "help", "sort", "arrange", "collect", "investigate", "document",
    }
)

# "I can call them this week", "I can be on standby": an offer of work, not an ability ("I
# can log in", "I can do 6%"), so only before a verb that opens a task.
_OFFER_RE = re.compile(
    rf"\bi\s+can\s+(?:also\s+)?(?=(?:{_alternation(_ORDER_VERBS)})\b|be\s+on\s+(?:standby|call|duty)\b)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class _Trigger:
    """Words that introduce a task: "I will", "Evan will", "David, please", "can you"."""

    start: int
    end: int
    kind: Literal["self", "named", "request"]
    owner: str | None = None
    offer: bool = False  # "I can call them": the speaker's, less sure than "I will"


def _named_triggers(sentence: str, names: NameResolver) -> Iterable[_Trigger]:
    for match in _NAMED_RE.finditer(sentence):
        word = match["name"]
        # Whisper capitalises names, and every sentence start: there, "Customers will"
        # is more likely a plural noun than a person.
        plural = _at_clause_start(sentence, match.start()) and word.lower().endswith("s")
        if owner := names.resolve(word, unknown_ok=word[0].isupper() and not plural):
            yield _Trigger(match.start(), match.end(), "named", owner)


# Verbs an instruction starts with before "to": "Go to apps, Trackly, and set location" names nobody.
_VERBS_BEFORE_TO = frozenset(
    {"go", "come", "get", "talk", "listen", "speak", "reply", "move", "switch", "turn", "return", "head", "walk",
     "scroll", "write", "send", "point", "need", "have", "want", "agree"}
)


def _assigned_triggers(sentence: str, names: NameResolver) -> Iterable[_Trigger]:
    for match in _ASSIGNED_RE.finditer(sentence):
        for word in (match["first"], match["name"] or match["had"]):
            # Someone not in the meeting may be given a task, when named with a capital.
            unknown_ok = word is not None and word[0].isupper() and word.lower() not in _VERBS_BEFORE_TO
            if word and (owner := names.resolve(word, unknown_ok=unknown_ok)):
                yield _Trigger(match.start(), match.end(), "named", owner)


def _vocative_triggers(sentence: str, names: NameResolver) -> Iterable[_Trigger]:
    for match in _VOCATIVE_RE.finditer(sentence):
        word = match["name"]
        unknown_ok = word[0].isupper() or _at_clause_start(sentence, match.start())
        if owner := names.resolve(word, unknown_ok=unknown_ok):
            # "Jin and Amara, please ...": both are asked, when both are people we know.
            both = match["first"] and names.known(match["first"])
            if both:
                yield _Trigger(match.start(), match.end(), "request", both)
            yield _Trigger(match.start() if both else match.start("name"), match.end(), "request", owner)


def _addressed_triggers(sentence: str, names: NameResolver) -> Iterable[_Trigger]:
    for match in _ADDRESSED_RE.finditer(sentence):
        # Only someone known: a capital after "and" is too often a place or a product.
        if match["verb"] in _ORDER_VERBS and (owner := names.known(match["name"])):
            yield _Trigger(match.start("name"), match.start("verb"), "request", owner)


def _triggers(sentence: str, names: NameResolver) -> list[_Trigger]:
    found = [_Trigger(m.start(), m.end(), "self") for m in _SELF_RE.finditer(sentence)]
    found += [_Trigger(m.start(), m.end(), "self", offer=True) for m in _OFFER_RE.finditer(sentence)]
    found += _named_triggers(sentence, names)
    found += _assigned_triggers(sentence, names)
    found += _vocative_triggers(sentence, names)
    found += _addressed_triggers(sentence, names)
    found += [_Trigger(m.start(), m.end(), "request") for m in _ASK_RE.finditer(sentence)]
    kept: list[_Trigger] = []
    # "David, can you" and "can you" overlap: the earlier, longer one names the owner.
    # "Jin and Amara, please" is one span naming two owners: a task each.
    for trigger in sorted(found, key=lambda t: (t.start, -t.end)):
        last = kept[-1] if kept else None
        another_owner = last is not None and (trigger.start, trigger.end) == (last.start, last.end) and (
            trigger.owner not in (None, last.owner)
        )
        if last is None or trigger.start >= last.end or another_owner:
            kept.append(trigger)
    return kept


# -------------------------------------------------------------------------- titles

# Where the task's clause ends: a reason, a condition, a new thought.
_BREAK_RE = re.compile(
    # "ask if we may contact him": after these verbs, "if" says what, not when.
    r";|:\s|,\s*if\b|(?<!\bask)(?<!\bcheck)(?<!\bsee)(?<!\bknow)(?<!\bconfirm)(?<!\bfind\sout)(?<!\bverify)"
    r"\s+if\s+(?=(?:i|we|you|possible|needed|necessary)\b)"
    r"|,?\s+\b(?:because|since|so\s+that|so\s+we|so\s+i|but|although|though|unless|otherwise"
    r"|and\s+then|and\s+we|and\s+i|thanks|thank\s+you|okay|ok|alright|anyway)\b"
    # "let me ask, I'm talking to Jordan anyway": a comma, then a new subject and its verb.
    r"|,\s+(?:i'm|we're|they're|it's|that's|there's|he's|she's|(?:he|she|it|they)\s+(?!and\b|or\b)\w+)\b",
    re.IGNORECASE,
)
# After a due date, these words still belong to the task ("by Friday to the client").
_CONTINUES_RE = re.compile(
    r"[\s,]*(?:to|for|with|without|using|including|from|about|into|via|whether|what|how|which|who)\b",
    re.IGNORECASE,
)
_TRAILING_NAME_RE = re.compile(rf"(?P<comma>,)?\s*\b(?P<name>{_NAME})[\s.!?]*$")
# A name after these is the task's object ("email Carol"), not the person asked.
_TAKES_PERSON = frozenset(
    {
        "to", "for", "with", "from", "about", "into", "via", "by", "on", "at", "and", "or", "cc",
        "tell", "ask", "call", "email", "ping", "remind", "thank", "meet", "invite", "message",
        "text", "show", "send", "update", "help", "pay",
    }
)
_LEADING_RE = re.compile(
    r"^(?:[\s,]*\b(?:please|also|just|then|definitely|quickly|actually|probably|really|first"
    r"|still|go\s+ahead\s+and|make\s+sure\s+(?:to|you)|be\s+sure\s+to|remember\s+to"
    r"|try\s+(?:to|and)|need\s+to|have\s+to)\b)+[\s,]*",
    re.IGNORECASE,
)
_TRAILING_RE = re.compile(
    r"(?:[\s,.;:!?-]+|\b(?:please|thanks|thank\s+you|okay|ok|right|then|too|as\s+well|and|so"
    r"|or|alright|later|soon|asap|right\s+away|instead)\b)+$",
    re.IGNORECASE,
)
# "may" and "march" are more often verbs than months.
_PROPER_RE = re.compile(
    rf"\b(?:{_WEEKDAY}|{_alternation(m for m in MONTHS if m not in ('may', 'march'))})\b",
    re.IGNORECASE,
)
_FILLER_WORDS = frozenset(
    {
        "it", "that", "this", "them", "those", "these", "one", "so", "too", "there", "a", "an",
        "the", "some",
    }
)
_GENERIC_WORDS = _FILLER_WORDS | frozenset(
    {
        "do", "handle", "take", "care", "of", "look", "into", "sort", "out", "deal", "with", "get",
        "on", "check", "try", "work", "done", "now", "later", "soon", "asap", "right", "away",
        "you", "me", "us", "let", "know", "keep", "posted", "updated", "think", "about", "have",
        "ready", "find",
    }
)
_NOT_TASK_VERBS = frozenset(
    {
        "be", "hear", "see", "say", "repeat", "hold", "wait", "imagine", "believe", "understand",
        "mute", "unmute", "continue", "note",
    }
)

# Running the meeting, not work to track: "I'm going to share my screen".
_CHATTER_RE = re.compile(
    r"\b(?:share|sharing)\s+(?:my|the|your)\s+screen\b|^(?:start|begin|end|wrap\s+up)\s+"
    r"(?:the\s+|this\s+)?(?:meeting|call)\b|^(?:hand|pass)\s+(?:it\s+)?over\b|^talk\s+to\s+you\b|^go\s+ahead\b"
    # Asked of someone in the meeting, for the meeting: "walk us through", "tell us why".
    r"|^(?:walk|take)\s+us\s+through\b|^(?:tell|give|show)\s+us\b|^introduce\s+yourself\b"
    # The order of the meeting: "Marco, can you start with release four?"
    r"|^(?:start|begin|kick\s+off)\s+with\b",
    re.IGNORECASE,
)


def clean_title(text: str) -> str:
    """A task or decision as a phrase: no filler, no trailing punctuation, days capitalised."""
    title = _TRAILING_RE.sub("", _LEADING_RE.sub("", normalize_text(text).lstrip(" ,;:-")))
    title = _PROPER_RE.sub(lambda m: m[0].capitalize(), title)
    return re.sub(r"\bi\b", "I", title)


# What someone needs or has, not what they will do: "I'll need Wei for one of them", "would
# you have time for a call?" ("I'll need to ask" and "have the draft ready" are tasks).
_NEED_RE = re.compile(r"^(?:need|want)\b(?!\s+to\b)|^have\s+(?:the\s+|some\s+)?time\b", re.IGNORECASE)
# "I'll be there" is nothing to track, but "I can be on standby until 11" is a duty taken.
_ON_DUTY_RE = re.compile(r"^be\s+on\s+(?:standby|call|duty)\b", re.IGNORECASE)


def _is_task(title: str) -> bool:
    """False for "be there", "see", "do it", "look into that", "need the data": nothing to track."""
    words = [word.lower().strip(",.!?") for word in title.split()]
    # A task starts with what to do: "that would help" and "it takes a day" are not one.
    if _ON_DUTY_RE.match(title):
        return True
    if not words or words[0] in _NOT_TASK_VERBS | _FILLER_WORDS or _CHATTER_RE.search(title) or _NEED_RE.search(title):
        return False
    specific = sum(word not in _FILLER_WORDS for word in words)
    return specific >= 2 and any(word not in _GENERIC_WORDS for word in words)


def _strip_trailing_vocative(clause: str, names: NameResolver) -> tuple[str, str | None]:
    """Split off an addressee at the end: "fix the login error, David"."""
    match = _TRAILING_NAME_RE.search(clause)
    before = clause[: match.start()].split() if match else []
    if not match or not before or before[-1].lower() in _TAKES_PERSON:
        return clause, None
    name = match["name"]
    owner = names.resolve(name, unknown_ok=bool(match["comma"]) and name[0].isupper())
    return (clause[: match.start()], owner) if owner else (clause, None)


@dataclass(frozen=True)
class _Context:
    names: NameResolver
    meeting_date: date
    default_speaker: str | None


def _task(span: str, context: _Context) -> tuple[str, str | None, date | None]:
    """The title, a trailing addressee and the due date in the words after a trigger."""
    cut = _BREAK_RE.search(span)
    clause, addressee = _strip_trailing_vocative(
        span[: cut.start()] if cut else span, context.names
    )
    phrase = find_deadline(clause, context.meeting_date)
    if phrase is None:
        return clean_title(clause), addressee, None
    if clause[phrase.start :].lower().startswith("for "):
        # "send an invite for Thursday at 10": the date may be what the thing is for, so the
        # title keeps it; it is also the latest the task can be done.
        return clean_title(clause), addressee, phrase.due
    rest = clause[phrase.end :]
    # In a run-on sentence a new thought follows the date; "to the client" does not.
    kept = clause[: phrase.start].rstrip() + (rest if _CONTINUES_RE.match(rest) else "")
    return clean_title(kept), addressee, phrase.due


# ------------------------------------------------------------------------- replies

_ACCEPT_RE = re.compile(
    r"\W*(?:sure|yes|yeah|yep|yup|ok|okay|of\s+course|absolutely|definitely|will\s+do"
    r"|no\s+problem|no\s+worries|on\s+it|sounds\s+good|got\s+it|happy\s+to|i\s+can(?!')"
    r"|i\s+will(?!\s+not)|i'll)\b",
    re.IGNORECASE,
)
_REFUSE_RE = re.compile(
    r"\W*(?:no|nope|sorry|unfortunately|not|i\s+can't|i\s+cannot|i\s+can\s+not|i\s+won't"
    r"|i\s+will\s+not|i\s+don't\s+think)\b",
    re.IGNORECASE,
)


def _reply(utterances: Sequence[Utterance], index: int) -> Utterance | None:
    """The next utterance when another (known) speaker says it: the answer to a request."""
    if index + 1 >= len(utterances):
        return None
    current, following = utterances[index], utterances[index + 1]
    if not current.speaker or not following.speaker or current.speaker == following.speaker:
        return None
    return following


def _settle_request(
    item: ActionItem, reply: Utterance | None, meeting_date: date, names: NameResolver
) -> ActionItem | None:
    """Keep a request unless it was turned down; an unnamed one needs a taker or a date.

    A request answered "sure" is as clear as a promise; one left unanswered may have been
    taken back or meant for later, and one nobody was named for is a guess. A deadline the
    answer sets is the due date ("this week?" answered "I'll have it done by Wednesday");
    a day the answer only plans for ("I'll do it tomorrow") is, when the request set none.
    A name nobody in the meeting or the workspace has, answered "yes" by another speaker,
    was misheard: "Man, can you update the synonym list?" is for whoever said yes.
    """
    text = normalize_text(reply.text) if reply else ""
    stance = "accept" if _ACCEPT_RE.match(text) else "refuse" if _REFUSE_RE.match(text) else None
    if stance == "accept" and reply is not None:
        if reply.speaker == item.owner_name or not item.owner_name:  # the one asked said yes
            item = replace(item, confidence=_ANSWERED)
        said = find_deadline(text, meeting_date)
        if said and (item.due_date is None or _DEADLINE_RE.match(text, said.start)):
            item = replace(item, due_date=said.due)
    if item.owner_name:
        if stance == "accept" and reply is not None and names.known(item.owner_name) is None:
            return replace(item, owner_name=reply.speaker, confidence=_ANSWERED)
        refused = stance == "refuse" and reply is not None and reply.speaker == item.owner_name
        return None if refused else item
    if stance == "accept" and reply is not None:
        return replace(item, owner_name=reply.speaker)
    return replace(item, confidence=_UNCLAIMED) if stance is None and item.due_date else None


# How sure each way of saying a task is (ActionItem.confidence): a promise by the one who
# speaks and a request answered "sure" are clear; a person named by someone else, a
# request left unanswered and an owner guessed (the uploader, a name nobody spoke) are not.
_ANSWERED = 0.9
_PROMISED = 0.9
_OFFERED = 0.6
_NAMED = 0.8
_ASKED = 0.6
_GUESSED_OWNER = 0.5
_UNCLAIMED = 0.4


# A task is something done: "I will have time for questions", "I'll need the data" state
# how things are and are only suggested.
_STATIVE_RE = re.compile(r"(?:have|has|need|needs|know|think|want|like|be|feel|see|hope)\b", re.IGNORECASE)
_STATED = 0.4


def _confidence(
    trigger: _Trigger, title: str, owner: str | None, speaker: str | None, context: _Context
) -> float:
    if _STATIVE_RE.match(title):
        return _STATED
    if trigger.kind == "self":
        return _GUESSED_OWNER if not speaker else _OFFERED if trigger.offer else _PROMISED
    if owner is None or context.names.known(owner) is None:
        return _GUESSED_OWNER
    return _NAMED if trigger.kind == "named" else _ASKED


# ------------------------------------------------------------------------- extract


def _resolver(
    utterances: Sequence[Utterance], default_speaker: str | None, known_names: Iterable[str]
) -> NameResolver:
    speakers = [u.speaker for u in utterances if u.speaker]
    return NameResolver([*known_names, *speakers, *([default_speaker] if default_speaker else [])])


def _owner(
    trigger: _Trigger, addressee: str | None, speaker: str | None, context: _Context
) -> str | None:
    """The person named; for "I will ..." the speaker, or the uploader when nobody is."""
    if trigger.kind == "self":
        return speaker or context.default_speaker
    return trigger.owner or addressee


def _name_people(title: str, trigger: _Trigger, speaker: str | None, listener: str | None) -> str:
    """A title that reads on its own: "send me the deck", asked by Alice, is "send Alice the
    deck"; "I'll send you the link", answering Bob, is "send Bob the link"."""
    if trigger.kind != "self" and speaker:
        return re.sub(r"\bme\b", speaker, title)
    if trigger.kind == "self" and listener:
        return re.sub(r"\byou\b(?!\s+(?:all|both|guys|two|three)\b)", listener, title)
    return title


# What "it" or "them" stands for, stated in the sentence before in the same turn: "They want
# dark mode. I'll move it to the product board." (a comma inside "50,000" does not end it).
_PHRASE = r"(?P<thing>(?:[^,;:.!?]|[,.](?=\d))+)"
_STATED_THING_RE = re.compile(
    r"\b(?:there's|there\s+is|that's|that\s+is|it's|it\s+is|(?:i|we|they)\s+(?:have|want|need))\s+"
    rf"(?:just\s+|only\s+|still\s+|also\s+)?{_PHRASE}",
    re.IGNORECASE,
)
# What "I'll do that" or "I'll take that" stands for: a suggestion just before, "We should
# test the migration time", "Somebody should tell the events team."
_SUGGESTED_RE = re.compile(
    rf"\b(?:we|you|someone|somebody)\s+(?:should|could|need\s+to|have\s+to|must)\s+{_PHRASE}",
    re.IGNORECASE,
)
# What "would you run that?" stands for: a thing someone just said they want, "I'd also like
# a load test before we decide" (not "I'd like to ...": that is a wish, not a thing).
_WANTED_RE = re.compile(
    rf"\b(?:i|we)(?:'d|\s+would)\s+(?:also\s+|really\s+)?(?:like|love|want|prefer)\s+(?!to\b){_PHRASE}",
    re.IGNORECASE,
)
_DO_THAT_RE = re.compile(r"(?:do|take)\s+(?:that|it|this)(?:\s+on)?\b", re.IGNORECASE)
_VERB_IT_RE = re.compile(r"(?P<verb>[a-z]+)\s+(?P<it>it|them|that|this)\b", re.IGNORECASE)


def _a_thing(said: re.Match[str] | None) -> str | None:
    """The thing a pronoun stands for, when it is one ("that would help" names nothing)."""
    thing = clean_title(said["thing"]) if said else ""
    if not thing or thing.split()[0].lower() in (_FILLER_WORDS | _NOT_NAMES) - {"a", "an", "the", "some"}:
        return None
    return thing


def _resolve_pronoun(title: str, before: str, same_turn: bool) -> str:
    """ "I'll do that" after "we should test the migration" is "test the migration"; "I'll
    share it" after "I have a set of queries" is "share a set of queries"; "would you run
    that?" after "I'd like a load test" is "run a load test"."""
    if not before or before.endswith("?"):
        return title
    suggested = list(_SUGGESTED_RE.finditer(before))
    if (do := _DO_THAT_RE.match(title)) and suggested:
        return clean_title(suggested[-1]["thing"]) + title[do.end() :]
    if not (it := _VERB_IT_RE.match(title)):
        return title
    stated = same_turn and it["it"].lower() in ("it", "them") and _a_thing(_STATED_THING_RE.search(before))
    thing = stated or _a_thing(_WANTED_RE.search(before))
    return f"{it['verb']} {thing}{title[it.end() :]}" if thing else title


# "I'll ask marketing" or "let me check" answers a question: what to ask is the question.
_ASK_ABOUT_RE = re.compile(r"^(?P<verb>ask|check|find\s+out|confirm)(?P<who>(?:\s+[\w'-]+){0,2})$", re.IGNORECASE)
_PRONOUNS = r"(?:i|we|you|they|it|he|she|there|this|that)"
_INVERTED_RE = re.compile(
    r"^(?P<wh>(?:what|when|where|who|which|how|why)(?:\s+\w+)??\s+)?(?:(?:do|does|did)\s+(?P<subject>.+)"
    rf"|(?P<aux>is|are|was|were|can|could|will|would|should|has|have)\s+(?P<pronoun>{_PRONOUNS})\s+(?P<rest>.+))$",
    re.IGNORECASE,
)
# "And Victor, can your team …": the words before the question itself.
_OPENING_RE = re.compile(
    rf"^(?:(?:and|so|but|or|okay|ok|also|then|one\s+more\s+thing),?\s+|{_NAME},\s+(?=(?:can|could|will|would|do|does"
    r"|did|is|are|have|has|should|what|when|where|who|which|how|why)\b))+",
    re.IGNORECASE,
)


# "can your IT team push that setting centrally": a modal, then a subject that is a noun
# phrase, then a verb. The subject is the shortest "determiner + words" after which one word
# (the verb) is followed by what a verb takes (an object, a preposition); without that
# ("should the migration run overnight") the order is not guessed.
_DETERMINERS = r"(?:the|your|our|their|his|her|my|this|that|these|those)"
_NOUN_SUBJECT_RE = re.compile(
    rf"^(?P<wh>(?:what|when|where|who|which|how|why)(?:\s+\w+)??\s+)?(?P<aux>can|could|will|would|should)\s+"
    rf"(?P<subject>{_DETERMINERS}\s+(?:(?!(?:be|have|not)\b)[\w'-]+\s+){{0,2}}?[\w'-]+)\s+"
    r"(?P<verb>(?!(?:to|by|on|in|at|for|with|from|of|and|or)\b)[a-z]+)"
    rf"(?P<rest>\s+(?:{_DETERMINERS}|a|an|it|them|us|me|him|to|by|on|in|at|for|with|before|after|from|up|out)\b.*"
    r"|(?<=\sbe)\s+.+)$",
    re.IGNORECASE,
)


def _the_question(question: str) -> str:
    """ "Do we send the notes tonight?" -> "whether we send the notes tonight"; "Can your
    team push it?", put to the one who will ask, -> "whether the team can push it"; a
    question whose words cannot be put back in order stays a question after a colon."""
    asked = _OPENING_RE.sub("", normalize_text(question).rstrip("?").strip())
    if noun := _NOUN_SUBJECT_RE.match(asked):
        # "your" was the asker's word for the answerer's: the title is the answerer's task.
        subject = re.sub(r"^your\b", "the", noun["subject"], flags=re.IGNORECASE)
        lead = noun["wh"] or "whether "
        return f" {lead}{subject} {noun['aux'].lower()} {noun['verb']}{noun['rest']}"
    match = _INVERTED_RE.match(asked)
    if match is None:
        return f": {asked}?"
    lead = match["wh"] or "whether "
    if match["subject"]:
        return f" {lead}{match['subject']}"
    return f" {lead}{match['pronoun']} {match['aux'].lower()} {match['rest']}"


def _ask_about(title: str, asked: str | None) -> str:
    """ "ask marketing", answering "Do we send the notes tonight?", is "ask marketing whether
    we send the notes tonight"."""
    if not asked or not (match := _ASK_ABOUT_RE.match(title)) or re.search(r"self\b", match["who"]):
        return title
    if match["who"] and match["verb"].lower() != "ask":
        return title  # "check the logs" says what to check already
    return f"{match['verb']}{match['who']}{_the_question(asked)}"


def _last_question(text: str) -> str | None:
    """The question a turn asks last, unless it asks someone to do something or checks in."""
    questions = [s for s in split_sentences(text) if s.endswith("?")]
    question = _OPENING_RE.sub("", questions[-1]) if questions else ""
    if len(question.split()) < 3 or _ASK_RE.match(question) or _CHECK_IN_RE.search(question):
        return None
    return questions[-1]


# "Send the guide" when "a short guide with screenshots" was said a moment ago: the title
# says which guide. Words that end a noun phrase, and nouns too vague to spell out.
_NOT_IN_NOUN = frozenset(
    {
        "for", "of", "with", "about", "on", "from", "to", "in", "at", "by", "and", "or", "that",
        "which", "who", "this", "these", "those", "it", "them", "today", "tomorrow", "tonight",
        "first", "next", "before", "after", "until", "when", "if", "as", "so", "into", "within",
        *WEEKDAYS,
    }
)
_MODIFIES = frozenset({"for", "of", "with", "about", "on", "from", "that", "which"})
_VAGUE_NOUNS = frozenset({"end", "rest", "one", "ones", "thing", "things", "way", "time", "week", "day", "same"})
_MODIFIER = (
    r"(?P<post>(?:for|of|with|about|on|from|by|that|which)\s+[^,;:.!?]+"
    r"(?:,\s*(?:what|how|which|who|where|when)\b[^,;:.!?]+)?)"
)
_DETERMINER = r"(?:a|an|the|one|our|your|their|some)"
MAX_SPELLED_OUT_WORDS = 12


def _spell_out(title: str, recent: str) -> str:
    """ "add the cart limit", after "a hard limit of 500 items per cart", is "add the hard
    limit of 500 items per cart": a short "the …" takes what was said of it just before."""
    words = title.split()
    for index, word in enumerate(words):
        if word.lower() != "the":
            continue
        noun: list[str] = []  # up to three words after "the", to a comma or a word that ends a noun
        for following in words[index + 1 : index + 4]:
            bare = following.rstrip(",;:")
            if not re.fullmatch(r"[\w-]+", bare) or bare.lower() in _NOT_IN_NOUN:
                break
            noun.append(bare)
            if bare != following:
                break
        end = index + 1 + len(noun)
        if not noun or noun[-1].lower() in _VAGUE_NOUNS or words[end - 1] != noun[-1]:
            continue  # "the end", or "the test data," in a list: which one is clear enough
        if end < len(words) and words[end].lower() in _MODIFIES:
            continue  # "the guide for drivers" already says which
        head = re.escape(noun[-1])
        said = list(re.finditer(
            rf"\b{_DETERMINER}\s+(?P<pre>(?:(?!{_DETERMINER}\b)[\w%$'-]+\s+){{0,3}}?){head}s?\s+{_MODIFIER}",
            recent, re.IGNORECASE,
        ))
        if not said:
            continue
        post = said[-1]["post"]
        if cut := _BREAK_RE.search(post):
            post = post[: cut.start()]
        known = f"{said[-1]['pre']} {post}".lower().split()
        spelled = [*said[-1]["pre"].split(), *(w for w in noun[:-1] if w.lower() not in known), noun[-1], *post.split()]
        if len(post.split()) < 2 or len(spelled) > MAX_SPELLED_OUT_WORDS:
            continue
        return " ".join([*words[: index + 1], *spelled, *words[end:]])
    return title


def _respective(title: str, trigger: _Trigger, triggers: Sequence[_Trigger]) -> str:
    """ "Pablo and Arjun, please update the runbook and add the panel": one task each, in order."""
    pair = [t for t in triggers if (t.start, t.end) == (trigger.start, trigger.end)]
    parts = re.split(r",?\s+and\s+", title)
    if len(pair) != 2 or len(parts) != 2 or not all(
        len(part.split()) >= 2 and part.split()[0].lower() in _ORDER_VERBS for part in parts
    ):
        return title
    return parts[pair.index(trigger)]


# "I'll assign the template to you": the task is the other person's from now on.
_ASSIGN_AWAY_RE = re.compile(rf"^assign\s+(?P<what>.+?)\s+to\s+(?P<who>{_NAME})$", re.IGNORECASE)
_OPENING_NAME_RE = re.compile(rf"^(?P<name>{_NAME})\s*,")


def _assigned_away(
    title: str, sentence: str, listener: str | None, names: NameResolver
) -> tuple[str, str] | None:
    """("take on the template", "Megan") for "Megan, I'll assign the template to you": "you"
    is the person addressed at the start, else the one who spoke before."""
    match = _ASSIGN_AWAY_RE.match(title)
    if match is None:
        return None
    who = match["who"]
    if who.lower() == "you":
        opening = _OPENING_NAME_RE.match(sentence)
        owner = (names.known(opening["name"]) if opening else None) or listener
    else:
        owner = names.resolve(who, unknown_ok=who[0].isupper())
    return (f"take on {match['what']}", owner) if owner else None


@dataclass(frozen=True)
class _Said:
    """What a sentence's task may point back to: the sentence or turn just before (and
    whether it is this turn's), the question another speaker just asked, and the last few
    turns."""

    before: str = ""
    same_turn: bool = False
    asked: str | None = None
    recent: str = ""


def _sentence_items(
    sentence: str, utterance: Utterance, reply: Utterance | None, context: _Context,
    listener: str | None = None, said: _Said = _Said(),
) -> Iterable[ActionItem]:
    triggers = _triggers(sentence, context.names)
    for trigger in triggers:
        if trigger.kind != "request" and sentence.endswith("?"):
            continue  # "David will fix it?" asks; it does not promise
        following = min((t.start for t in triggers if t.start >= trigger.end), default=len(sentence))
        title, addressee, due = _task(sentence[trigger.end : following], context)
        title = _respective(title, trigger, triggers)
        title = _ask_about(title, said.asked)
        title = _spell_out(_resolve_pronoun(title, said.before, said.same_turn), said.recent)
        if not _is_task(title):
            continue
        if due is None:  # "By Friday, I will ..." puts the date first
            previous = max((t.end for t in triggers if t.end <= trigger.start), default=0)
            due = parse_due_date(sentence[previous : trigger.start], context.meeting_date)
        owner = _owner(trigger, addressee, utterance.speaker, context)
        if trigger.kind == "named" and _STATIVE_RE.match(title) and context.names.known(owner or "") is None:
            continue  # "Microsoft will have decent APIs": what a company or a product will be
        if trigger.kind == "self" and (assigned := _assigned_away(title, sentence, listener, context.names)):
            title, owner = assigned
        title = _name_people(title, trigger, utterance.speaker, listener)
        confidence = _confidence(trigger, title, owner, utterance.speaker, context)
        item = ActionItem(title, owner, due, utterance.segment_id, confidence)
        settled: ActionItem | None = item
        if trigger.kind == "request":
            settled = _settle_request(item, reply, context.meeting_date, context.names)
        if settled is not None:
            yield settled


def _same_task(a: ActionItem, b: ActionItem) -> bool:
    return a.owner_name == b.owner_name and fuzz.token_set_ratio(a.title, b.title) >= 90


def _merge_duplicates(items: Iterable[ActionItem]) -> list[ActionItem]:
    """One item per task: "David, please fix X" then David's "I will fix X by Thursday"."""
    merged: list[ActionItem] = []
    for item in items:
        twin = next((i for i, kept in enumerate(merged) if _same_task(kept, item)), None)
        if twin is None:
            merged.append(item)
        else:
            # Said twice ("David, please fix X", then David: "I will fix X by Thursday"):
            # as sure as the surer saying, with the date either gave.
            merged[twin] = replace(
                merged[twin],
                due_date=merged[twin].due_date or item.due_date,
                confidence=max(merged[twin].confidence, item.confidence),
            )
    return merged


RECENT_TURNS = 4  # how far back "the guide" may have been said in full

# Taken back a moment later: "Forget the slides, the report is enough." An order of its own
# ("Arjun, please drop the old index") has a trigger and is a task, not this.
_CANCEL_RE = re.compile(
    r"(?:^|[,;:]\s*)(?:(?:okay|ok|then|so|actually|right|no),?\s+)*(?:let's\s+)?"
    r"(?:forget(?:\s+about)?|never\s+mind(?:\s+about)?|scratch|skip|cancel|no\s+need\s+for)"
    r"\s+(?:the|that|those|these|our)\s+(?P<thing>[\w'-]+(?:\s+[\w'-]+){0,3}?)\s*(?=[,.;!?]|$)",
    re.IGNORECASE,
)
# Given to someone else a moment later: "Actually, Eva, … better if you write to him",
# "Carol should do it instead", "Actually, I'll take that".
_CHANGE_RE = re.compile(r"\b(?:actually|instead|rather|better\s+if)\b", re.IGNORECASE)
_TAKING_VERBS = _ORDER_VERBS | {"do", "take", "handle", "own"}  # "you're right", "Eva will be away": no
_MODAL = r"(?:'ll|\s+(?:will|should|can|could|might|would))"
_HANDED_TO_RE = re.compile(
    rf"(?:^|[,;:]\s*)(?:(?:actually|okay|ok|so|then|no),?\s+)?(?P<name>{_NAME})\s*,", re.IGNORECASE
)
_YOU_DO_RE = re.compile(rf"\byou(?:{_MODAL})?\s+(?P<verb>[a-z]+)", re.IGNORECASE)
_NAMED_TAKER_RE = re.compile(
    rf"\b(?P<name>{_NAME})(?:{_MODAL}\s+(?P<verb>[a-z]+)|\s+(?:does|takes|handles)\s+(?:it|that|this)\b)",
    re.IGNORECASE,
)
_SELF_TAKER_RE = re.compile(
    r"\b(?:i(?:'ll|\s+will|\s+can)|let\s+me)\s+(?:do|take|handle)\s+(?:it|that|this)\b", re.IGNORECASE
)


def _cancelled(items: list[tuple[int, ActionItem]], sentence: str, turn: int) -> list[tuple[int, ActionItem]]:
    """`items` without those of the last few turns that `sentence` takes back by name."""
    match = _CANCEL_RE.search(sentence)
    if match is None:
        return items
    thing = match["thing"].lower().split()[-1].rstrip("s")

    def named(item: ActionItem) -> bool:
        return thing in {word.lower().strip(",.!?").rstrip("s") for word in item.title.split()}

    return [(t, item) for t, item in items if not (turn - RECENT_TURNS <= t < turn and named(item))]


def _new_owner(sentence: str, speaker: str | None, names: NameResolver) -> str | None:
    """Who `sentence` gives the task just discussed to, or None."""
    if not _CHANGE_RE.search(sentence):
        return None
    if _SELF_TAKER_RE.search(sentence):
        return speaker
    addressed = _HANDED_TO_RE.search(sentence)
    you_do = addressed and {m["verb"].lower() for m in _YOU_DO_RE.finditer(sentence, addressed.end())}
    if addressed and you_do and you_do & _TAKING_VERBS and (person := names.known(addressed["name"])):
        return person
    takers = (m for m in _NAMED_TAKER_RE.finditer(sentence) if not m["verb"] or m["verb"].lower() in _TAKING_VERBS)
    return next((person for m in takers if (person := names.known(m["name"]))), None)


def _reassigned(
    items: list[tuple[int, ActionItem]], sentence: str, turn: int, utterances: Sequence[Utterance], names: NameResolver
) -> list[tuple[int, ActionItem]]:
    """The latest task of the last few turns given to the person `sentence` names instead,
    as sure as a request answered "sure" when they then accept it."""
    person = _new_owner(sentence, utterances[turn].speaker, names)
    if person is None:
        return items
    recent = [i for i, (t, item) in enumerate(items) if turn - RECENT_TURNS <= t < turn and item.owner_name != person]
    if not recent:
        return items
    reply = _reply(utterances, turn)
    accepted = reply is not None and reply.speaker == person and _ACCEPT_RE.match(normalize_text(reply.text))
    if sentence.endswith("?") and not accepted:  # "Actually, Eva, could you do it?" needs her yes
        return items
    t, item = items[recent[-1]]
    changed = replace(item, owner_name=person, confidence=_ANSWERED if accepted else _NAMED)
    return [*items[: recent[-1]], (t, changed), *items[recent[-1] + 1 :]]


def _turn_openings(utterances: Sequence[Utterance]) -> list[int]:
    """For each line, the first line of its turn: lines of one speaker in a row are one turn
    (a line nobody is known to have said is a turn of its own)."""
    openings: list[int] = []
    for index, utterance in enumerate(utterances):
        same = index and utterance.speaker and utterances[index - 1].speaker == utterance.speaker
        openings.append(openings[-1] if same else index)
    return openings


def extract_action_items(
    utterances: Sequence[Utterance],
    *,
    meeting_date: date,
    default_speaker: str | None = None,
    known_names: Iterable[str] = (),
) -> list[ActionItem]:
    """Tasks people commit to or are asked to do, with owner, due date and segment.

    `known_names` (workspace members, say) are recognised even when lowercase or
    misheard by a letter; the meeting's speakers and `default_speaker` always are.
    """
    context = _Context(
        _resolver(utterances, default_speaker, known_names), meeting_date, default_speaker
    )
    items: list[tuple[int, ActionItem]] = []  # (turn, task)
    openings = _turn_openings(utterances)
    for index, utterance in enumerate(utterances):
        reply = _reply(utterances, index)
        # Who "you" is in a promise: the one who spoke just before this turn, when someone else did.
        opening = openings[index]
        answering = _reply(utterances, opening - 1) if opening else None
        listener = utterances[opening - 1].speaker if answering is not None else None
        asked = _last_question(normalize_text(utterances[opening - 1].text)) if answering is not None else None
        # What was said just before: the line before, then this line's previous sentence.
        before = normalize_text(utterances[index - 1].text) if index else ""
        earliest = opening  # the first line of the last few turns
        for _ in range(RECENT_TURNS):
            earliest = openings[earliest - 1] if earliest else 0
        recent = " ".join(normalize_text(u.text) for u in utterances[earliest:index])
        # The transcript cuts a turn into lines at pauses: this turn's line before is this turn's.
        same_turn = opening < index
        for sentence in split_sentences(utterance.text):
            said = _Said(before, same_turn, asked, recent)
            found = list(_sentence_items(sentence, utterance, reply, context, listener, said))
            if not found:  # no task of its own: one taken back, or given to another?
                if not _triggers(sentence, context.names):
                    items = _cancelled(items, sentence, index)
                items = _reassigned(items, sentence, index, utterances, context.names)
            items += [(index, item) for item in found]
            before, same_turn, recent = sentence, True, f"{recent} {sentence}"
    return _merge_duplicates(item for _, item in items)


# ----------------------------------------------------------------------- decisions

_DECISION_RE = re.compile(
    r"\b(?:(?:so\s+|then\s+)?we(?:'ve|\s+have|\s+all|\s+both)?\s+(?:decided|agreed)(?:\s+then)?"
    r"|it(?:'s|\s+is|\s+was|\s+has\s+been)\s+(?:decided|agreed)"
    r"|(?:the|our)\s+decision\s+(?:is|was)|the\s+call\s+is"
    r"|(?P<choice>let's\s+go\s+with|we(?:'ll|\s+will)?\s+go\s+(?:ahead\s+)?with))\b(?:\s*(?:that|to|on)\b|:)?",
    re.IGNORECASE,
)
_WE_RE = re.compile(
    r"^\s*we(?:'ll|\s+will|'re\s+going\s+to|\s+are\s+going\s+to|\s+should|'d|\s+would|\s+can)?\s+",
    re.IGNORECASE,
)


def _decision_text(clause: str) -> str:
    text = re.sub(r"^\s*not\s+to\s+", "not ", _WE_RE.sub("", _LEADING_RE.sub("", clause)), flags=re.IGNORECASE)
    return clean_title(text)


# "If the offer matches, we'll go with the plan": the condition is part of the decision.
_CONDITION_RE = re.compile(r"\bif\s+(?P<condition>[^,;:]+),\s*$", re.IGNORECASE)
_OPENING_CONDITION_RE = re.compile(r"^if\s+(?P<condition>[^,;:]+),\s*", re.IGNORECASE)
# "The call is go." / "The decision is yes.": what was decided is said next.
_BARE_YES_RE = re.compile(r"(?:go|yes|a\s+go|approved)$", re.IGNORECASE)
# "We agreed on that as the fallback": "that" is what was said before.
_POINTS_BACK_RE = re.compile(r"(?:that|this|it)(?:\s+as\b|\s*$)", re.IGNORECASE)
# "We decided to roll it back": what "it" is was said elsewhere, so alone it tells nothing.
_ONLY_PRONOUN_RE = re.compile(
    r"^\w+\s+(?:it|them|(?:that|this)(?:\s+one)?)(?:\s+(?:back|out|up|down|off|on|over|away))?$", re.IGNORECASE
)
# "We agreed on a cache of five minutes, and the conversion didn't change": a decision told
# with what came of it is a story from before, not one this meeting took.
_PAST_RE = re.compile(r"\b(?:was|wasn't|were|weren't|had|hadn't|did|didn't)\b", re.IGNORECASE)


def _sentence_decisions(
    sentence: str, names: NameResolver, before: str = "", after: str = ""
) -> Iterable[str]:
    if sentence.endswith("?"):
        return  # "Have we decided to ship?"
    starts = [trigger.start for trigger in _triggers(sentence, names)]
    for match in _DECISION_RE.finditer(sentence):
        rest = sentence[match.end() :]
        cut = _BREAK_RE.search(rest)
        # "we agreed on three measures: a, b and c": what follows the colon is the decision.
        if cut and rest[cut.start()] == ":" and len(rest[: cut.start()].split()) <= 4:
            cut = _BREAK_RE.search(rest, cut.end())
        clause = rest[: cut.start()] if cut else rest
        outcome = re.search(r",?\s+(?:and|but|so)\s+.*", rest)
        if outcome and _PAST_RE.search(outcome[0]):
            continue
        # "The call is go." / "We agreed then. A limit of 500 items …" (the colon heard as a stop)
        if (_BARE_YES_RE.match(clause.strip(" .!")) or not clause.strip(" .!")) and after and not after.endswith("?"):
            clause = after
        elif _POINTS_BACK_RE.match(clause.strip(" .!")) and before and not before.endswith("?"):
            clause = before
        elif match["choice"]:
            clause = "go with " + clause
        # "If the offer matches, we'll go with …", "We agreed: if the references are positive, we make …"
        condition = _CONDITION_RE.search(sentence[: match.start()])
        if condition is None and (opening := _OPENING_CONDITION_RE.match(clause.lstrip())):
            condition, clause = opening, clause.lstrip()[opening.end() :]
        # "... on Monday and David will fix X": the task is not part of the decision,
        # but "we agreed that David will fix X" is all decision.
        task = min((s - match.end() for s in starts if s > match.end()), default=len(clause))
        text = _decision_text(clause[:task]) or _decision_text(clause)
        if condition:
            text += f" if {clean_title(condition['condition'])}"
        if len(text.split()) >= 2 and not _ONLY_PRONOUN_RE.match(text):
            yield text


# "Agreed." from someone else settles a proposal: "I'd say medical reasons first." / "Then I
# will keep seven days for staging." A plain "I'll send it" is a task, so it is not one.
_AGREED_RE = re.compile(r"^agreed[.!]?$", re.IGNORECASE)
_PROPOSAL_RE = re.compile(
    r"^(?:(?:so|then|okay|ok),?\s+)?(?:i'd\s+say|i\s+(?:would\s+)?(?:suggest|propose)|i'd\s+(?:suggest|propose)"
    r"|we\s+should|let's|then\s+(?:i(?:'ll|\s+will)|we(?:'ll|\s+will)?))\s+",
    re.IGNORECASE,
)

# A rule set for everyone: "Any change in the middle of a sprint has to go through me."
_RULE_RE = re.compile(
    r"^(?:(?:so|and|okay|ok|then|from\s+now\s+on),?\s+)?(?P<rule>any(?:thing|one|body)?\b[^?]*?"
    r"\b(?:has\s+to|must|needs\s+to)\b[^?]*?)[.!]?$",
    re.IGNORECASE,
)


# "The design is approved in principle." / "So the budget is approved": an approval said as
# done now (not "was approved", a story from before) is the decision to approve it.
_APPROVED_RE = re.compile(
    r"(?:^|[:,]\s*|\bso\s+)(?P<what>(?:the|our|this|that|your)\s+(?:[\w-]+\s+){0,4}?[\w-]+)"
    r"\s+(?:is|are)\s+(?:now\s+|hereby\s+)?approved\b(?P<rest>[^.;!?]*)",
    re.IGNORECASE,
)


# Settled in the present, by whoever leads: "Agreed, we drop the API documentation action.",
# "Okay, let's quarantine the flaky tests for now." A plain "we ..." needs the word that
# settles it ("we need 25 more" is a fact); "let's" is one unless it is a step of the meeting
# itself ("let's go around", "let's turn these into actions") or puts the point off.
_AGREEMENT = r"(?:okay|ok|then|so|agreed|good|fine|right|yes)"
_SETTLED_RE = re.compile(
    rf"^(?:(?:{_AGREEMENT},?\s+)+(?:then\s+)?we|(?:{_AGREEMENT},?\s+)*let's)\s+"
    r"(?!(?:need|have|had|are|were|can|could|should|would|will|might|must|may|know|think|see|want|got|get"
    r"|did|do|don't|still|also|just|all|both|say|go\s+around|go\s+through|turn|start|begin|try"
    r"|share|brainstorm|talk|move|look|hear|check|wait|leave|ask|keep\s+it|recap|wrap|sum|discuss|continue|take\s+a"
    # a story or a habit, not a choice: "so we lost the logs", "okay, we usually ship on Fridays"
    r"|went|came|saw|said|took|made|found|lost|sent|built|spent|paid|knew|thought|told|heard|left|met|ran|began"
    r"|gave|usually|always|never|often|sometimes|really|only|probably|already|currently|mostly)\b)"
    r"(?P<what>[a-z]+(?<!ed)\b.*)$",
    re.IGNORECASE,
)
_AGREEMENT_RE = re.compile(rf"^{_AGREEMENT}[.!]$", re.IGNORECASE)


def _settled(sentence: str, before: str = "") -> str | None:
    if _AGREEMENT_RE.match(before):  # "Agreed. We drop the …", as a transcript may stop it
        sentence = f"{before[:-1]}, {sentence}"
    if sentence.endswith("?") or not (said := _SETTLED_RE.match(sentence)):
        return None
    text = clean_title(_BREAK_RE.split(said["what"], maxsplit=1)[0])
    return text if len(text.split()) >= 2 and not _ONLY_PRONOUN_RE.match(text) else None


def _approval(sentence: str) -> str | None:
    if sentence.endswith("?") or not (said := _APPROVED_RE.search(sentence)):
        return None
    rest = _BREAK_RE.split(said["rest"], maxsplit=1)[0] if said["rest"] else ""
    return clean_title(f"approve {said['what']}{rest}")


def _agreed_proposal(utterance: Utterance, previous: Utterance | None) -> str | None:
    """The proposal just before an "Agreed." by someone else, as a decision."""
    if previous is None or previous.speaker == utterance.speaker:
        return None
    first = next(iter(split_sentences(utterance.text)), "")
    proposal = next(reversed(split_sentences(previous.text)), "")
    if not _AGREED_RE.match(first) or proposal.endswith("?") or not (said := _PROPOSAL_RE.match(proposal)):
        return None
    text = _decision_text(proposal[said.end() :])
    return text if len(text.split()) >= 2 and not _ONLY_PRONOUN_RE.match(text) else None


def _at(utterances: Sequence[Utterance], index: int) -> Utterance | None:
    return utterances[index] if index < len(utterances) else None


def extract_decisions(
    utterances: Sequence[Utterance], *, known_names: Iterable[str] = ()
) -> list[str]:
    """What the meeting settled: "we decided / agreed to ...", "the decision is ...", "the
    design is approved", a proposal someone else answers "Agreed."."""
    names = _resolver(utterances, None, known_names)
    decisions: list[str] = []
    for turn, utterance in enumerate(utterances):
        if agreed := _agreed_proposal(utterance, utterances[turn - 1] if turn else None):
            decisions.append(agreed)
        # The sentences around, the same speaker's line before and after included: "We agreed
        # then." and what was agreed may be two lines of the transcript.
        previous, following = (
            split_sentences(line.text) if line and line.speaker == utterance.speaker else []
            for line in (utterances[turn - 1] if turn else None, _at(utterances, turn + 1))
        )
        sentences = split_sentences(utterance.text)
        for index, sentence in enumerate(sentences):
            before = next(reversed([*previous, *sentences[:index]]), "")
            after = next(iter([*sentences[index + 1 :], *following]), "")
            decisions += _sentence_decisions(sentence, names, before, after)
            if approved := _approval(sentence):
                decisions.append(approved)
            # The opening turn's "let's" runs the meeting ("let's keep it quick today").
            elif turn and (settled := _settled(sentence, before)) and not _DECISION_RE.search(sentence):
                decisions.append(settled)
            if rule := _RULE_RE.match(sentence):
                said = re.sub(r"\bme\b", utterance.speaker, rule["rule"]) if utterance.speaker else rule["rule"]
                decisions.append(clean_title(said))
    return list(dict.fromkeys(decisions))


# A question the asker calls open ("another open question: …", "one more question. …").
_OPEN_ASKED_RE = re.compile(
    r"\b(?:open (?:question|point|issue)|one (?:more )?question|another question|still open)\b", re.IGNORECASE
)
# A reply that leaves it open: nobody knows, or it is put off.
_LEFT_OPEN_RE = re.compile(
    r"\b(?:(?:i|we) (?:don't|do not) know|not sure|no idea|good question|hard to say|depends on|"
    r"still (?:being )?(?:discussed|open|unclear)|(?:let's|let us) not decide|(?:not|don't) decide (?:that|this) "
    r"today|to be decided|(?:i'll|i will|i'd|let me|we'll|we need to) (?:ask|check|find out)|can't answer|"
    # or put off: "let's wait for the landlord first", "let's look at that next month".
    r"(?:let's|let us|we'll|we can) (?:wait|leave (?:it|that|this) for|look at (?:it|that|this) (?:later|next|again)"
    r")|(?:still|i'm|we're) waiting (?:for|on))\b",
    re.IGNORECASE,
)
# Questions that are not about the work: check-ins and turn-taking.
_CHECK_IN_RE = re.compile(
    r"^(?:(?:so|and|ok|okay|right),?\s+)?(?:any (?:questions|thoughts|objections|comments)|anything else|"
    r"(?:does )?(?:that|this) (?:make sense|work|sound)|(?:are )?we (?:all )?(?:good|ready|done)|right|"
    r"ready|how are you|what do you think|who'?s next|can (?:you|everyone) (?:hear|see))\b",
    re.IGNORECASE,
)


SELF_CONTAINED_WORDS = 8  # a question this long usually says what it is about


def extract_open_questions(utterances: Sequence[Utterance]) -> list[str]:
    """Questions the meeting asked and left open, as they were asked: called open by the
    asker ("one open point: do we …?"), or answered by someone else with "I don't know",
    "it depends", "let's not decide that today", "I'll ask them". A question answered
    ("Yes, we do") is not open; a request ("can you send it?") is a task, not a question."""
    found: list[str] = []
    utterances = speaker_turns(utterances)
    for index, utterance in enumerate(utterances):
        replies = [u for u in utterances[index + 1 : index + 3] if u.speaker != utterance.speaker]
        reply = replies[0] if replies else None
        left_open = reply is not None and _LEFT_OPEN_RE.search(" ".join(split_sentences(reply.text)[:2]))
        # Two people answer differently ("August is quieter." / "But July is when ..."): not settled.
        disputed = len({u.speaker for u in replies}) == 2 and replies[1].text.lower().startswith("but ")
        called_open = _OPEN_ASKED_RE.search(utterance.text)
        if not (left_open or disputed or called_open):
            continue
        sentences = _join_follow_ups(split_sentences(utterance.text))
        asked = [i for i, s in enumerate(sentences) if _is_open_question(s)]
        if asked:
            found.append(_with_context(sentences, asked[-1] if left_open else asked[0]))
    return list(dict.fromkeys(found))


def _join_follow_ups(sentences: list[str]) -> list[str]:
    """ "Which week though? July or August?" is one question: a short one narrows the one before."""
    joined: list[str] = []
    for sentence in sentences:
        if joined and joined[-1].endswith("?") and sentence.endswith("?") and len(sentence.split()) < 4:
            joined[-1] += " " + sentence
        else:
            joined.append(sentence)
    return joined


def _with_context(sentences: list[str], index: int) -> str:
    """A short question with the statement before it, so it reads on its own ("Our
    headcount might grow to 110. How does the pricing work then?")."""
    question = sentences[index]
    before = sentences[index - 1] if index else ""
    if len(question.split()) >= SELF_CONTAINED_WORDS or not before or before.endswith("?"):
        return question
    if _OPEN_ASKED_RE.search(before) and len(before.split()) <= 4:  # "One more question."
        return question
    if len(before.split()) < 3:  # "Will do.", "Okay, sure.": an answer, not what it is about
        return question
    return f"{before} {question}"


def _is_open_question(sentence: str) -> bool:
    words = sentence.split()
    if not sentence.endswith("?") or len(words) < 4 or _CHECK_IN_RE.search(sentence):
        return False
    if len(words) < 5 and words[0].lower() in ("and", "so", "or", "but"):
        return False  # "And the start date?" follows up on what was said; alone it says too little
    return not _ASK_RE.match(sentence.strip())
