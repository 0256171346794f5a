"""Match a name heard in a meeting ("Davide", "Carrol") to a workspace member."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Hashable, Mapping, Sequence
from typing import TypeVar

from rapidfuzz.distance import Levenshtein

K = TypeVar("K", bound=Hashable)

# Names shorter than this ("Al", "Jo") match too many words and members to trust.
MIN_NAME_LENGTH = 3


def normalize_name(name: str) -> str:
    """Casefold, drop accents, and turn anything but letters into single spaces.

    So "José", "jose" and the e-mail local part "jose.garcia" compare as words.
    """
    decomposed = unicodedata.normalize("NFKD", name)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return " ".join("".join(c if c.isalpha() else " " for c in plain).split())


def allowed_edits(length: int) -> int:
    """How many letters Whisper may have misheard in a name of this length."""
    if length < 4:
        return 0  # "Dan" vs "Don", "Ian" vs "Ivan": one letter is a different person
    return 1 if length < 8 else 2


def _distance(query: str, alias: str) -> int | None:
    """Edit distance when close enough to count, else None."""
    limit = allowed_edits(min(len(query), len(alias)))
    distance = Levenshtein.distance(query, alias, score_cutoff=limit)
    return distance if distance <= limit else None


def match_member(name: str, candidates: Mapping[K, Sequence[str]]) -> K | None:
    """The key whose aliases come closest to `name`, or None.

    `candidates` maps a key (a user, an id, a speaker label) to its aliases, for
    example [display name, first name, e-mail local part]. None when nothing is close
    enough, when the name is too short to trust, or when two keys are equally close.
    """
    query = normalize_name(name)
    if len(query.replace(" ", "")) < MIN_NAME_LENGTH:
        return None
    best: dict[K, int] = {}
    for key, aliases in candidates.items():
        distances = [
            d for alias in aliases if (d := _distance(query, normalize_name(alias))) is not None
        ]
        if distances:
            best[key] = min(distances)
    if not best:
        return None
    closest = min(best.values())
    winners = [key for key, distance in best.items() if distance == closest]
    return winners[0] if len(winners) == 1 else None


# --- Names a conversation gives its speakers ----------------------------------------

_NAME = r"([A-Z][a-z]{2,})"
# "This is Priya", "I'm Priya", "my name is Priya", "Priya here", "Priya speaking".
_INTRODUCTIONS = [
    re.compile(rf"\b(?:this is|it's|i am|i'm|my name is|here is)\s+{_NAME}\b", re.IGNORECASE),
    re.compile(rf"(?:^|[.,!?]\s+|\b(?:hi|hello|hey),?\s+){_NAME}\s+(?:here|speaking)\b"),
]
# "Tom, could you send the numbers?" ("Tom, please …", "Actually, Tom, you …") answered
# by the next speaker: "Sure, …".
_ADDRESS = re.compile(rf"(?:^|[.!?,]\s+){_NAME},\s+(?:(?:could|can|would|will) you|you|please)\b")
_YES = re.compile(
    # "We'll do": how Whisper often hears "Will do".
    r"^\s*(?:sure|yes|yeah|yep|okay|ok|of course|will do|we'll do|no problem|i will|i'll|happy to)\b",
    re.IGNORECASE,
)
# Capitalised words that follow "I'm" and are no name.
_NOT_NAMES = frozenset(
    {"Sorry", "Not", "Fine", "Good", "Great", "Happy", "Here", "Just", "Still", "Afraid", "Glad", "Sure", "Okay",
     "Going", "Also", "Really", "Very", "So", "The", "That", "This", "What", "Thanks", "Thank", "Done", "Back"}
)


def suggested_names(lines: Sequence[tuple[K, str]], unnamed: set[K]) -> dict[K, tuple[str, str]]:
    """Names the conversation gives the `unnamed` speakers: {speaker: (name, what was said)}.

    `lines` are (speaker, text) in order. A speaker who introduces themselves gets that
    name; else one who answers "Sure" to "Tom, could you …?" gets Tom. Never a name
    claimed for two speakers, nor one said of a speaker by themselves in address.
    """
    found: dict[K, tuple[str, str]] = {}
    for speaker, text in lines:
        if speaker in unnamed and speaker not in found and (name := _introduced(text)):
            found[speaker] = (name, f"said “{_clip(text)}”")
    turns = _turns(lines)
    for (asker, question), (answerer, answer) in zip(turns, turns[1:], strict=False):
        # The last one addressed is the one expected to answer ("Tom, please …; Eva, could you …").
        addressed = list(_ADDRESS.finditer(question))
        if not addressed or answerer == asker or answerer not in unnamed or answerer in found:
            continue
        if _YES.match(answer):
            said = question[addressed[-1].start(1) :]
            found[answerer] = (addressed[-1].group(1), f"answered “{_clip(answer)}” to “{_clip(said)}”")
    claimed: dict[str, int] = {}
    for name, _ in found.values():
        claimed[name] = claimed.get(name, 0) + 1
    return {speaker: hint for speaker, hint in found.items() if claimed[hint[0]] == 1}


def _turns(lines: Sequence[tuple[K, str]]) -> list[tuple[K, str]]:
    """Consecutive lines of one speaker joined: Whisper ends a line where it likes, often
    mid-sentence ("…, Eva, you know Leon, maybe it's better" | "if you write to him.")."""
    turns: list[tuple[K, str]] = []
    for speaker, text in lines:
        if turns and turns[-1][0] == speaker:
            turns[-1] = (speaker, f"{turns[-1][1]} {text}")
        else:
            turns.append((speaker, text))
    return turns


def _introduced(text: str) -> str | None:
    for pattern in _INTRODUCTIONS:
        for match in pattern.finditer(text):
            name = match.group(1)
            if name[0].isupper() and name not in _NOT_NAMES:
                return name
    return None


def _clip(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
