"""Workspace glossary: do Whisper's hotwords get jargon and names right (issue 22)?

    DEBUG=1 .venv/bin/python -m benchmarks.glossary                 # 6 meetings, careful + live
    DEBUG=1 .venv/bin/python -m benchmarks.glossary --no-live --show --json out.json
    DEBUG=1 .venv/bin/python -m benchmarks.glossary --false-positives   # only the corpus check, no decoding
    DEBUG=1 .venv/bin/python -m benchmarks.glossary --heard-false-positives tune   # the same on the corpus audio
    DEBUG=1 .venv/bin/python -m benchmarks.glossary --save-raw raw.json   # also keep the lines before respelling
    DEBUG=1 .venv/bin/python -m benchmarks.glossary --from-raw raw.json   # respell those again, no decoding

The meetings are written in benchmarks/glossary/<id>.json: 12 turns, 3 espeak-ng English
voices, each meeting with its workspace's glossary (the ten terms it uses and two it does
not) and its members (the speakers and one more). Two meetings are marked "held_out": they
were not looked at while the prompt was tuned and are reported apart. Rendered once to
.corpus-cache/glossary/<id>-<hash>.wav (16 kHz mono, through the corpus's own `synth`).
`--voices mbrola` reads the same meetings with MBROLA's three US diphone voices instead
(mb-us1 female, mb-us2 and mb-us3 male, given to the speakers in the order each script
lists them; Debian's non-free `mbrola-us1..3`): a second way of speaking the same words,
so a miss that both voice sets share is Whisper's, not one synthesiser's.

Per meeting, with the bundled English engine (`get_speech_engine("en")`, tiny.en):
careful pass (`transcribe_file`) and live finals as first sent (benchmarks.fidelity.live_stream),
each without a prompt (baseline), with the prompt Mina would give (glossary): the real
`workspaces.selectors.glossary_prompt`, fed this meeting's glossary and members in place of
database rows ("<members A-Z> talked about <terms A-Z>."), and with that prompt and then
`transcription.respell.respell` (respelled) on every careful line and every live final, given
the meeting's glossary terms and member names (no second decode: the glossary pass respelt),
the speech model judging readings on each careful line's and each final's audio as the
product does (`respell.on_audio`; a final on the meeting's audio under it, the product's on
its utterance's).
`--from-raw` has no audio: the rules alone.
Live, every final and settle gets the prompt, as transcription/transcribers.py passes it.

Measures (text normalised as the corpus does: lower case, punctuation stripped):
- terms right: occurrences of prompt words (glossary terms and member names) in the reference
  that the hypothesis has spelt exactly, counted per term as min(reference, hypothesis);
- other WER: WER once every prompt word is cut from both reference and hypothesis (a
  misspelt term stays in the hypothesis as other words, so fixing terms also lowers it);
- hallucinated: prompt words the hypothesis has more often than the reference (the
  prompt read out as speech).
Targets: terms right ≥ 90 %, other WER no more than 0.5 points above the baseline.

False corrections (`--false-positives`, the rules): respell, given each meeting's terms and names in turn, on the reference turns
of every corpus meeting (benchmarks/corpus/scripts/*.json, ordinary speech without this jargon);
words changed (normalised) should be ~0, reported per corpus split. Respell's thresholds were
chosen on the tune meetings here and on the tune split of that check. `--heard-false-positives`:
the same over what the careful pass hears of those meetings' audio, rules and model.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import time
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from unittest.mock import patch

import numpy as np

from benchmarks import _django  # noqa: E402

_django.in_place()

from benchmarks.corpus.build import CACHE, espeak_meeting, read_wav  # noqa: E402
from benchmarks.corpus.build import SCRIPTS as CORPUS_SCRIPTS  # noqa: E402
from benchmarks.corpus.scoring import normalise, wer  # noqa: E402
from benchmarks.corpus.voices import SR  # noqa: E402
from benchmarks.fidelity import live_stream  # noqa: E402
from core.languages import ENGLISH  # noqa: E402
from transcription import respell as respelling  # noqa: E402
from transcription.careful import transcribe_block  # noqa: E402
from transcription.engines import get_speech_engine  # noqa: E402
from transcription.engines.base import TranscribedSegment  # noqa: E402
from transcription.engines.speech_local import LocalSpeechEngine  # noqa: E402
from workspaces import selectors  # noqa: E402

SCRIPTS = Path(__file__).resolve().parent / "glossary"
OUT = CACHE / "glossary"
MBROLA_VOICES = ("mb-us1", "mb-us2", "mb-us3")  # a US female voice, then two US male ones
MODES = ("baseline", "glossary", "respelled")


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


def render(script: dict, voices: str) -> Meeting:
    """The meeting's WAV, read by `voices` (espeak or mbrola), rendered unless the cache holds it."""
    mbrola = voices == "mbrola"
    speakers = dict(zip(script["speakers"], MBROLA_VOICES, strict=True)) if mbrola else script["speakers"]
    path = espeak_meeting(OUT, script["id"] + ("-mb" if mbrola else ""), script["turns"], speakers)
    return meeting_of(script, path, len(read_wav(path)) / SR)


