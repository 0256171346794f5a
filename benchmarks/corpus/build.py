"""Render the benchmark corpus to .corpus-cache/<id>.wav (16 kHz mono PCM16) and .corpus-cache/<id>.json.

    python -m benchmarks.corpus.build [--only ID ...] [--long] [--jobs 2] [--force]

A meeting is rebuilt when its script or the code that renders it changed (the JSON carries a hash of both).
`--long` also builds `long-2h`, about two hours of tune meetings repeated, for the batch benchmark.
"""

from __future__ import annotations

import argparse
import hashlib
import inspect
import json
import multiprocessing
import time
import wave
from pathlib import Path

import numpy as np

from benchmarks.corpus import effects, voices
from benchmarks.corpus.voices import SR, engine, synth

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SCRIPTS = HERE / "scripts"
CACHE = ROOT / ".corpus-cache"
DATA = ROOT / "tests" / "data"
CODE = ["voices.py", "effects.py"]
COMPOSE_GAP_MS = 3000
LONG_ID, LONG_MINUTES = "long-2h", 120
SHARED = {  # the tests' own meetings join the corpus as they are
    "standup": {"audio": DATA / "speech" / "standup.wav", "reference": DATA / "speech" / "standup.json",
                "kind": "standup", "title": "Weekly product meeting (tests/data)",
                "voices": {"Alice": "espeak:en-us", "David": "espeak:en-gb", "Carol": "espeak:en-us+f3"},
                "turns": {"fix the login error": 2, "write the survey report": 5, "ship the mobile release on Monday": 4}},
    "jfk": {"audio": DATA / "real" / "jfk.wav", "reference": DATA / "real" / "jfk.json",
            "kind": "speech", "title": "JFK inaugural address excerpt (human speech, tests/data)",
            "voices": {"JFK": "human:jfk"}, "turns": {}},
}


def code_version() -> str:
    """A hash of the code that shapes the audio and the references (not of the table or the command line)."""
    sources = [(HERE / name).read_bytes() for name in CODE]
    sources += [inspect.getsource(f).encode() for f in (render, reference, compose, write_wav, long_script)]
    return hashlib.sha256(b"".join(sources)).hexdigest()[:16]


def load_scripts() -> dict[str, dict]:
    scripts = {}
    for path in sorted(SCRIPTS.glob("*.json")):
        script = json.loads(path.read_text())
        if script["id"] != path.stem:
            raise ValueError(f"{path.name}: id {script['id']} differs from the file name")
        scripts[script["id"]] = script
    plain = [s for s in scripts.values() if "compose" not in s]
    heldout = sum(s["split"] == "heldout" for s in plain)
    if heldout != -(-len(plain) // 3):
        raise ValueError(f"{heldout} of {len(plain)} written meetings are held out, not a third (rounded up)")
    for s in scripts.values():
        mixed = {p for p in s.get("compose", []) if scripts[p]["split"] != s["split"]}
        if mixed:
            raise ValueError(f"{s['id']} is {s['split']} but joins {', '.join(sorted(mixed))}")
    return scripts


def long_script(scripts: dict[str, dict]) -> dict:
    tune = [s for s in scripts.values() if s["split"] == "tune" and "compose" not in s]
    words = sum(len(t["text"].split()) for s in tune for t in s["turns"])
    rounds = int(np.ceil(LONG_MINUTES * 150 / words))  # about 150 spoken words a minute, with pauses
    return {"id": LONG_ID, "kind": "long", "split": "tune", "title": "Two hours of tune meetings, repeated",
            "compose": [s["id"] for _ in range(rounds) for s in tune]}


def script_hash(script: dict, scripts: dict[str, dict]) -> str:
    parts = [json.dumps(script, sort_keys=True), code_version()]
    parts += [script_hash(scripts[c], scripts) for c in sorted(set(script.get("compose", [])))]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def write_wav(path: Path, chunks: list[np.ndarray]) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SR)
        for x in chunks:
            w.writeframes((np.clip(x, -1, 1) * 32767).round().astype("<i2").tobytes())


# Between turns of the small espeak-ng meetings, cycled: a meeting's rhythm without randomness.
PAUSES_MS = (600, 450, 800, 550, 700)


