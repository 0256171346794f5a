"""The `local` summary engine: extractive overview and rule-based insights, no model.

The overview is the few most central sentences of the transcript (TF-IDF cosine
centrality: how much a sentence shares with all the others), in their original order,
then one sentence on what came out of the meeting ("It ended with two decisions, three
action items for Marcus and Tom, and one open question."): an overview read alone, in a
chat message, says what was settled. Decisions and action items come from the rules in
`insights_rules`.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from datetime import date

from core.languages import ENGLISH, language_name
from core.text import and_joined
from transcription.engines.base import ActionItem, Insights, Utterance
from transcription.engines.insights_rules import (
    extract_action_items,
    extract_decisions,
    extract_open_questions,
    split_sentences,
    whole_sentences,
)

OVERVIEW_SENTENCES = 3
# Short meetings get a two-sentence overview: three would be most of the transcript.
SHORT_MEETING_SENTENCES = 9
KEY_POINTS = 5
# A sentence with fewer content words is chatter ("Thanks everyone.").
MIN_TERMS = 3
# An isolated sentence needs this many content words to count as a key point.
MIN_TERMS_ALONE = 5

_WORD_RE = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
_STOPWORDS = frozenset(
    {
        "a", "about", "above", "after", "again", "all", "also", "am", "an", "and", "any", "are",
        "as", "at", "be", "been", "before", "being", "both", "but", "by", "can", "could", "did",
        "do", "does", "doing", "don't", "down", "during", "each", "few", "for", "from", "get",
        "got", "had", "has", "have", "having", "he", "her", "here", "hers", "him", "his", "how",
        "i", "i'll", "i'm", "if", "in", "into", "is", "it", "it's", "its", "just", "let's",
        "like", "me", "more", "most", "my", "no", "nor", "not", "now", "of", "off", "on",
        "once", "only", "or", "other", "our", "out", "over", "own", "same", "she", "should",
        "so", "some", "such", "than", "that", "that's", "the", "their", "them", "then", "there",
        "these", "they", "this", "those", "through", "to", "too", "under", "until", "up", "very",
        "was", "we", "we'll", "we're", "were", "what", "when", "where", "which", "while", "who",
        "whom", "why", "will", "with", "would", "you", "you'll", "your", "yours",
        # Conversation carries its own filler.
        "okay", "ok", "yeah", "yes", "um", "uh", "hmm", "oh", "well", "right", "really",
        "actually", "basically", "gonna", "think", "know", "going", "thanks", "thank",
        "everyone", "everybody", "guys", "good", "morning", "afternoon", "hello", "hi", "today",
        "please", "sure", "maybe", "one", "thing", "things", "lot", "bit", "kind", "sort",
    }
)


def terms(sentence: str) -> list[str]:
    """Content words, lowercased, without possessives or plural "s"."""
    found = []
    for word in _WORD_RE.findall(sentence.lower()):
        if word in _STOPWORDS:  # before the possessive goes: "let's", "that's"
            continue
        word = word.removesuffix("'s")
        if word in _STOPWORDS or len(word) < 3:
            continue
        # "exports" and "export" are one term; "process" and "status" stay whole.
        if len(word) > 4 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
            word = word[:-1]
        found.append(word)
    return found


def _unit_tfidf(words: list[str], document_frequency: Counter[str], count: int) -> dict[str, float]:
    weights = {
        term: tf * (math.log((1 + count) / (1 + document_frequency[term])) + 1)
        for term, tf in Counter(words).items()
    }
    norm = math.sqrt(sum(w * w for w in weights.values()))
    return {term: w / norm for term, w in weights.items()} if norm else {}


def centrality(sentences: Sequence[str]) -> list[float]:
    """Each sentence's summed TF-IDF cosine similarity to every other sentence.

    Summing a unit vector's dot products equals one dot product with the sum of all
    vectors (less itself), so this stays linear in the transcript's length.
    """
    term_lists = [terms(s) for s in sentences]
    frequency = Counter(term for words in term_lists for term in set(words))
    vectors = [_unit_tfidf(words, frequency, len(sentences)) for words in term_lists]
    total: Counter[str] = Counter()
    for vector in vectors:
        total.update(vector)
    return [
        max(0.0, sum(w * total[t] for t, w in vector.items()) - (1.0 if vector else 0.0))
        for vector in vectors
    ]


def _display(sentence: str) -> str:
    """Whisper's lowercase, unpunctuated sentence made presentable."""
    text = sentence[0].upper() + sentence[1:]
    return text if text[-1] in ".!?" else text + "."


def _ranked(scores: Sequence[float], allowed: set[int]) -> list[int]:
    """Indexes in `allowed`, most central first; earlier first on a tie."""
    return sorted(allowed, key=lambda i: (-scores[i], i))


