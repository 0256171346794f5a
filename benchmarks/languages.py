"""Every language Whisper speaks: word error rate, language detection and cost beyond English (issue 22).

    DEBUG=1 .venv/bin/python -m benchmarks.languages                  # de fr es it pt, 3 meetings each, 2 voice sets
    DEBUG=1 .venv/bin/python -m benchmarks.languages --only de,fr --voices espeak --no-live

The meetings are written in benchmarks/languages/<code>.json, each read by two sets of 3
voices: espeak-ng's own (the language's voice, its +m3 variant and one female variant) and
MBROLA's diphone voices driven by espeak-ng (`mb-*`: the language's first female voice and
its first two male ones, a rule fixed before any result; Debian's non-free `mbrola-*`
packages, see benchmarks/corpus/README.md). Rendered once to .corpus-cache/languages/<id>-<hash>.wav
(16 kHz mono, espeak-ng + sox through the corpus's own `synth`); an MBROLA meeting's id ends
in "-mb". Per meeting, WER (the corpus
normaliser: lower case, punctuation stripped, accents kept) of

- offline: faster-whisper on the whole file with the same model (beam 5, VAD filter): the yardstick;
- careful: Mina's careful pass, `get_speech_engine(lang).transcribe_file`;
- live: the finals of Mina's live path (benchmarks.fidelity.live_stream) as first sent;
- auto: the careful pass of an engine told to detect the language.

Target: careful within 1 point of offline. Language detection: clips of 10 s and 30 s at
several offsets of every meeting, plus English clips (tests/data, and built corpus meetings
when .corpus-cache/ has them), through `get_speech_engine("auto").detect_language`;
target ≥ 95 % right. RTF: seconds of compute per second of audio, on this machine.

Voices were chosen on four sentences per voice before any parameter was measured: Whisper
base mishears espeak-ng's female variants (f2/f4 doubled the WER of French and Italian),
so each language keeps the female variant it heard best (f1-f5). Portuguese is read by the
Brazilian voice, in Brazilian spelling: the European `pt` voice came out near 50 % WER and
was labelled Latin or French.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks import _django  # noqa: E402

_django.in_place()

from faster_whisper import WhisperModel  # noqa: E402

from benchmarks.corpus import load as load_corpus  # noqa: E402
from benchmarks.corpus.build import CACHE, SHARED, espeak_meeting, load_scripts, read_wav  # noqa: E402
from benchmarks.corpus.scoring import wer  # noqa: E402
from benchmarks.corpus.voices import SR  # noqa: E402
from benchmarks.fidelity import live_stream  # noqa: E402
from core.languages import AUTO, ENGLISH  # noqa: E402
from transcription.engines import get_speech_engine, speech_model_for  # noqa: E402
from transcription.engines.speech_local import LocalSpeechEngine  # noqa: E402

SCRIPTS = Path(__file__).resolve().parent / "languages"
MBROLA_VOICES = Path("/usr/share/mbrola")
OUT = CACHE / "languages"
LANGUAGES = ("de", "fr", "es", "it", "pt")
VOICE_SETS = {"espeak": "speakers", "mbrola": "mbrola"}  # voice set -> its key in <code>.json
PASSES = ("offline", "careful", "live", "auto")
CLIP_SECONDS = {10: 3, 30: 2}  # clip length -> clips per meeting, spread from start to end
ENGLISH_CORPUS_MEETINGS = 3


@dataclass(frozen=True)
class Meeting:
    id: str
    language: str
    voices: str
    audio: Path
    text: str
    seconds: float


def scripts(languages: list[str], voice_sets: list[str]) -> list[tuple[str, str, dict, dict[str, str]]]:
    """(language, voice set, meeting, speaker -> espeak voice) for every written meeting and voice set."""
    out = []
    for code in languages:
        data = json.loads((SCRIPTS / f"{code}.json").read_text())
        if data["language"] != code:
            raise ValueError(f"{code}.json says it is {data['language']}")
        out += [(code, v, m, data[VOICE_SETS[v]]) for v in voice_sets for m in data["meetings"]]
    return out


def missing_mbrola_voices(speakers: dict[str, str]) -> list[str]:
    """MBROLA voices espeak-ng would look for in /usr/share/mbrola and not find."""
    return [v for v in speakers.values() if v.startswith("mb-") and not (MBROLA_VOICES / v[3:]).is_dir()]


def render(language: str, voices: str, meeting: dict, speakers: dict[str, str]) -> Meeting:
    """The meeting's WAV, rendered unless the cache holds it."""
    text = " ".join(t for _, t in meeting["turns"])
    mid = meeting["id"] + ("-mb" if voices == "mbrola" else "")
    path = espeak_meeting(OUT, mid, meeting["turns"], speakers)
    return Meeting(mid, language, voices, path, text, len(read_wav(path)) / SR)


