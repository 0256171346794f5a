"""Workspace glossary: do Whisper's hotwords get jargon and names right (issue 22)?

    DEBUG=1 .venv/bin/python -m benchmarks.glossary                 # 6 meetings, careful + live
    DEBUG=1 .venv/bin/python -m benchmarks.glossary --no-live --show --json out.json

The meetings are written in benchmarks/glossary/<id>.json: 12 turns, 3 espeak-ng English
voices, each meeting with its workspace's glossary (the ten terms it uses and two it does
not) and its members (the speakers and one more). Two meetings are marked "held_out": they
were not looked at while the prompt was tuned and are reported apart. Rendered once to
.corpus-cache/glossary/<id>-<hash>.wav (16 kHz mono, through the corpus's own `synth`).

Per meeting, with the bundled English engine (`get_speech_engine("en")`, tiny.en):
careful pass (`transcribe_file`) and live finals as first sent (benchmarks.fidelity.live_stream),
each without a prompt (baseline) and with the prompt Mina would give: the real
`workspaces.selectors.glossary_prompt`, fed this meeting's glossary and members in place of
database rows ("Glossary: <terms A-Z>. Names: <members A-Z>."). Live, every final and settle
gets the prompt, as transcription/transcribers.py passes it.

Measures (text normalised as the corpus does: lower case, punctuation stripped):
- terms right: occurrences of prompt words (glossary terms and member names) in the reference
  that the hypothesis has spelt exactly, counted per term as min(reference, hypothesis);
- other WER: WER once every prompt word is cut from both reference and hypothesis (a
  misspelt term stays in the hypothesis as other words, so fixing terms also lowers it);
- hallucinated: prompt words the hypothesis has more often than the reference (the
  prompt read out as speech).
Targets: terms right ≥ 90 %, other WER no more than 0.5 points above the baseline.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from unittest.mock import patch

import numpy as np

from benchmarks import _django  # noqa: E402

_django.in_place()

from benchmarks.corpus.build import CACHE, espeak_meeting, read_wav  # noqa: E402
from benchmarks.corpus.scoring import normalise, wer  # noqa: E402
from benchmarks.corpus.voices import SR  # noqa: E402
from benchmarks.fidelity import live_stream  # noqa: E402
from core.languages import ENGLISH  # noqa: E402
from transcription.careful import transcribe_block  # noqa: E402
from transcription.engines import get_speech_engine  # noqa: E402
from transcription.engines.speech_local import LocalSpeechEngine  # noqa: E402
from workspaces import selectors  # noqa: E402

SCRIPTS = Path(__file__).resolve().parent / "glossary"
OUT = CACHE / "glossary"
MODES = ("baseline", "glossary")


@dataclass(frozen=True)
class Meeting:
    id: str
    held_out: bool
    audio: Path
    text: str
    seconds: float
    glossary: tuple[str, ...]
    prompt_words: tuple[str, ...]  # glossary terms and member names: what the prompt may teach
    prompt: str


def load(only: list[str] | None) -> list[dict]:
    scripts = [json.loads(p.read_text()) for p in sorted(SCRIPTS.glob("*.json"))]
    # Tuned meetings first, held-out last, so the printout reads in that order.
    scripts.sort(key=lambda s: (s["held_out"], s["id"]))
    return [s for s in scripts if not only or s["id"] in only]


class _Members:
    """Stands in for member_list's queryset: glossary_prompt only asks it for display names."""

    def __init__(self, names: list[str]) -> None:
        self.names = names

    def values_list(self, *fields: str, flat: bool = False) -> list[str]:
        return self.names


def prompt_for(script: dict) -> str:
    """Mina's own glossary_prompt on this meeting's glossary and members, without a database,
    so the benchmark follows any change to the prompt's format or length cap. Terms come
    sorted as GlossaryTerm.Meta.ordering ("term") sorts them on SQLite (binary order)."""
    terms = [SimpleNamespace(term=t) for t in sorted(script["glossary"])]
    with (
        patch.object(selectors, "glossary_list", return_value=terms),
        patch.object(selectors, "member_list", return_value=_Members(script["members"])),
    ):
        return selectors.glossary_prompt(workspace=None)  # type: ignore[arg-type]


