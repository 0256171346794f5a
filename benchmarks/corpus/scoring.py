"""The one place for the corpus measures: text normalisation, pooled word error rate, lost turns.

A hypothesis is a list of segments `{"start_ms", "end_ms", "text", "words": [{"start_ms", "end_ms", "word"}]}`;
`words` is optional (without it a segment's words are spread evenly over its span).
"""

from __future__ import annotations

import bisect

import jiwer

NORMALISE = jiwer.Compose([jiwer.ToLowerCase(), jiwer.RemovePunctuation(), jiwer.RemoveMultipleSpaces(), jiwer.Strip()])
LOST_MARGIN_MS = 2000


def normalise(text: str) -> str:
    """Lower case, no punctuation, single spaces, stripped (as tests/streaming.py has always done)."""
    return NORMALISE(text)


def wer(references: list[str], hypotheses: list[str]) -> float:
    """Word error rate pooled over all pairs: (substitutions + deletions + insertions) / reference words."""
    if len(references) != len(hypotheses):
        raise ValueError("references and hypotheses differ in length")
    errors = words = 0
    pairs = [(normalise(r), normalise(h)) for r, h in zip(references, hypotheses, strict=True)]
    for ref, hyp in pairs:
        if not ref:
            errors += len(hyp.split())
        elif not hyp:
            errors += len(ref.split())
            words += len(ref.split())
    full = [(r, h) for r, h in pairs if r and h]
    if full:
        out = jiwer.process_words([r for r, _ in full], [h for _, h in full])
        errors += out.substitutions + out.deletions + out.insertions
        words += out.hits + out.substitutions + out.deletions
    if not words:
        raise ValueError("no reference words")
    return errors / words


def timed_words(hypothesis: list[dict]) -> list[tuple[float, str]]:
    """(midpoint in ms, normalised word) for every hypothesis word, in time order."""
    out: list[tuple[float, str]] = []
    for seg in hypothesis:
        if seg.get("words"):
            for w in seg["words"]:
                mid = (w["start_ms"] + w["end_ms"]) / 2
                out += [(mid, token) for token in normalise(w["word"]).split()]
        else:
            tokens = normalise(seg["text"]).split()
            step = (seg["end_ms"] - seg["start_ms"]) / max(1, len(tokens))
            out += [(seg["start_ms"] + step * (k + 0.5), token) for k, token in enumerate(tokens)]
    return sorted(out, key=lambda x: x[0])


def lcs(a: list[str], b: list[str]) -> int:
    """Length of the longest common subsequence."""
    if not a or not b:
        return 0
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0]
        for j, y in enumerate(b):
            cur.append(prev[j] + 1 if x == y else max(prev[j + 1], cur[j]))
        prev = cur
    return prev[-1]


def lost_turns(turns: list[dict], hypothesis: list[dict], margin_ms: int = LOST_MARGIN_MS) -> list[int]:
    """Indices of turns of which fewer than half the words appear, in order, among the hypothesis words timed
    within the turn's span widened by margin_ms on each side."""
    words = timed_words(hypothesis)
    times = [t for t, _ in words]
    lost = []
    for i, turn in enumerate(turns):
        ref = normalise(turn["text"]).split()
        if not ref:
            continue
        lo = bisect.bisect_left(times, turn["start_ms"] - margin_ms)
        hi = bisect.bisect_right(times, turn["end_ms"] + margin_ms)
        if 2 * lcs(ref, [w for _, w in words[lo:hi]]) < len(ref):
            lost.append(i)
    return lost