_offline_models: dict[str, WhisperModel] = {}


def offline(language: str, samples: np.ndarray) -> str:
    """faster-whisper as anyone would call it, with the model Mina uses for the language."""
    path = str(speech_model_for(language))
    if path not in _offline_models:
        _offline_models[path] = WhisperModel(path, device="cpu", compute_type="int8", cpu_threads=2)
    segments, _ = _offline_models[path].transcribe(samples, language=language, beam_size=5, vad_filter=True)
    return " ".join(s.text.strip() for s in segments)


def careful(language: str, samples: np.ndarray) -> tuple[str, float]:
    started = time.perf_counter()
    text = " ".join(s.text for s in get_speech_engine(language).transcribe_file(samples))
    return text, time.perf_counter() - started


def live(language: str, samples: np.ndarray) -> str:
    engine = get_speech_engine(language)
    assert isinstance(engine, LocalSpeechEngine), "the live path is measured on the local engine"
    pcm = (np.clip(samples, -1, 1) * 32767).round().astype("<i2").tobytes()
    finals, _, _ = live_stream(engine, pcm)
    return " ".join(s.text for s in finals)


def run_meeting(meeting: Meeting, with_live: bool) -> dict[str, Any]:
    samples = read_wav(meeting.audio)
    started = time.perf_counter()
    texts = {"offline": offline(meeting.language, samples)}
    offline_s = time.perf_counter() - started
    texts["careful"], careful_s = careful(meeting.language, samples)
    texts["live"] = live(meeting.language, samples) if with_live else ""
    texts["auto"], _ = careful(AUTO, samples)
    return {"texts": texts, "offline_s": offline_s, "careful_s": careful_s}


def clips(samples: np.ndarray) -> list[tuple[int, np.ndarray]]:
    """(seconds, clip) of each length in CLIP_SECONDS, at offsets spread over the audio."""
    out = []
    for seconds, count in CLIP_SECONDS.items():
        size = seconds * SR
        if len(samples) < size:
            continue
        for offset in np.linspace(0, len(samples) - size, count).astype(int):
            out.append((seconds, samples[offset : offset + size]))
    return out


def english_sources() -> list[tuple[str, Path]]:
    """The tests' English meetings, and a few built corpus meetings if .corpus-cache/ has them
    (building the corpus is benchmarks.corpus.build's job, not this one's)."""
    sources = [(mid, Path(str(spec["audio"]))) for mid, spec in SHARED.items()]
    built = [mid for mid in load_scripts() if (CACHE / f"{mid}.wav").exists() and (CACHE / f"{mid}.json").exists()]
    sources += [(m.id, m.audio) for m in load_corpus(built[:ENGLISH_CORPUS_MEETINGS])]
    return sources


def detection(meetings: list[Meeting]) -> list[dict[str, Any]]:
    """One row per clip: which language it is, its length, and what the auto engine heard."""
    engine = get_speech_engine(AUTO)
    sources = [(m.id, m.language, m.voices, m.audio) for m in meetings]
    sources += [(mid, ENGLISH, "english", path) for mid, path in english_sources()]
    rows = []
    for mid, language, voices, path in sources:
        for seconds, clip in clips(read_wav(path)):
            rows.append({"id": mid, "language": language, "voices": voices, "seconds": seconds,
                         "heard": engine.detect_language(clip)})
    return rows


def _rate(rows: list[dict[str, Any]]) -> str:
    return f"{sum(r['heard'] == r['language'] for r in rows)}/{len(rows)}" if rows else "-"


def _pct(rows: list[dict[str, Any]]) -> str:
    return f"{sum(r['heard'] == r['language'] for r in rows) / len(rows):.0%}" if rows else "-"


def _detection_row(label: str, rows: list[dict[str, Any]]) -> str:
    wrong = sorted({f"{r['id']}@{r['seconds']}s:{r['heard']}" for r in rows if r["heard"] != r["language"]})
    by_length = "".join(f"{_rate([r for r in rows if r['seconds'] == s]):>8}" for s in CLIP_SECONDS)
    return f"  {label:<14}{by_length}{_pct(rows):>8}  {' '.join(wrong)}"


