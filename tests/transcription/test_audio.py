"""Upload validation and audio helpers, on the real files people send."""

from __future__ import annotations

import io
import json
import shutil
import wave
from pathlib import Path

import numpy as np
import pytest

from tests.streaming import decode
from transcription import audio
from transcription.audio import AudioError

DATA = Path(__file__).resolve().parents[1] / "data"
SPEECH = DATA / "speech"
STANDUP_MS = json.loads((SPEECH / "standup.json").read_text())["duration_ms"]

GOOD_FILES = {
    "standup.wav": STANDUP_MS,
    "standup.mp3": STANDUP_MS,
    "standup.m4a": STANDUP_MS,
    "standup.ogg": STANDUP_MS,
    "standup.webm": STANDUP_MS,
    "short.wav": json.loads((SPEECH / "short.json").read_text())["duration_ms"],
    "silence.wav": 5000,
    "noise.wav": 5000,
    "../real/jfk.flac": 11000,
    "../real/jfk.wav": 11000,
}


@pytest.mark.parametrize(("name", "truth_ms"), GOOD_FILES.items())
def test_probe_accepts_every_upload_format_and_measures_it(name: str, truth_ms: int) -> None:
    info = audio.probe(SPEECH / name, max_minutes=10)

    assert info.duration_ms == pytest.approx(truth_ms, rel=0.02)
    assert info.sample_rate > 0
    assert info.channels >= 1
    assert info.codec_name


@pytest.mark.parametrize(
    ("name", "code"),
    [("not_audio.mp3", "not_audio"), ("truncated.wav", "corrupt"), ("corrupt.wav", "corrupt")],
)
def test_probe_rejects_bad_files_with_their_code(name: str, code: str) -> None:
    with pytest.raises(AudioError) as caught:
        audio.probe(SPEECH / name, max_minutes=10)

    assert caught.value.code == code
    assert len(caught.value.message) > 30


def test_probe_judges_content_not_the_file_name(tmp_path: Path) -> None:
    renamed = tmp_path / "meeting.txt"
    shutil.copy(SPEECH / "standup.mp3", renamed)

    assert audio.probe(renamed, max_minutes=10).format_name == "mp3"


def test_probe_rejects_an_empty_file(tmp_path: Path) -> None:
    empty = tmp_path / "empty.wav"
    empty.touch()

    with pytest.raises(AudioError) as caught:
        audio.probe(empty, max_minutes=10)

    assert caught.value.code == "empty"


def test_probe_rejects_a_file_cut_off_mid_upload(tmp_path: Path) -> None:
    # The WebM header declares 33 s; only the first half arrived.
    data = (SPEECH / "standup.webm").read_bytes()
    cut = tmp_path / "cut.webm"
    cut.write_bytes(data[: len(data) // 2])

    with pytest.raises(AudioError) as caught:
        audio.probe(cut, max_minutes=10)

    assert caught.value.code == "corrupt"


@pytest.mark.parametrize("size", [b"\x00\x00\x00\x00", b"\xff\xff\xff\xff"])
def test_probe_accepts_a_wav_whose_writer_left_the_size_unset(tmp_path: Path, size: bytes) -> None:
    data = bytearray((SPEECH / "standup.wav").read_bytes())
    data[40:44] = size  # the data chunk's size field in this 44-byte header
    streamed = tmp_path / "streamed.wav"
    streamed.write_bytes(data)

    assert audio.probe(streamed, max_minutes=10).duration_ms == pytest.approx(STANDUP_MS, rel=0.02)


def test_probe_rejects_under_a_tenth_of_a_second(tmp_path: Path) -> None:
    blip = tmp_path / "blip.wav"
    with blip.open("wb") as f:
        audio.write_wav(f, b"\x10\x00" * 800)  # 50 ms

    with pytest.raises(AudioError) as caught:
        audio.probe(blip, max_minutes=10)

    assert caught.value.code == "too_short"


def test_probe_rejects_audio_over_the_limit_and_says_the_limit() -> None:
    with pytest.raises(AudioError) as caught:
        audio.probe(SPEECH / "standup.wav", max_minutes=0.5)

    assert caught.value.code == "too_long"
    assert "0.5-minute" in caught.value.message


def test_decoding_gives_float32_mono_16k_from_stereo_44k() -> None:
    samples = decode(SPEECH / "standup.m4a")

    assert samples.dtype == np.float32
    assert samples.ndim == 1
    assert len(samples) == pytest.approx(STANDUP_MS * 16, rel=0.02)
    assert 0.01 < np.abs(samples).max() <= 1.0


def test_write_wav_and_pcm16_to_float32_round_trip() -> None:
    pcm = np.array([0, 16384, -32768, 32767], dtype="<i2").tobytes()
    buffer = io.BytesIO()
    audio.write_wav(buffer, pcm)

    buffer.seek(0)
    with wave.open(buffer) as wav:
        assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (16000, 1, 2)
        assert wav.readframes(4) == pcm
    np.testing.assert_allclose(audio.pcm16_to_float32(pcm), [0, 0.5, -1, 32767 / 32768])


def test_pcm16_to_float32_refuses_half_a_sample() -> None:
    with pytest.raises(ValueError):
        audio.pcm16_to_float32(b"\x00\x01\x02")


def test_compress_makes_a_much_smaller_file_of_the_same_length(tmp_path: Path) -> None:
    out = tmp_path / "standup.compressed"

    extension = audio.compress(SPEECH / "standup.wav", out)

    info = audio.probe(out, max_minutes=10)
    assert (extension, info.codec_name) == ("ogg", "opus")
    assert info.duration_ms == pytest.approx(STANDUP_MS, rel=0.02)
    assert out.stat().st_size < (SPEECH / "standup.wav").stat().st_size / 8


def test_is_silent_tells_digital_silence_from_noise() -> None:
    assert audio.is_silent(decode(SPEECH / "silence.wav"))
    assert not audio.is_silent(decode(SPEECH / "noise.wav"))