def meeting_of(script: dict, audio: Path, seconds: float) -> Meeting:
    text = " ".join(t for _, t in script["turns"])
    words = tuple(dict.fromkeys([*script["glossary"], *script["members"]]))
    return Meeting(script["id"], script["held_out"], audio, text, seconds,
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
    for mode in MODES[:2]:
        prompted = Prompted(engine, meeting.prompt if mode == "glossary" else "")
        started = time.perf_counter()
        # The careful pass as the product runs it: with the coverage guarantee (speech
        # left without words is heard again alone), which the prompt needs (see docs).
        lines = transcribe_block(engine, samples, offset_ms=0, prompt=prompted.prompt)
        heard = [line.segment for line in lines if line.fallback != "inaudible"]
        result = {"careful": " ".join(s.text for s in heard), "careful_s": time.perf_counter() - started,
                  "live": "", "live_final_s": 0.0}
        finals: list[TranscribedSegment] = []
        if with_live:
            finals, _, stats = live_stream(prompted, pcm)  # type: ignore[arg-type]
            result["live"] = " ".join(s.text for s in finals)
            result["live_final_s"] = stats["final_s"]
        out[mode] = result
    # respelled: the glossary pass's own lines and finals, respelt (the decode is the same).
    started = time.perf_counter()
    careful = " ".join(respelling.respell(s, meeting.prompt_words, respelling.on_audio(engine, samples, s)).text
                       for s in heard)
    careful_s = time.perf_counter() - started
    started = time.perf_counter()
    live_text = " ".join(respelling.respell(s, meeting.prompt_words, respelling.on_audio(engine, samples, s)).text
                         for s in finals)
    live_s = time.perf_counter() - started
    gloss = out["glossary"]
    out["respelled"] = {"careful": careful, "careful_s": gloss["careful_s"] + careful_s, "live": live_text,
                        "live_final_s": gloss["live_final_s"] + live_s}
    # What the glossary pass heard, line by line, before respelling: for --from-raw.
    out["raw"] = {"careful": [s.text for s in heard], "live": [s.text for s in finals]}
    return out


def respelt_again(meeting: Meeting, result: dict[str, Any]) -> dict[str, Any]:
    """`result` (saved by --save-raw) with its respelled mode redone by today's respell, from
    the glossary pass's raw lines: respell's rules are tuned on this without decoding again."""
    texts = {}
    for kind in ("careful", "live"):
        started = time.perf_counter()
        segments = [TranscribedSegment(0, 0, line) for line in result["raw"][kind]]
        texts[kind] = " ".join(respelling.respell(s, meeting.prompt_words).text for s in segments)
        texts[kind + "_s"] = time.perf_counter() - started
    gloss = result["glossary"]
    respelled = {"careful": texts["careful"], "careful_s": gloss["careful_s"] + texts["careful_s"],
                 "live": texts["live"], "live_final_s": gloss["live_final_s"] + texts["live_s"]}
    return {**result, "respelled": respelled}


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
    base, gloss, resp = (score(group, mode, kind) for mode in MODES)
    return (f"  {label:<23}{kind:<8}{base.right:>4}/{base.occurrences:<4}{base.accuracy:>5.0%} →{gloss.accuracy:>5.0%}"
            f" →{resp.right:>4}/{resp.occurrences:<4}{resp.accuracy:>5.0%}"
            f"{base.other_wer:>8.1%} →{gloss.other_wer:>6.1%} →{resp.other_wer:>6.1%}"
            f"{(resp.other_wer - base.other_wer) * 100:>+7.1f}p"
            f"{base.hallucinated:>5} →{gloss.hallucinated:>3} →{resp.hallucinated:>3}")


def corpus_turns() -> list[tuple[str, str, list[str]]]:
    """(id, split, reference turns) of every corpus meeting written as turns (not the composites)."""
    scripts = [json.loads(p.read_text()) for p in sorted(CORPUS_SCRIPTS.glob("*.json"))]
    return [(s["id"], s["split"], [t["text"] for t in s["turns"]]) for s in scripts if "turns" in s]


def word_edits(before_text: str, after_text: str) -> list[tuple[list[str], list[str]]]:
    """The runs of normalised words that differ: (words before, words after) each."""
    before, after = normalise(before_text).split(), normalise(after_text).split()
    ops = difflib.SequenceMatcher(a=before, b=after, autojunk=False).get_opcodes()
    return [(before[i1:i2], after[j1:j2]) for op, i1, i2, j1, j2 in ops if op != "equal"]


def false_positives(glossaries: list[dict]) -> tuple[Counter[str], Counter[str], Counter[str]]:
    """Respell, given each glossary's terms and names in turn, on every corpus reference turn:
    (words changed per split, words only recased per split, each change "heard → respelt")."""
    changed: Counter[str] = Counter()
    recased: Counter[str] = Counter()
    examples: Counter[str] = Counter()
    for script in glossaries:
        words = tuple(dict.fromkeys([*script["glossary"], *script["members"]]))
        for _, split, turns in corpus_turns():
            for turn in turns:
                out = respelling.respell(TranscribedSegment(0, 0, turn), words).text
                if out == turn:
                    continue
                edits = word_edits(turn, out)
                changed[split] += sum(len(a) for a, _ in edits)
                examples.update(f"{' '.join(a)} → {' '.join(b)}" for a, b in edits)
                if not edits:  # the same words, some written as the glossary spells them
                    pairs = [(x, y) for x, y in zip(turn.split(), out.split(), strict=False) if x != y]
                    recased[split] += len(pairs)
                    examples.update(f"{x} → {y}" for x, y in pairs)
    return changed, recased, examples


def heard_false_positives(glossaries: list[dict], splits: tuple[str, ...]) -> tuple[Counter[str], Counter[str], int]:
    """The same check on what the careful pass hears of the corpus meetings (no prompt), the
    speech model judging readings on each line's audio as the product does: (words changed
    per split, each change, words heard)."""
    engine = get_speech_engine(ENGLISH)
    changed: Counter[str] = Counter()
    examples: Counter[str] = Counter()
    words = 0
    for meeting_id, split, _ in corpus_turns():
        if split not in splits:
            continue
        samples = read_wav(CACHE / f"{meeting_id}.wav")
        lines = [line.segment for line in transcribe_block(engine, samples, offset_ms=0) if line.segment.text]
        words += sum(len(normalise(s.text).split()) for s in lines)
        for script in glossaries:
            terms = tuple(dict.fromkeys([*script["glossary"], *script["members"]]))
            for line in lines:
                edits = word_edits(line.text, respelling.respell(line, terms, respelling.on_audio(engine, samples, line)).text)
                changed[split] += sum(len(a) for a, _ in edits)
                examples.update(f"{' '.join(a)} → {' '.join(b)}" for a, b in edits)
        print(f"  {meeting_id} ({split}): {sum(changed.values())} words changed so far", flush=True)
    return changed, examples, words


def print_false_positives() -> None:
    changed, recased, examples = false_positives(load(None))
    words = sum(len(normalise(t).split()) for _, _, turns in corpus_turns() for t in turns)
    print(f"\nfalse corrections on ordinary speech ({len(corpus_turns())} corpus meetings, {words} words, each with"
          f" the 6 glossaries): {sum(changed.values())} words changed (tune {changed['tune']}, held out"
          f" {changed['heldout']}), {sum(recased.values())} recased only")
    if examples:
        print("  " + ", ".join(f"{e} ({n})" for e, n in examples.most_common()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="comma-separated meeting ids")
    parser.add_argument("--voices", choices=["espeak", "mbrola"], default="espeak",
                        help="who reads the meetings: espeak-ng's voices, or MBROLA's US voices (mbrola-us1..3)")
    parser.add_argument("--no-live", action="store_true", help="skip the live path (the slowest pass)")
    parser.add_argument("--show", action="store_true", help="print each prompt and transcript")
    parser.add_argument("--json", type=Path, help="also write every transcript here")
    parser.add_argument("--save-raw", type=Path, help="also write each pass's lines before respelling here")
    parser.add_argument("--from-raw", type=Path,
                        help="no decoding: respell the lines --save-raw wrote and score them again")
    parser.add_argument("--false-positives", action="store_true",
                        help="only the false-correction check on the corpus (no decoding)")
    parser.add_argument("--heard-false-positives", metavar="SPLITS",
                        help="only the false-correction check on the corpus audio, e.g. tune,heldout (decodes it)")
    args = parser.parse_args()
    if args.false_positives:
        print_false_positives()
        return
    if args.heard_false_positives:
        changed, examples, words = heard_false_positives(load(None), tuple(args.heard_false_positives.split(",")))
        print(f"\nfalse corrections on heard ordinary speech ({words} words, each with the 6 glossaries):"
              f" {sum(changed.values())} words changed ({', '.join(f'{k} {n}' for k, n in changed.items())})")
        print("  " + ", ".join(f"{e} ({n})" for e, n in examples.most_common()))
        return
    kinds = ("careful",) if args.no_live else ("careful", "live")
    scripts = load(args.only.split(",") if args.only else None)
    saved: dict[str, dict[str, Any]] = {}
    if args.from_raw:
        saved = {r["id"]: r for r in json.loads(args.from_raw.read_text())}
        scripts = [s for s in scripts if s["id"] in saved]
        meetings = [replace(meeting_of(s, Path(), 0.0), seconds=saved[s["id"]]["seconds"]) for s in scripts]
        kinds = tuple(k for k in kinds if any(saved[m.id]["raw"][k] for m in meetings))
    else:
        meetings = [render(s, args.voices) for s in scripts]
    spoken = {w for m in meetings for w in split_terms(m.text, m.prompt_words)[0]}
    terms = spoken & {t for m in meetings for t in m.glossary}
    print(f"tiny.en int8; {len(meetings)} meetings ({sum(m.held_out for m in meetings)} held out), "
          f"{sum(m.seconds for m in meetings) / 60:.1f} min; spoken: {len(terms)} distinct glossary terms,"
          f" {len(spoken - terms)} member names;"
          f" load {os.getloadavg()[0]:.1f}")
    header = (f"  {'':<23}{'pass':<8}{'terms right: base → gloss → respelled':<37}"
              f"{'other WER: base → gloss → resp, Δ base':>39}{'halluc. b → g → r':>18}")
    print(header)
    results: list[tuple[Meeting, dict[str, Any]]] = []
    for meeting in meetings:
        if args.from_raw:
            result = respelt_again(meeting, saved[meeting.id])
        else:
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

    for mode in MODES[1:]:
        print(f"\nprompt words still missed, {mode} (times):")
        for kind in kinds:
            missed = score(results, mode, kind).missed or Counter()
            print(f"  {kind}: " + ", ".join(f"{w} {n}" for w, n in missed.most_common()))
    audio_s = sum(m.seconds for m in meetings)
    for mode in MODES:
        careful_rtf = sum(r[mode]["careful_s"] for _, r in results) / audio_s
        live_rtf = sum(r[mode]["live_final_s"] for _, r in results) / audio_s
        print(f"cost {mode:<9} careful RTF {careful_rtf:.3f}, live finals RTF {live_rtf:.3f}")
    print_false_positives()
    if args.json:
        args.json.write_text(json.dumps([{"id": m.id, "held_out": m.held_out, "prompt": m.prompt,
                                          "reference": m.text, **{k: v for k, v in r.items() if k != "raw"}}
                                         for m, r in results], indent=1))
    if args.save_raw:
        args.save_raw.write_text(json.dumps([{"id": m.id, "seconds": m.seconds, **r} for m, r in results], indent=1))


if __name__ == "__main__":
    main()