def espeak_meeting(folder: Path, name: str, turns: list, voice_of: dict[str, str]) -> Path:
    """A meeting of espeak-ng voices (`turns`: speaker, words; `voice_of`: speaker to
    espeak voice) with the pauses cycled, rendered unless `folder` holds it rendered by
    this code (the glossary and languages benchmarks)."""
    key = json.dumps([turns, voice_of, PAUSES_MS, inspect.getsource(espeak_meeting)], sort_keys=True)
    path = folder / f"{name}-{hashlib.sha256(key.encode()).hexdigest()[:12]}.wav"
    if not path.exists():
        chunks: list[np.ndarray] = [np.zeros(SR // 2, np.float32)]
        for i, (speaker, said) in enumerate(turns):
            pause = np.zeros(PAUSES_MS[i % len(PAUSES_MS)] * SR // 1000, np.float32)
            chunks += [synth(said, f"espeak:{voice_of[speaker]}") * 0.8, pause]
        folder.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".part")
        write_wav(partial, chunks)
        partial.rename(path)  # a crash mid-write leaves no half meeting in the cache
    return path


def read_wav(path: Path) -> np.ndarray:
    with wave.open(str(path)) as w:
        assert w.getframerate() == SR and w.getnchannels() == 1 and w.getsampwidth() == 2, path
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float32) / 32768.0


def ms(samples: int) -> int:
    return round(samples * 1000 / SR)


def render(script: dict) -> tuple[np.ndarray, dict]:
    """Speak every turn, place it after its pause (or over the previous turn's end), apply the conditions."""
    rng = effects.rng_for(script["id"])
    voices.reset(effects.seed_of(script["id"]))
    speakers, cond = script["speakers"], script["conditions"]
    pieces, placed, end = [], [], 0
    for i, turn in enumerate(script["turns"]):
        voice = speakers[turn["speaker"]]
        x = synth(turn.get("say", turn["text"]), voice["voice"], voice.get("rate", 1.0), voice.get("pitch", 0))
        x = effects.level(x, voice.get("gain_db", 0))
        if voice.get("telephone"):
            x = effects.telephone(x)
        overlap = turn.get("overlap_ms", 0)
        if i and overlap:
            start = max(placed[-1][0] + SR // 4, end - overlap * SR // 1000)
        else:
            start = end + turn.get("pause_ms", 500) * SR // 1000
        pieces.append(x)
        placed.append((start, start + len(x)))
        end = max(end, start + len(x))
    audio = np.zeros(end + SR, np.float32)
    for x, (start, stop) in zip(pieces, placed, strict=True):
        audio[start:stop] += x
    speech_power = effects.active_power(audio)
    applied: dict = {"noise": None, "snr_db": None, "reverb": False, "telephone": False,
                     "similar_voices": bool(cond.get("similar_voices")), "speakers": {}}
    for name, voice in speakers.items():  # a speaker's own noisy line, open only while they talk (100 ms fades)
        if voice.get("noise"):
            own = np.zeros_like(audio)
            mask = np.zeros_like(audio)
            fade = SR // 10
            for x, (start, stop), turn in zip(pieces, placed, script["turns"], strict=True):
                if turn["speaker"] == name:
                    own[start:stop] = x
                    mask[max(0, start - fade) : stop + fade] = 1.0
            mask = np.convolve(mask, np.ones(fade) / fade, mode="same")
            audio += effects.noise(voice["noise"], len(audio), voice["snr_db"], rng, effects.active_power(own)) * mask
    for name, voice in speakers.items():
        extra = {k: voice[k] for k in ("gain_db", "telephone", "noise", "snr_db") if voice.get(k)}
        if extra:
            applied["speakers"][name] = extra
    if cond.get("reverb"):
        params = cond["reverb"] if isinstance(cond["reverb"], dict) else effects.reverb_params(rng)
        audio = effects.reverb(audio, params)
        applied["reverb"] = params
    if cond.get("noise"):
        audio = audio + effects.noise(cond["noise"], len(audio), cond["snr_db"], rng, speech_power)
        applied["noise"], applied["snr_db"] = cond["noise"], cond["snr_db"]
    if cond.get("telephone"):
        audio = effects.telephone(audio)
        applied["telephone"] = True
    applied["overlaps"] = sum(1 for t in script["turns"][1:] if t.get("overlap_ms"))
    peak = float(np.max(np.abs(audio)))
    if peak > 0.95:
        audio *= 0.95 / peak
        applied["scaled_db"] = round(20 * np.log10(0.95 / peak), 1)
    turns = [{"speaker": t["speaker"], "text": t["text"], "start_ms": ms(a), "end_ms": ms(b)}
             for t, (a, b) in zip(script["turns"], placed, strict=True)]
    return audio, reference(script, turns, ms(len(audio)), applied)


def reference(script: dict, turns: list[dict], duration_ms: int, applied: dict) -> dict:
    speakers = {name: {**v, "engine": engine(v["voice"])} for name, v in script["speakers"].items()}
    ref = {"name": script["id"], "id": script["id"], "kind": script["kind"], "split": script["split"],
           "date": script.get("date"), "title": script.get("title"), "sample_rate": SR, "duration_ms": duration_ms,
           "speakers": speakers, "conditions": applied, "turns": turns}
    for key in ("action_items", "decisions", "questions", "not_action_items", "not_decisions"):
        ref[key] = script.get(key, [])
    return ref


def compose(script: dict, refs: dict[str, dict], audios: dict[str, np.ndarray]) -> tuple[list[np.ndarray], dict]:
    """Concatenate built meetings with a pause; offset their turns and the turn numbers of their items."""
    gap = np.zeros(COMPOSE_GAP_MS * SR // 1000, np.float32)
    parts, offset, n_turns = [], 0, 0
    ref = {"name": script["id"], "id": script["id"], "kind": script.get("kind", "composite"), "split": script["split"],
           "date": refs[script["compose"][0]].get("date"), "title": script.get("title"), "sample_rate": SR,
           "speakers": {}, "conditions": {"composed_of": script["compose"], "gap_ms": COMPOSE_GAP_MS},
           "turns": [], "action_items": [], "decisions": [], "questions": [], "not_action_items": [],
           "not_decisions": [], "parts": []}
    for part_id in script["compose"]:
        part, x = refs[part_id], audios[part_id]
        if parts:
            parts.append(gap)
            offset += len(gap)
        start_ms = ms(offset)
        ref["parts"].append({"id": part_id, "start_ms": start_ms, "first_turn": n_turns})
        for name, voice in part["speakers"].items():  # one name may be a different voice in another part
            ref["speakers"][f"{part_id}/{name}"] = voice
        ref["turns"] += [{**t, "start_ms": t["start_ms"] + start_ms, "end_ms": t["end_ms"] + start_ms, "part": part_id}
                         for t in part["turns"]]
        for key in ("action_items", "decisions", "questions", "not_action_items", "not_decisions"):
            ref[key] += [{**item, "turn": item["turn"] + n_turns} if isinstance(item, dict) and "turn" in item
                         else item for item in part.get(key, [])]
        parts.append(x)
        offset += len(x)
        n_turns += len(part["turns"])
    ref["duration_ms"] = ms(offset)
    return parts, ref


def shared_meeting(mid: str) -> tuple[Path, dict]:
    """A test meeting from tests/data, its reference put in the corpus shape."""
    spec = SHARED[mid]
    ref = json.loads(spec["reference"].read_text())
    items = [{**a, "turn": spec["turns"].get(a["text"])} for a in ref.get("action_items", [])]
    decisions = [{"text": d, "turn": spec["turns"].get(d)} for d in ref.get("decisions", [])]
    ref.update({"id": mid, "kind": spec["kind"], "split": "tune", "date": None, "title": spec["title"],
                "speakers": {n: {"voice": v, "engine": engine(v)} for n, v in spec["voices"].items()},
                "conditions": {"noise": None, "snr_db": None, "reverb": False, "telephone": False,
                               "similar_voices": False, "speakers": {}, "overlaps": 0},
                "action_items": items, "decisions": decisions, "questions": [], "not_action_items": [],
                "not_decisions": []})
    return spec["audio"], ref


def is_fresh(mid: str, digest: str) -> bool:
    path = CACHE / f"{mid}.json"
    if not path.exists() or not (CACHE / f"{mid}.wav").exists():
        return False
    return json.loads(path.read_text()).get("hash") == digest


def build_one(args: tuple[dict, str]) -> tuple[str, float]:
    script, digest = args
    started = time.monotonic()
    audio, ref = render(script)
    save(script["id"], [audio], ref, digest)
    return script["id"], time.monotonic() - started


def save(mid: str, chunks: list[np.ndarray], ref: dict, digest: str) -> None:
    CACHE.mkdir(exist_ok=True)
    ref["hash"] = digest
    write_wav(CACHE / f"{mid}.tmp.wav", chunks)
    (CACHE / f"{mid}.tmp.wav").replace(CACHE / f"{mid}.wav")
    (CACHE / f"{mid}.json").write_text(json.dumps(ref, indent=1) + "\n")


def build(only: list[str] | None = None, long: bool = False, jobs: int = 2, force: bool = False,
          quiet: bool = False) -> dict[str, float]:
    """Build what is missing or stale; returns {id: seconds} of what was built."""
    scripts = load_scripts()
    if long:
        scripts[LONG_ID] = long_script(scripts)
    wanted = set(only) if only else {i for i in scripts if i != LONG_ID or long}
    unknown = wanted - set(scripts) - set(SHARED)
    if unknown:
        raise SystemExit(f"unknown meetings: {', '.join(sorted(unknown))}")
    wanted -= set(SHARED)
    for mid in list(wanted):
        wanted |= set(scripts[mid].get("compose", []))
    digests = {mid: script_hash(scripts[mid], scripts) for mid in wanted}
    todo = [mid for mid in sorted(wanted) if force or not is_fresh(mid, digests[mid])]
    plain = [scripts[m] for m in todo if "compose" not in scripts[m]]
    built: dict[str, float] = {}
    if plain:
        with multiprocessing.get_context("fork").Pool(max(1, min(jobs, 2))) as pool:
            for mid, seconds in pool.imap_unordered(build_one, [(s, digests[s["id"]]) for s in plain]):
                built[mid] = seconds
                if not quiet:
                    print(f"  rendered {mid} in {seconds:.1f} s", flush=True)
    for mid in todo:
        script = scripts[mid]
        if "compose" in script:
            started = time.monotonic()
            parts = sorted(set(script["compose"]))
            refs = {p: json.loads((CACHE / f"{p}.json").read_text()) for p in parts}
            audio, ref = compose(script, refs, {p: read_wav(CACHE / f"{p}.wav") for p in parts})
            save(mid, audio, ref, digests[mid])
            built[mid] = time.monotonic() - started
    return built


def table(ids: list[str] | None = None) -> str:
    from benchmarks.corpus import load

    rows = ["| id | kind | split | min | speakers | engines | conditions |", "| --- | --- | --- | --- | --- | --- | --- |"]
    for m in load(ids):
        ref = m.reference
        engines = ", ".join(sorted({s["engine"] for s in ref["speakers"].values()}))
        rows.append(f"| {m.id} | {m.kind} | {m.split} | {ref['duration_ms'] / 60000:.1f} | {len(ref['speakers'])} | "
                    f"{engines} | {describe(ref['conditions'])} |")
    return "\n".join(rows)


def describe(cond: dict) -> str:
    if "composed_of" in cond:
        return f"{len(cond['composed_of'])} meetings joined"
    out = []
    if cond.get("noise"):
        out.append(f"{cond['noise']} {cond['snr_db']} dB")
    if cond.get("reverb"):
        out.append("reverb")
    if cond.get("telephone"):
        out.append("telephone")
    if cond.get("similar_voices"):
        out.append("similar voices")
    for name, extra in cond.get("speakers", {}).items():
        bits = [f"{extra['gain_db']:+g} dB" if "gain_db" in extra else "", "phone" if extra.get("telephone") else "",
                f"{extra['noise']} {extra['snr_db']} dB" if extra.get("noise") else ""]
        out.append(f"{name}: " + " ".join(b for b in bits if b))
    if cond.get("overlaps"):
        out.append(f"{cond['overlaps']} overlap" + "s" * (cond["overlaps"] > 1))
    return "; ".join(out) or "clean"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", metavar="ID")
    parser.add_argument("--long", action="store_true", help=f"also build {LONG_ID}")
    parser.add_argument("--jobs", type=int, default=2, help="render processes (at most 2)")
    parser.add_argument("--force", action="store_true", help="rebuild even when the cache is fresh")
    args = parser.parse_args()
    started = time.monotonic()
    built = build(args.only, args.long, args.jobs, args.force)
    print(f"built {len(built)} meeting(s) in {time.monotonic() - started:.0f} s into {CACHE}")
    ids = args.only or None
    if ids is None and args.long:
        ids = [m.id for m in __import__("benchmarks.corpus", fromlist=["meetings"]).meetings(include_long=True)]
    print(table(ids))


if __name__ == "__main__":
    main()
