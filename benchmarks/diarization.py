"""Who spoke when: diarization error rate of the local engine on the corpus.

    python benchmarks/diarization.py [--split tune|heldout|all] [--only id,id] [--oracle]

Per meeting: the diarization error rate (pyannote.metrics, 0.25 s collar: missed speech,
false alarm and speaker confusion against the reference turns), the number of speakers
found against the script's, and the engine's time as a share of the audio's (the voice
detector's spans are computed as the careful pass does, block by block, and not timed:
the careful pass has them already). Pooled over each split, and by condition (clean
2-4 speakers, noise, overlap, 5-6 speakers, similar voices, telephone, reverberation).
`--oracle` gives the engine the true number of speakers.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pyannote.core import Annotation, Segment  # noqa: E402
from pyannote.metrics.diarization import DiarizationErrorRate  # noqa: E402

from benchmarks.corpus import CorpusMeeting, meetings  # noqa: E402
from transcription import audio  # noqa: E402
from transcription.engines.base import SpeakerTurn  # noqa: E402
from transcription.engines.diarize_local import LocalDiarizationEngine, Windows  # noqa: E402


def conditions(meeting: CorpusMeeting) -> list[str]:
    """The meeting's conditions; "clean 2-4" is 2-4 speakers with no degradation of sound
    (short overlaps allowed: every real meeting has some)."""
    applied = meeting.reference.get("conditions") or {}
    voices = (applied.get("speakers") or {}).values()
    speakers = len({t["speaker"] for t in meeting.turns})
    found = []
    if applied.get("noise") or any(v.get("noise") for v in voices):
        found.append("noise")
    if applied.get("telephone") or any(v.get("telephone") for v in voices):
        found.append("telephone")
    if applied.get("reverb"):
        found.append("reverberation")
    if any(v.get("gain_db") for v in voices):
        found.append("quiet or loud speaker")
    if applied.get("similar_voices"):
        found.append("similar voices")
    degraded = bool(found)
    if applied.get("overlaps"):
        found.append("overlap")
    if speakers >= 5:
        found.append("5-6 speakers")
    elif speakers >= 2 and not degraded:
        found.append("clean 2-4")
    return found


def annotate(turns: list) -> Annotation:
    annotation = Annotation()
    for turn in turns:
        if isinstance(turn, dict):
            annotation[Segment(turn["start_ms"] / 1000, turn["end_ms"] / 1000)] = turn["speaker"]
        else:
            annotation[Segment(turn.start_ms / 1000, turn.end_ms / 1000)] = turn.speaker
    return annotation


def diarize(
    meeting: CorpusMeeting, engine: LocalDiarizationEngine, num_speakers: int | None = None
) -> tuple[list[SpeakerTurn], float]:
    """The engine's speaker turns for the meeting's audio, and the seconds it took (the voice
    detector's spans, which the careful pass has already, not counted)."""
    windows, spent = Windows(), 0.0
    for offset, samples in audio.read_blocks(meeting.audio, block_s=engine.block_s):
        offset_ms = offset * 1000 // 16000
        speech = audio.speech_spans(samples)
        started = time.perf_counter()
        windows.extend(engine.windows(samples, speech, offset_ms=offset_ms))
        spent += time.perf_counter() - started
    started = time.perf_counter()
    turns = engine.speakers(windows, num_speakers=num_speakers)
    return turns, spent + time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=["tune", "heldout", "all"], default="all")
    parser.add_argument("--only", default="")
    parser.add_argument("--oracle", action="store_true")
    args = parser.parse_args()
    engine = LocalDiarizationEngine()
    # The composites put many meetings' people in one (29 names): no meeting sounds like that.
    chosen = [m for m in meetings(None if args.split == "all" else args.split)
              if m.id != "jfk" and not m.reference.get("conditions", {}).get("composed_of")]
    if args.only:
        chosen = [m for m in chosen if m.id in args.only.split(",")]
    print(f"{'meeting':<16}{'split':<8}{'min':>5}{'DER':>8}{'miss':>7}{'false':>7}{'confus':>8}{'found':>7}{'true':>6}"
          f"{'RT %':>7}  conditions")
    totals: dict[str, DiarizationErrorRate] = {}
    counts: dict[str, list[bool]] = {}
    for meeting in chosen:
        true = len({t["speaker"] for t in meeting.turns})
        turns, spent = diarize(meeting, engine, num_speakers=true if args.oracle else None)
        reference, hypothesis = annotate(meeting.turns), annotate(turns)
        meter = DiarizationErrorRate(collar=0.25)
        parts = meter(reference, hypothesis, detailed=True)
        found = len({t.speaker for t in turns})
        groups = conditions(meeting)
        for group in [meeting.split, "all", *groups]:
            totals.setdefault(group, DiarizationErrorRate(collar=0.25))(reference, hypothesis)
            counts.setdefault(group, []).append(found == true)
        total = parts["total"] or 1
        print(f"{meeting.id:<16}{meeting.split:<8}{meeting.duration_s / 60:>5.1f}{parts['diarization error rate']:>8.1%}"
              f"{parts['missed detection'] / total:>7.1%}{parts['false alarm'] / total:>7.1%}"
              f"{parts['confusion'] / total:>8.1%}{found:>7}{true:>6}{100 * spent / meeting.duration_s:>7.2f}  "
              f"{', '.join(groups)}", flush=True)
    print()
    for group, meter in totals.items():
        right = counts[group]
        print(f"{'pooled ' + group:<30} DER {abs(meter):6.1%}   speaker count right {sum(right)}/{len(right)}")


if __name__ == "__main__":
    main()
