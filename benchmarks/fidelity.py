"""Nothing said is lost: word error rate and lost turns of every pass, on the corpus.

    python benchmarks/fidelity.py                       # the whole corpus, tune and held-out
    python benchmarks/fidelity.py --split tune --only standup-01,retro-01
    python benchmarks/fidelity.py --streams speaker     # one microphone per speaker

Per meeting, and pooled over the tune split, the held-out split and everything:

- offline: faster-whisper on the whole file (beam 5, VAD filter, word timestamps, same
  model): the yardstick;
- live: the finals of Mina's live path (`LiveSession`, the live voice detector, the
  engine's `transcribe_utterance`), as watchers see them before settling;
- settled: the same lines after settling (`transcribe_file` on each settled stretch);
- refined: the careful pass after the meeting (`careful.transcribe_block`, blocks, the
  coverage guarantee with the settled lines as the live fallback).

WER with the corpus's one normaliser (benchmarks/corpus/scoring.py); a turn is lost when
fewer than half its words appear in order near its time. The live path runs on a fake
clock as fast as the machine allows: results, not latency (benchmarks/live_latency.py
measures that end to end). `--streams room` (default) hears the meeting through one
microphone; `speaker` gives each speaker a stream with only their turns, as remote
participants are heard. Settles hear the stream since their last final, as when the workers
are otherwise idle; `--busy` settles as when other streams keep them busy. Results per
meeting are cached in .corpus-cache/fidelity/ by the meeting's audio and this code's
settings; `--fresh` ignores the cache.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
import wave
from dataclasses import replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a file, or with -m

from benchmarks import _django  # noqa: E402

_django.in_place()
ROOT = _django.ROOT

from benchmarks.corpus import CorpusMeeting, meetings  # noqa: E402
from benchmarks.corpus.build import CACHE  # noqa: E402
from benchmarks.corpus.scoring import lost_turns, wer  # noqa: E402
from tests.streaming import only_turns_of  # noqa: E402
from transcription import audio, careful, live, transcribers  # noqa: E402
from transcription.engines.base import SAMPLE_RATE, TranscribedSegment, Word  # noqa: E402
from transcription.engines.speech_local import LocalSpeechEngine  # noqa: E402

PASSES = ("offline", "live", "settled", "refined")
FRAME_BYTES = 3200


def offline(engine: LocalSpeechEngine, path: Path) -> list[TranscribedSegment]:
    samples = audio.pcm16_to_float32(_pcm(path))
    segments, _ = engine._whisper.transcribe(
        samples, language="en", beam_size=5, vad_filter=True, word_timestamps=True, condition_on_previous_text=False
    )
    return [
        TranscribedSegment(
            round(s.start * 1000), round(s.end * 1000), s.text.strip(),
            tuple(Word(round(w.start * 1000), round(w.end * 1000), w.word.strip(), w.probability) for w in s.words or ()),
        )
        for s in segments
    ]


def live_stream(
    engine: LocalSpeechEngine, pcm: bytes, *, idle: bool = True
) -> tuple[list[TranscribedSegment], list[TranscribedSegment], dict[str, Any]]:
    """One stream through the live path: (finals as first sent, finals after settling, stats).
    `idle`: the workers have nothing else to do when a settle is due, as for one stream on a
    quiet machine (settles hear the stream since their last final); False, as when other
    streams keep them busy."""
    # A stream that keeps up, as one stream on a quiet machine does: drafts are not run here,
    # and would otherwise count as skipped, a sign of overload (settles lose their context).
    session = live.LiveSession(replace(transcribers.live_config(), skip_partials_when_busy=False))
    first: dict[int, TranscribedSegment] = {}
    now: dict[int, TranscribedSegment] = {}
    cost = {"final_s": 0.0, "settle_s": 0.0}

    def act(actions: list[live.Action]) -> None:
        for action in actions:
            if isinstance(action, live.Final):
                started = time.perf_counter()
                result = engine.transcribe_utterance(audio.pcm16_to_float32(action.cut.pcm))
                cost["final_s"] += time.perf_counter() - started
                act(session.final_done(action, result, processing_ms=0, now=0.0))
                if result is not None:
                    line = result.shifted(action.cut.start_ms)
                    first[len(first)] = now[len(now)] = line
                    session.final_stored(action, len(first) - 1, result)
            elif isinstance(action, live.Settle):
                settle(action)

    def settle(action: live.Settle) -> bool:
        started = time.perf_counter()
        heard = list(engine.transcribe_file(audio.pcm16_to_float32(action.pcm)))
        cost["settle_s"] += time.perf_counter() - started
        for line, corrected in session.settle_done(action, heard, processing_ms=0):
            now[line.segment_id] = corrected
        return True

    for offset in range(0, len(pcm), FRAME_BYTES):
        act(session.feed(pcm[offset : offset + FRAME_BYTES], now=offset / 32000, capacity=False, idle=idle))
    act(session.flush(now=len(pcm) / 32000))
    while (remaining := session.settle_remaining(idle=idle)) is not None:
        settle(remaining)
    stats = {**session.stats.as_json(), **cost}
    return list(first.values()), [now[i] for i in sorted(now)], stats


def refined(engine: LocalSpeechEngine, path: Path, live_lines: list[TranscribedSegment]) -> tuple[list[careful.Line], float]:
    started = time.perf_counter()
    lines = []
    for offset, samples in audio.read_blocks(path, block_s=300):
        lines += careful.transcribe_block(engine, samples, offset_ms=offset * 1000 // SAMPLE_RATE, live=live_lines)
    return lines, time.perf_counter() - started


def run_meeting(engine: LocalSpeechEngine, meeting: CorpusMeeting, streams: str, idle: bool) -> dict[str, Any]:
    pcm = _pcm(meeting.audio)
    started = time.perf_counter()
    base = offline(engine, meeting.audio)
    offline_s = time.perf_counter() - started
    firsts, settled, stats = [], [], {}
    sources = [pcm] if streams == "room" else [only_turns_of(pcm, meeting.turns, s) for s in _speakers(meeting)]
    for stream in sources:
        f, s, st = live_stream(engine, stream, idle=idle)
        firsts, settled = firsts + f, settled + s
        stats = {k: stats.get(k, 0) + v for k, v in st.items() if isinstance(v, (int, float))}
    firsts.sort(key=lambda x: x.start_ms)
    settled.sort(key=lambda x: x.start_ms)
    lines, refined_s = refined(engine, meeting.audio, settled)
    hypotheses = {
        "offline": base, "live": firsts, "settled": settled, "refined": [line.segment for line in lines],
    }
    texts = {k: " ".join(s.text for s in v) for k, v in hypotheses.items()}
    texts["refined"] = " ".join(line.segment.text for line in lines if line.fallback != "inaudible")
    return {
        "id": meeting.id, "split": meeting.split, "minutes": meeting.duration_s / 60, "reference": meeting.text,
        "texts": texts,
        "lost": {k: lost_turns(meeting.turns, [_as_dict(s) for s in v]) for k, v in hypotheses.items()},
        "fallbacks": {kind: sum(1 for line in lines if line.fallback == kind) for kind in ("live", "inaudible")},
        "seconds": {"offline": offline_s, "live": stats.get("final_s", 0), "settle": stats.get("settle_s", 0),
                    "refined": refined_s},
        "settles": stats.get("settles", 0),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=["tune", "heldout", "all"], default="all")
    parser.add_argument("--only", default="", help="comma-separated meeting ids")
    parser.add_argument("--streams", choices=["room", "speaker"], default="room")
    parser.add_argument("--busy", action="store_true",
                        help="settle as when other streams keep the workers busy (no stream since the last final)")
    parser.add_argument("--fresh", action="store_true")
    parser.add_argument("--json", type=Path, help="also write every result here")
    args = parser.parse_args()
    from django.conf import settings

    engine = LocalSpeechEngine(cpu_threads=settings.MINA_WHISPER_THREADS, num_workers=1)
    engine.warm_up()
    chosen = meetings(None if args.split == "all" else args.split)
    if args.only:
        chosen = [m for m in chosen if m.id in args.only.split(",")]
    print(f"tiny.en int8, {settings.MINA_WHISPER_THREADS} thread(s); {len(chosen)} meetings, {args.streams} streams{', busy' if args.busy else ''}; load {os.getloadavg()[0]:.1f}")
    print(f"{'meeting':<16}{'split':<8}{'min':>5}" + "".join(f"{p:>9}" for p in PASSES)
          + "   lost turns o/l/s/r   live/inaudible lines")
    results = []
    for meeting in chosen:
        result = _cached(meeting, args, lambda m=meeting: run_meeting(engine, m, args.streams, not args.busy))
        results.append(result)
        rates = [wer([result["reference"]], [result["texts"][p]]) for p in PASSES]
        lost = "/".join(str(len(result["lost"][p])) for p in PASSES)
        print(f"{meeting.id:<16}{meeting.split:<8}{result['minutes']:>5.1f}" + "".join(f"{r:>9.1%}" for r in rates)
              + f"   {lost:<20} {result['fallbacks']['live']}/{result['fallbacks']['inaudible']}", flush=True)
    for split in ("tune", "heldout", "all"):
        group = [r for r in results if split == "all" or r["split"] == split]
        if group:
            print(_pooled(split, group))
    audio_s = sum(r["minutes"] for r in results) * 60
    seconds = {k: sum(r["seconds"][k] for r in results) for k in ("offline", "live", "settle", "refined")}
    print("compute per audio second: " + ", ".join(f"{k} {v / audio_s:.3f}" for k, v in seconds.items()))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


def _pooled(split: str, group: list[dict[str, Any]]) -> str:
    references = [r["reference"] for r in group]
    rates = [wer(references, [r["texts"][p] for r in group]) for p in PASSES]
    lost = "/".join(str(sum(len(r["lost"][p]) for r in group)) for p in PASSES)
    minutes = sum(r["minutes"] for r in group)
    return f"{'pooled ' + split:<24}{minutes:>5.0f}" + "".join(f"{r:>9.1%}" for r in rates) + f"   {lost}"


def _cached(meeting: CorpusMeeting, args: argparse.Namespace, run: Any) -> dict[str, Any]:
    code = b"".join(p.read_bytes() for p in (
        Path(__file__), ROOT / "transcription" / "live.py", ROOT / "transcription" / "careful.py",
        ROOT / "transcription" / "engines" / "speech_local.py", ROOT / "transcription" / "audio.py",
        ROOT / "transcription" / "engines" / "base.py",  # what a confident final is
    ))
    key = hashlib.sha256(code + meeting.audio.read_bytes() + args.streams.encode() + b"busy" * args.busy).hexdigest()[:16]
    path = CACHE / "fidelity" / f"{meeting.id}-{key}.json"
    if path.exists() and not args.fresh:
        return json.loads(path.read_text())
    result = run()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result))
    return result


def _pcm(path: Path) -> bytes:
    with wave.open(str(path), "rb") as wav:
        return wav.readframes(wav.getnframes())


def _speakers(meeting: CorpusMeeting) -> list[str]:
    return sorted({t["speaker"] for t in meeting.turns})


def _as_dict(segment: TranscribedSegment) -> dict[str, Any]:
    return {"start_ms": segment.start_ms, "end_ms": segment.end_ms, "text": segment.text,
            "words": [{"start_ms": w.start_ms, "end_ms": w.end_ms, "word": w.word} for w in segment.words]}


if __name__ == "__main__":
    main()
