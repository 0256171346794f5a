"""The benchmark corpus: generated meetings with exact references (see README.md).

    from benchmarks.corpus import meetings
    for m in meetings("tune"):
        m.audio, m.reference, m.turns, m.text, m.action_items, m.decisions, m.questions

Held-out meetings (`split == "heldout"`) are for reporting only: never choose a parameter on them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class CorpusMeeting:
    id: str
    split: str
    kind: str
    audio: Path
    reference: dict

    @property
    def turns(self) -> list[dict]:
        return self.reference["turns"]

    @property
    def text(self) -> str:
        return " ".join(t["text"] for t in self.turns)

    @property
    def duration_s(self) -> float:
        return self.reference["duration_ms"] / 1000

    @property
    def action_items(self) -> list[dict]:
        return self.reference.get("action_items", [])

    @property
    def decisions(self) -> list[dict]:
        return self.reference.get("decisions", [])

    @property
    def questions(self) -> list[dict]:
        return self.reference.get("questions", [])


def load(ids: list[str] | None = None, include_long: bool = False) -> list[CorpusMeeting]:
    """Meetings already built (or shared from tests/data), in corpus order; ids=None means the default set."""
    from benchmarks.corpus.build import CACHE, LONG_ID, SHARED, load_scripts, shared_meeting

    if ids is None:
        ids = list(load_scripts()) + list(SHARED) + ([LONG_ID] if include_long else [])
    out = []
    for mid in ids:
        if mid in SHARED:
            audio, ref = shared_meeting(mid)
        else:
            audio, ref = CACHE / f"{mid}.wav", json.loads((CACHE / f"{mid}.json").read_text())
        out.append(CorpusMeeting(mid, ref["split"], ref["kind"], audio, ref))
    return out


def meetings(split: str | None = None, include_long: bool = False) -> list[CorpusMeeting]:
    """The corpus (building what is missing or stale first); split is None, "tune" or "heldout"."""
    from benchmarks.corpus.build import build

    if split not in (None, "tune", "heldout"):
        raise ValueError(f"split must be None, 'tune' or 'heldout', not {split!r}")
    build(long=include_long, quiet=True)
    return [m for m in load(include_long=include_long) if split is None or m.split == split]