def render(script: dict) -> Meeting:
    """The meeting's WAV, rendered unless the cache holds it."""
    path = espeak_meeting(OUT, script["id"], script["turns"], script["speakers"])
    text = " ".join(t for _, t in script["turns"])
    words = tuple(dict.fromkeys([*script["glossary"], *script["members"]]))
    return Meeting(script["id"], script["held_out"], path, text, len(read_wav(path)) / SR,
                   tuple(script["glossary"]), words, prompt_for(script))


class Prompted:
    """The engine as Mina's transcribers call it for a workspace: every final, settle and
    draft with the workspace's prompt ("" for the baseline: exactly the unprompted call)."""

    def __init__(self, engine: LocalSpeechEngine, prompt: str) -> None:
        self.engine = engine
        self.prompt = prompt

    def transcribe_utterance(self, audio: np.ndarray, **kwargs: Any) -> Any:
        return self.engine.transcribe_utterance(audio, prompt=self.prompt, **kwargs)

    def transcribe_file(self, audio: np.ndarray, **kwargs: Any) -> Any:
        return self.engine.transcribe_file(audio, prompt=self.prompt, **kwargs)

    def transcribe_partial(self, audio: np.ndarray, **kwargs: Any) -> Any:
        return self.engine.transcribe_partial(audio, prompt=self.prompt, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.engine, name)


def run_meeting(meeting: Meeting, with_live: bool) -> dict[str, Any]:
    """{mode: {"careful": text, "live": text, "careful_s": s, "live_final_s": s}}."""
    engine = get_speech_engine(ENGLISH)
    assert isinstance(engine, LocalSpeechEngine), "the glossary is measured on the local engine"
    samples = read_wav(meeting.audio)
    pcm = (np.clip(samples, -1, 1) * 32767).round().astype("<i2").tobytes()
    out: dict[str, Any] = {}
    for mode in MODES:
        prompted = Prompted(engine, meeting.prompt if mode == "glossary" else "")
        started = time.perf_counter()
        # The careful pass as the product runs it: with the coverage guarantee (speech
        # left without words is heard again alone), which the prompt needs (see docs).
        lines = transcribe_block(engine, samples, offset_ms=0, prompt=prompted.prompt)
        careful = " ".join(line.segment.text for line in lines if line.fallback != "inaudible")
        result = {"careful": careful, "careful_s": time.perf_counter() - started, "live": "", "live_final_s": 0.0}
        if with_live:
            finals, _, stats = live_stream(prompted, pcm)  # type: ignore[arg-type]
            result["live"] = " ".join(s.text for s in finals)
            result["live_final_s"] = stats["final_s"]
        out[mode] = result
    return out


def split_terms(text: str, words: tuple[str, ...]) -> tuple[Counter[str], list[str]]:
    """(how often each prompt word occurs, the other words) in normalised text. Longer
    words are tried first so a two-word term is not also counted as its first word."""
    tokens = normalise(text).split()
    candidates = sorted(((w, normalise(w).split()) for w in words), key=lambda c: -len(c[1]))
    found: Counter[str] = Counter()
    other: list[str] = []
    i = 0
    while i < len(tokens):
        for word, parts in candidates:
            if parts and tokens[i : i + len(parts)] == parts:
                found[word] += 1
                i += len(parts)
                break
        else:
            other.append(tokens[i])
            i += 1
    return found, other


@dataclass
class Score:
    occurrences: int = 0
    right: int = 0
    hallucinated: int = 0
    refs: list[str] | None = None
    hyps: list[str] | None = None
    missed: Counter[str] | None = None

    def add(self, meeting: Meeting, hypothesis: str) -> None:
        ref_terms, ref_other = split_terms(meeting.text, meeting.prompt_words)
        hyp_terms, hyp_other = split_terms(hypothesis, meeting.prompt_words)
        self.occurrences += sum(ref_terms.values())
        self.right += sum(min(n, hyp_terms[w]) for w, n in ref_terms.items())
        self.hallucinated += sum(max(0, n - ref_terms[w]) for w, n in hyp_terms.items())
        self.refs = [*(self.refs or []), " ".join(ref_other)]
        self.hyps = [*(self.hyps or []), " ".join(hyp_other)]
        self.missed = (self.missed or Counter()) + Counter(
            {w: n - hyp_terms[w] for w, n in ref_terms.items() if n > hyp_terms[w]}
        )

    @property
    def accuracy(self) -> float:
        return self.right / self.occurrences if self.occurrences else 0.0

    @property
    def other_wer(self) -> float:
        return wer(self.refs or [], self.hyps or [])


