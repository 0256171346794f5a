"""What a person's correction of a line teaches: the words they replaced, and with what.

When someone turns "moved the cluster to cumulative nodes" into "… to Kubelet nodes",
Mina offers to add "Kubelet" to the workspace's glossary (Whisper then expects it in the
next meeting) and, where "cumulative" comes up again in the same meeting, to fix those
lines too. Plain Python: the services decide what to do with it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher

# A correction of more words than this is a rewrite, not a misheard word or name.
MAX_WORDS = 4
_WORD = re.compile(r"[\w'’-]+")


@dataclass(frozen=True)
class Replacement:
    wrong: str  # as Whisper wrote it
    right: str  # as the person wrote it


def replaced_words(before: str, after: str) -> list[Replacement]:
    """Each run of up to MAX_WORDS words that a correction replaced by other words; a
    change of case or punctuation alone is no new word."""
    old, new = _WORD.findall(before), _WORD.findall(after)
    matcher = SequenceMatcher(a=[w.lower() for w in old], b=[w.lower() for w in new], autojunk=False)
    found = []
    for op, a0, a1, b0, b1 in matcher.get_opcodes():
        if op != "replace" or a1 - a0 > MAX_WORDS or b1 - b0 > MAX_WORDS:
            continue
        found.append(Replacement(" ".join(old[a0:a1]), " ".join(new[b0:b1])))
    return found


def pattern(phrase: str) -> re.Pattern[str]:
    """The phrase as whole words, any case: "cumulative" and not "cumulatively"."""
    words = [re.escape(w) for w in phrase.split()]
    return re.compile(r"(?<![\w'’-])" + r"\s+".join(words) + r"(?![\w'’-])", re.IGNORECASE)