def _wers(group: list[tuple[Meeting, dict[str, Any]]], passes: tuple[str, ...]) -> list[float]:
    return [wer([m.text for m, _ in group], [r["texts"][p] for _, r in group]) for p in passes]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(LANGUAGES), help="comma-separated language codes")
    parser.add_argument("--voices", default=",".join(VOICE_SETS), help="comma-separated voice sets: espeak, mbrola")
    parser.add_argument("--no-live", action="store_true", help="skip the live path (the slowest pass)")
    parser.add_argument("--json", type=Path, help="also write every transcript and clip result here")
    args = parser.parse_args()
    languages = args.only.split(",")
    passes = tuple(p for p in PASSES if p != "live" or not args.no_live)
    voice_sets = args.voices.split(",")
    unknown = sorted(set(voice_sets) - set(VOICE_SETS))
    if unknown:
        parser.error(f"unknown voice set {', '.join(unknown)}; choose from {', '.join(VOICE_SETS)}")
    wanted = scripts(languages, voice_sets)
    missing = sorted({v for *_, speakers in wanted for v in missing_mbrola_voices(speakers)})
    if missing:
        parser.error(f"MBROLA voices not installed: {' '.join(missing)} (apt-get install mbrola "
                     f"{' '.join('mbrola-' + v[3:] for v in missing)}, from Debian's non-free; or --voices espeak)")
    meetings = [render(code, v, m, speakers) for code, v, m, speakers in wanted]
    model = Path(str(speech_model_for(languages[0]))).name
    print(f"{model} int8, 2 threads; {len(meetings)} meetings, {sum(m.seconds for m in meetings) / 60:.1f} min;"
          f" load {os.getloadavg()[0]:.1f}")
    print(f"{'meeting':<14}{'lang':<6}{'s':>5}" + "".join(f"{p:>9}" for p in passes) + f"{'care-off':>10}")
    results: list[tuple[Meeting, dict[str, Any]]] = []
    for meeting in meetings:
        result = run_meeting(meeting, with_live="live" in passes)
        results.append((meeting, result))
        rates = _wers([(meeting, result)], passes)
        print(f"{meeting.id:<14}{meeting.language:<6}{meeting.seconds:>5.0f}" + "".join(f"{r:>9.1%}" for r in rates)
              + f"{(rates[1] - rates[0]) * 100:>+9.1f}p", flush=True)

    clip_rows = detection(meetings)
    print("\nlanguage detection (right / clips): 10 s, 30 s, all; wrong clips")
    groups = [(f"{code} {v}", code, v) for code in languages for v in voice_sets]
    groups += [(f"all {v}", "all", v) for v in voice_sets] + [("all", "all", "all")]
    for label, language, voices in [*groups[:-1], (ENGLISH, ENGLISH, "english"), groups[-1]]:
        print(_detection_row(label, [r for r in clip_rows if language in ("all", r["language"])
                                     and voices in ("all", r["voices"], "english" if language == "all" else "")]))
    print("  target >= 95 %  (each 'all <voices>' row counts the English clips too)")

    print("\npooled" + " " * 19 + "".join(f"{p:>9}" for p in passes) + f"{'care-off':>10}{'detect':>8}"
          f"{'RTF off':>9}{'RTF care':>10}")
    for label, language, voices in groups:
        group = [(m, r) for m, r in results if language in ("all", m.language) and voices in ("all", m.voices)]
        rows = [r for r in clip_rows if language in ("all", r["language"]) and voices in ("all", r["voices"])]
        audio_s = sum(m.seconds for m, _ in group)
        rates = _wers(group, passes)
        print(f"  {label:<23}" + "".join(f"{r:>9.1%}" for r in rates) + f"{(rates[1] - rates[0]) * 100:>+9.1f}p"
              + f"{_pct(rows):>8}{sum(r['offline_s'] for _, r in group) / audio_s:>9.3f}"
              + f"{sum(r['careful_s'] for _, r in group) / audio_s:>10.3f}")
    print("care-off: careful minus offline WER in points (target within 1); RTF: compute s / audio s")
    if args.json:
        args.json.write_text(json.dumps({"meetings": [{"id": m.id, "reference": m.text, **r} for m, r in results],
                                         "clips": clip_rows}, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
