"""Word error rate of live finals against offline faster-whisper, on all the test audio.

    python benchmarks/streaming_wer.py [--silence 250,300,350,450] [--windows short,full]

Each stream goes through the live `Segmenter` (webrtcvad, the configured padding and
maximum length, `--silence` ms of silence ending an utterance) in 100 ms frames, as the
audio socket cuts it; every final is transcribed alone by the local engine with the
short window (the utterance's own frames) or the full 30 s window. The streams are
speech/standup.wav, real/jfk.wav, speech/short.wav, and standup cut one microphone per
speaker (tests/streaming.py `only_turns_of`). The baseline is the careful offline pass
(beam 5, VAD filter) on the same stream. WER is over all the words of a set; "all" pools
every set. Also prints how many utterances each setting cut (reference turns in
brackets) and the median engine time per final.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
import wave
from dataclasses import dataclass
from pathlib import Path

import jiwer
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mina.settings")
os.environ.setdefault("DEBUG", "1")  # no server, no database: only the engine
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

from tests.streaming import only_turns_of  # noqa: E402
from transcription.audio import pcm16_to_float32  # noqa: E402
from transcription.engines.speech_local import LocalSpeechEngine  # noqa: E402
from transcription.live import Segmenter  # noqa: E402

DATA = ROOT / "tests" / "data"
NORMALISE = jiwer.Compose(
    [
        jiwer.ToLowerCase(),
        jiwer.RemovePunctuation(),
        jiwer.RemoveMultipleSpaces(),
        jiwer.Strip(),
        jiwer.ReduceToListOfListOfWords(),
    ]
)
FRAME_BYTES = 3200


@dataclass(frozen=True)
class Stream:
    name: str
    pcm: bytes
    reference: str
    turns: int


def read_pcm(path: Path) -> bytes:
    with wave.open(str(path), "rb") as wav:
        return wav.readframes(wav.getnframes())


def streams() -> list[Stream]:
    found = []
    for base in (DATA / "speech" / "standup", DATA / "real" / "jfk", DATA / "speech" / "short"):
        turns = json.loads(base.with_suffix(".json").read_text())["turns"]
        reference = base.with_suffix(".txt").read_text()
        found.append(Stream(base.name, read_pcm(base.with_suffix(".wav")), reference, len(turns)))
    standup = found[0]
    turns = json.loads((DATA / "speech" / "standup.json").read_text())["turns"]
    for speaker in ("Alice", "David", "Carol"):
        mine = [t for t in turns if t["speaker"] == speaker]
        found.append(
            Stream(
                f"standup/{speaker}",
                only_turns_of(standup.pcm, turns, speaker),
                " ".join(t["text"] for t in mine),
                len(mine),
            )
        )
    return found


def cut(pcm: bytes, silence_ms: int) -> list[bytes]:
    segmenter = Segmenter(silence_ms=silence_ms)
    finals = []
    for offset in range(0, len(pcm), FRAME_BYTES):
        finals += [c.pcm for c in segmenter.feed(pcm[offset : offset + FRAME_BYTES]) if c.final]
    return finals + [c.pcm for c in segmenter.flush()]


def wer(references: list[str], hypotheses: list[str]) -> float:
    return float(
        jiwer.wer(references, hypotheses, reference_transform=NORMALISE, hypothesis_transform=NORMALISE)
    )


def transcribe(engine: LocalSpeechEngine, utterances: list[bytes], times: list[float]) -> str:
    texts = []
    for pcm in utterances:
        started = time.perf_counter()
        result = engine.transcribe_utterance(pcm16_to_float32(pcm))
        times.append(time.perf_counter() - started)
        texts.append(result.text if result else "")
    return " ".join(t for t in texts if t)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--silence", default="250,300,350,450", help="ms of silence that end an utterance")
    parser.add_argument("--windows", default="short,full")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    engines = {
        window: LocalSpeechEngine(cpu_threads=args.threads, num_workers=1, final_window=window)
        for window in args.windows.split(",")
    }
    first = next(iter(engines.values()))
    first.warm_up()
    data = streams()
    references = [s.reference for s in data]
    names = [s.name for s in data]
    offline = [" ".join(seg.text for seg in first.transcribe_file(pcm16_to_float32(s.pcm))) for s in data]
    print(f"tiny.en int8, {args.threads} threads; load average {os.getloadavg()[0]:.1f}")
    print(f"{'path':<22}" + "".join(f"{n:>15}" for n in names) + f"{'all':>8}{'ms/final':>10}")
    print(_row("offline, whole stream", [wer([r], [h]) for r, h in zip(references, offline, strict=True)], wer(references, offline)))
    for silence in (int(s) for s in args.silence.split(",")):
        utterances = [cut(s.pcm, silence) for s in data]
        counts = "  ".join(f"{n} {len(u)} [{s.turns}]" for n, u, s in zip(names, utterances, data, strict=True))
        print(f"-- silence {silence} ms: utterances {counts}")
        for window, engine in engines.items():
            times: list[float] = []
            hypotheses = [transcribe(engine, u, times) for u in utterances]
            rates = [wer([r], [h]) for r, h in zip(references, hypotheses, strict=True)]
            print(_row(f"{window} window", rates, wer(references, hypotheses), statistics.median(times)))


def _row(label: str, rates: list[float], pooled: float, seconds: float | None = None) -> str:
    cells = "".join(f"{r:>15.1%}" for r in rates)
    timing = f"{seconds * 1000:>10.0f}" if seconds is not None else ""
    return f"{label:<22}{cells}{pooled:>8.1%}{timing}"


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
