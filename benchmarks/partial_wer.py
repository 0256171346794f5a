"""Word error rate and speed of the local engine's three paths on the same cut turns.

    python benchmarks/partial_wer.py [--threads 2] [--repeat 3]

Turns come from speech/standup.wav (standup.json) and real/jfk.wav (jfk.json). Each
turn goes through the live final (full 30 s window), the partial (short window) and
the careful offline pass, interleaved so a busy machine slows them alike. The offline
pass also runs on the whole files: the baseline of the design's "streaming within
2 points of offline" target. A last line times partials on growing 1 s snapshots, as
a live turn produces them.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import jiwer
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from transcription.audio import decode  # noqa: E402
from transcription.engines.speech_local import LocalSpeechEngine  # noqa: E402

DATA = Path(__file__).resolve().parents[1] / "tests" / "data"
SETS = {"standup": DATA / "speech" / "standup", "jfk": DATA / "real" / "jfk"}
NORMALISE = jiwer.Compose(
    [
        jiwer.ToLowerCase(),
        jiwer.RemovePunctuation(),
        jiwer.RemoveMultipleSpaces(),
        jiwer.Strip(),
        jiwer.ReduceToListOfListOfWords(),
    ]
)
Transcribe = Callable[[np.ndarray], str]
Run = tuple[list[str], list[float]]  # (text per clip, seconds per call)


class CountingEngine(LocalSpeechEngine):
    """Counts partials whose short window was refused, so fallbacks show up."""

    fallbacks = 0

    def _short_window_text(self, audio: np.ndarray) -> str | None:
        text = super()._short_window_text(audio)
        self.fallbacks += text is None
        return text


def run(paths: dict[str, Transcribe], clips: list[np.ndarray], repeat: int) -> dict[str, Run]:
    runs: dict[str, Run] = {label: ([], []) for label in paths}
    for clip in clips:
        for attempt in range(repeat):
            for label, fn in paths.items():
                start = time.perf_counter()
                text = fn(clip)
                runs[label][1].append(time.perf_counter() - start)
                if attempt == 0:
                    runs[label][0].append(text)
    return runs


def wer(reference: list[str], hypothesis: list[str]) -> float:
    return jiwer.wer(
        " ".join(reference),
        " ".join(hypothesis),
        reference_transform=NORMALISE,
        hypothesis_transform=NORMALISE,
    )


def row(label: str, runs: dict[str, Run], refs: dict[str, list[str]]) -> str:
    rates = [wer(refs[n], runs[n][0]) for n in SETS]
    rates.append(wer(sum(refs.values(), []), [t for r in runs.values() for t in r[0]]))
    ms = [t * 1000 for r in runs.values() for t in r[1]]
    cells = " ".join(f"{r:7.1%}" for r in rates)
    return f"{label:<24} {cells} {statistics.median(ms):8.0f} {np.percentile(ms, 90):8.0f}"


def load(name: str) -> tuple[np.ndarray, list[np.ndarray], list[str]]:
    audio = decode(SETS[name].with_suffix(".wav"))
    turns = json.loads(SETS[name].with_suffix(".json").read_text())["turns"]
    clips = [audio[t["start_ms"] * 16 : t["end_ms"] * 16] for t in turns]
    return audio, clips, [t["text"] for t in turns]


def snapshots(clips: list[np.ndarray]) -> list[np.ndarray]:
    """Every whole second of every turn, as the live consumer asks for partials."""
    second = 16_000
    return [clip[:end] for clip in clips for end in range(second, len(clip) + 1, second)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    engine = CountingEngine(cpu_threads=args.threads, num_workers=1)
    engine.warm_up()
    data = {name: load(name) for name in SETS}
    refs = {name: data[name][2] for name in SETS}

    def final(clip: np.ndarray) -> str:
        result = engine.transcribe_utterance(clip)
        return result.text if result else ""

    def offline(clip: np.ndarray) -> str:
        return " ".join(s.text for s in engine.transcribe_file(clip))

    paths = {"final, full window": final, "partial, short window": engine.transcribe_partial}
    paths["offline, per turn"] = offline
    runs = {name: run(paths, data[name][1], args.repeat) for name in SETS}
    print(f"tiny.en int8, {args.threads} threads, {args.repeat} runs per clip (WER; ms per call)")
    print(f"{'path':<24} {'standup':>7} {'jfk':>7} {'all':>7} {'median':>8} {'p90':>8}")
    for label in paths:
        print(row(label, {name: runs[name][label] for name in SETS}, refs))
    whole = {name: run({"offline": offline}, [data[name][0]], 1)["offline"] for name in SETS}
    print(row("offline, whole files", whole, refs))
    growing = [clip for name in SETS for clip in snapshots(data[name][1])]
    times = run({"partial": engine.transcribe_partial}, growing, args.repeat)["partial"][1]
    print(
        f"partials on {len(growing)} growing 1 s snapshots: median "
        f"{statistics.median(times) * 1000:.0f} ms, p90 {np.percentile(times, 90) * 1000:.0f} ms; "
        f"{engine.fallbacks} short windows refused in all (fell back to the full window)"
    )


if __name__ == "__main__":
    main()