def score(group: list[tuple[Meeting, dict[str, Any]]], mode: str, kind: str) -> Score:
    s = Score()
    for meeting, result in group:
        s.add(meeting, result[mode][kind])
    return s


def _row(label: str, group: list[tuple[Meeting, dict[str, Any]]], kind: str) -> str:
    base, gloss = score(group, "baseline", kind), score(group, "glossary", kind)
    return (f"  {label:<23}{kind:<8}{base.right:>4}/{base.occurrences:<4}{base.accuracy:>6.0%} →{gloss.right:>4}/"
            f"{gloss.occurrences:<4}{gloss.accuracy:>6.0%}{base.other_wer:>9.1%} →{gloss.other_wer:>6.1%}"
            f"{(gloss.other_wer - base.other_wer) * 100:>+7.1f}p{base.hallucinated:>6} →{gloss.hallucinated:>3}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="comma-separated meeting ids")
    parser.add_argument("--no-live", action="store_true", help="skip the live path (the slowest pass)")
    parser.add_argument("--show", action="store_true", help="print each prompt and transcript")
    parser.add_argument("--json", type=Path, help="also write every transcript here")
    args = parser.parse_args()
    kinds = ("careful",) if args.no_live else ("careful", "live")
    meetings = [render(s) for s in load(args.only.split(",") if args.only else None)]
    spoken = {w for m in meetings for w in split_terms(m.text, m.prompt_words)[0]}
    terms = spoken & {t for m in meetings for t in m.glossary}
    print(f"tiny.en int8; {len(meetings)} meetings ({sum(m.held_out for m in meetings)} held out), "
          f"{sum(m.seconds for m in meetings) / 60:.1f} min; spoken: {len(terms)} distinct glossary terms,"
          f" {len(spoken - terms)} member names;"
          f" load {os.getloadavg()[0]:.1f}")
    header = (f"  {'':<23}{'pass':<8}{'terms right: baseline → glossary':<34}{'other WER: base → gloss':<27}"
              f"{'halluc.':>9}")
    print(header)
    results: list[tuple[Meeting, dict[str, Any]]] = []
    for meeting in meetings:
        result = run_meeting(meeting, with_live=not args.no_live)
        results.append((meeting, result))
        if args.show:
            print(f"\n{meeting.id} prompt: {meeting.prompt}\n  reference: {meeting.text}")
            for mode in MODES:
                for kind in kinds:
                    print(f"  {mode} {kind}: {result[mode][kind]}")
        for kind in kinds:
            print(_row(meeting.id + (" (held)" if meeting.held_out else ""), [(meeting, result)], kind), flush=True)

    print("\npooled")
    for label, group in (("tune", [r for r in results if not r[0].held_out]),
                         ("held out", [r for r in results if r[0].held_out]), ("all", results)):
        if group:
            for kind in kinds:
                print(_row(label, group, kind))
    print("targets: terms right >= 90 %, other WER within +0.5 points of the baseline")

    print("\nprompt words still missed with the glossary (times):")
    for kind in kinds:
        missed = score(results, "glossary", kind).missed or Counter()
        print(f"  {kind}: " + ", ".join(f"{w} {n}" for w, n in missed.most_common()))
    audio_s = sum(m.seconds for m in meetings)
    for mode in MODES:
        careful_rtf = sum(r[mode]["careful_s"] for _, r in results) / audio_s
        live_rtf = sum(r[mode]["live_final_s"] for _, r in results) / audio_s
        print(f"cost {mode:<9} careful RTF {careful_rtf:.3f}, live finals RTF {live_rtf:.3f}")
    if args.json:
        args.json.write_text(json.dumps([{"id": m.id, "held_out": m.held_out, "prompt": m.prompt,
                                          "reference": m.text, **r} for m, r in results], indent=1))


if __name__ == "__main__":
    main()