def _covers(sentence: str, phrase: str) -> bool:
    """True when the sentence states the phrase (a decision or a task) already listed."""
    wanted = set(terms(phrase))
    return bool(wanted) and wanted <= set(terms(sentence))


def _key_points(
    sentences: Sequence[str], scores: Sequence[float], candidates: set[int], listed: Sequence[str]
) -> list[str]:
    """Central sentences not in the overview and not already a decision or a task."""
    allowed = {
        i
        for i in candidates
        if (scores[i] > 0 or len(terms(sentences[i])) >= MIN_TERMS_ALONE)
        and not any(_covers(sentences[i], phrase) for phrase in listed)
    }
    chosen = sorted(_ranked(scores, allowed)[:KEY_POINTS])
    return [_display(sentences[i]) for i in chosen]


_NUMBERS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
# Owners named in the outcome sentence; more are counted ("and two others").
OUTCOME_OWNERS = 4


def _count(number: int, noun: str) -> str:
    """A count in words: "one decision", "three action items", "12 open questions"."""
    said = _NUMBERS[number] if number < len(_NUMBERS) else str(number)
    return f"{said} {noun}{'' if number == 1 else 's'}"


def outcome(decisions: Sequence[str], items: Sequence[ActionItem], questions: Sequence[str]) -> str:
    """One sentence on what came out of the meeting, with the tasks' owners."""
    parts = []
    if decisions:
        parts.append(_count(len(decisions), "decision"))
    if items:
        owners = list(dict.fromkeys(item.owner_name for item in items if item.owner_name))
        named = owners[:OUTCOME_OWNERS]
        if len(owners) > len(named):
            named.append(_count(len(owners) - len(named), "other"))
        parts.append(_count(len(items), "action item") + (f" for {and_joined(named)}" if named else ""))
    if questions:
        parts.append(_count(len(questions), "open question"))
    if not parts:
        return "No decision or action item was recorded."
    # A comma before the last part when a part already holds an "and" ("for Ana and Ben").
    last = ", and " if len(parts) > 1 and any(" and " in part for part in parts[:-1]) else " and "
    said = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + last + parts[-1]
    return f"It ended with {said}."


ENGLISH_ONLY = (
    "Mina's offline summary reads English only, and this meeting is in {language}: its "
    "transcript, speakers and talk time are complete, but no overview, decisions or tasks "
    "were written. An OpenAI-compatible summary engine (MINA_SUMMARY_ENGINE=openai) "
    "summarises it in its own language."
)


class LocalSummaryEngine:
    """Extractive overview plus rule-based key points, decisions and action items."""

    name = "local"
    model = "rules-v1"

    def __init__(self, *, known_names: Sequence[str] = ()) -> None:
        # Names recognised even lowercase or misheard, besides the meeting's speakers
        # (for example the workspace's members).
        self.known_names = tuple(known_names)

    def summarize(
        self,
        utterances: Sequence[Utterance],
        *,
        meeting_date: date,
        default_speaker: str | None = None,
        language: str | None = None,
    ) -> Insights:
        if language not in (None, ENGLISH):
            # The rules read English; on German they would invent tasks and miss decisions.
            return Insights(overview=ENGLISH_ONLY.format(language=language_name(language)))
        utterances = whole_sentences(utterances)
        sentences = [s for u in utterances for s in split_sentences(u.text)]
        decisions = extract_decisions(utterances, known_names=self.known_names)
        items = extract_action_items(
            utterances,
            meeting_date=meeting_date,
            default_speaker=default_speaker,
            known_names=self.known_names,
        )
        scores = centrality(sentences)
        # A question is not a fact: it never stands in the overview or the key points; and a
        # sentence said twice is offered once.
        first = {s.lower(): i for i, s in reversed(list(enumerate(sentences)))}
        candidates = {
            i for i, s in enumerate(sentences)
            if len(terms(s)) >= MIN_TERMS and not s.endswith("?") and first[s.lower()] == i
        }
        size = OVERVIEW_SENTENCES if len(candidates) >= SHORT_MEETING_SENTENCES else 2
        pool = candidates or set(range(len(sentences)))
        overview = sorted(_ranked(scores, pool)[:size])
        listed = [*decisions, *(item.title for item in items)]
        questions = extract_open_questions(utterances)
        said = [_display(sentences[i]) for i in overview]
        return Insights(
            overview=" ".join([*said, outcome(decisions, items, questions)]) if said else "",
            key_points=_key_points(sentences, scores, candidates - set(overview), listed),
            decisions=decisions,
            action_items=items,
            questions=questions,
        )
