"""Match a name heard in a meeting ("Davide", "Carrol") to a workspace member."""

from __future__ import annotations

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
