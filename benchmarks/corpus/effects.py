"""Room, line and noise conditions for the corpus, deterministic for a given seed.

- `level`: every rendered turn is first brought to the same active speech level (-23 dBFS RMS over its voiced
  20 ms frames), then the speaker's `gain_db` is applied (quiet speakers -12 to -20 dB, loud ones +6 dB).
- `telephone`: band-pass 300-3400 Hz, down to 8 kHz, 8-bit mu-law, and back to 16 kHz.
- `reverb`: sox `reverb` (reverberance, HF damping, room scale) on the whole mixed room.
- noise: `babble` (six talkers of other TTS speech, espeak-ng voices and festival, summed), `fan` (brown noise,
  low-passed, with a weak 100 Hz hum) and `music` (sox-synthesised plucked chords). `noise` scales the noise
  to a signal-to-noise ratio against the active speech power.
"""

from __future__ import annotations

import hashlib
import subprocess

import numpy as np

from benchmarks.corpus.voices import SR, sox, synth

TARGET_DB = -23.0
BABBLE_VOICES = ["espeak:en-us+m1", "espeak:en-gb+f2", "espeak:en-us+m4", "festival:slt", "espeak:en-gb-x-rp+f4",
                 "espeak:en-us-nyc+m2"]
BABBLE_TEXT = [
    "I was telling her about the trip to the coast last weekend, the traffic was terrible on the way back.",
    "Did anyone see where the spare chargers went? I thought they were in the second drawer.",
    "The new coffee machine makes a better espresso than the old one, but it takes forever to warm up.",
    "We should book a table for Thursday, maybe the Italian place near the station.",
    "My sister moved to a flat with a garden, so now she wants to grow tomatoes and beans.",
    "The printer on the third floor is jammed again, somebody put the labels in upside down.",
    "I finally finished that novel, the ending was not what I expected at all.",
    "They are repainting the lobby next week so the side entrance will be closed.",
    "He said the match was cancelled because of the rain, so they played cards instead.",
    "If you are going to the shop could you pick up some milk and a loaf of bread?",
    "The parking garage raised its prices again, I might start taking the bus.",
    "She brought those lemon cakes again, they disappeared in about five minutes.",
]


def seed_of(text: str) -> int:
    return int(hashlib.sha256(text.encode()).hexdigest()[:8], 16)


def rng_for(text: str) -> np.random.Generator:
    return np.random.default_rng(seed_of(text))


def frame_power(x: np.ndarray, frame: int = SR // 50) -> np.ndarray:
    n = len(x) // frame
    return (x[: n * frame].reshape(n, frame).astype(np.float64) ** 2).mean(axis=1)


def active_power(x: np.ndarray) -> float:
    """Mean power over the frames within 35 dB of the loudest frame (the voiced part)."""
    p = frame_power(x)
    if not p.size or p.max() == 0:
        return 0.0
    return float(p[p >= p.max() * 10 ** -3.5].mean())


def level(x: np.ndarray, gain_db: float = 0.0) -> np.ndarray:
    p = active_power(x)
    if p == 0:
        return x
    return (x * 10 ** ((TARGET_DB + gain_db) / 20) / np.sqrt(p)).astype(np.float32)


def telephone(x: np.ndarray) -> np.ndarray:
    narrow = sox(x, SR, "sinc", "300-3400", out_sr=8000)
    mu = 255.0
    y = np.clip(narrow, -1, 1)
    y = np.sign(y) * np.log1p(mu * np.abs(y)) / np.log1p(mu)
    y = np.round(y * 127) / 127  # 8-bit mu-law codes
    y = np.sign(y) * ((1 + mu) ** np.abs(y) - 1) / mu
    out = sox(y.astype(np.float32), 8000, out_sr=SR)
    return fit(out, len(x))


def fit(x: np.ndarray, n: int) -> np.ndarray:
    return x[:n] if len(x) >= n else np.concatenate([x, np.zeros(n - len(x), np.float32)])


def reverb_params(rng: np.random.Generator) -> dict:
    return {"reverberance": int(rng.integers(30, 71)), "hf_damping": 50, "room_scale": int(rng.integers(40, 101))}


def reverb(x: np.ndarray, params: dict) -> np.ndarray:
    tail = np.zeros(SR, np.float32)
    wet = sox(np.concatenate([x, tail]), SR, "reverb", params["reverberance"], params["hf_damping"], params["room_scale"])
    return fit(wet, len(x))


def _unit(x: np.ndarray) -> np.ndarray:
    return x / (float(np.std(x)) + 1e-9)


def fan(n: int, rng: np.random.Generator) -> np.ndarray:
    white = rng.standard_normal(n).astype(np.float32)
    rumble = _unit(sox(white, SR, "lowpass", "-1", 60))  # one pole: a brown-noise slope above 60 Hz
    whoosh = _unit(sox(white, SR, "lowpass", 500))
    hum = np.sin(2 * np.pi * 100 * np.arange(n) / SR)
    return fit((rumble + 0.5 * whoosh + 0.1 * hum).astype(np.float32), n)


NOTES = {"C": -9, "D": -7, "E": -5, "F": -4, "G": -2, "A": 0, "B": 2}
CHORDS = [["C3", "E4", "G4", "C5"], ["A2", "E4", "A4", "C5"], ["F2", "F4", "A4", "C5"], ["G2", "D4", "G4", "B4"]]


def _freq(note: str) -> float:
    return 440.0 * 2 ** ((NOTES[note[0]] + 12 * (int(note[1]) - 4)) / 12)


def _pluck(freq: float, n: int) -> np.ndarray:
    cmd = ["sox", "-q", "-n", "-r", "44100", "-c", "1", "-t", "f32", "-", "synth", f"{n / SR}", "pluck", f"{freq:.2f}"]
    cmd += ["rate", str(SR)]
    return fit(np.frombuffer(subprocess.run(cmd, capture_output=True, check=True).stdout, dtype="<f4").copy(), n)


def music(n: int, rng: np.random.Generator) -> np.ndarray:
    bar = 2 * SR
    chords = []
    for chord in CHORDS:
        tones = [_pluck(_freq(note), bar) for note in chord]
        chords.append(sum(fit(t, bar) for t in tones))
    loop = np.concatenate(chords)
    start = int(rng.integers(0, len(loop)))
    reps = (start + n) // len(loop) + 1
    return fit(np.tile(loop, reps)[start : start + n], n)


_babble_streams: list[np.ndarray] = []


def babble(n: int, rng: np.random.Generator) -> np.ndarray:
    if not _babble_streams:
        for i, voice in enumerate(BABBLE_VOICES):
            lines = BABBLE_TEXT[i * 2 :] + BABBLE_TEXT[: i * 2]
            parts = []
            for line in lines:
                parts += [level(synth(line, voice, rate=1.1)), np.zeros(SR // 4, np.float32)]
            _babble_streams.append(np.concatenate(parts))
    out = np.zeros(n, np.float32)
    for stream in _babble_streams:
        start = int(rng.integers(0, len(stream)))
        reps = (start + n) // len(stream) + 1
        out += np.tile(stream, reps)[start : start + n]
    return out


NOISES = {"babble": babble, "fan": fan, "music": music}


def noise(kind: str, n: int, snr_db: float, rng: np.random.Generator, speech_power: float) -> np.ndarray:
    """n samples of the kind of noise, at snr_db below speech_power."""
    x = NOISES[kind](n, rng)
    p = float((x.astype(np.float64) ** 2).mean())
    return (x * np.sqrt(speech_power / p / 10 ** (snr_db / 10))).astype(np.float32) if p else x
