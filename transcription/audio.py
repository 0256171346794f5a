"""Audio files: validate uploads, decode for Whisper, store live audio compactly.

Plain Python (no Django), so the rules can be tested alone. Files are judged by their
content, never by their name.
"""

from __future__ import annotations

import itertools
import struct
import wave
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import av
import numpy as np

SAMPLE_RATE = 16_000
MIN_SECONDS = 0.1
# A file holding less than this share of what its header promises is damaged.
DECLARED_RATIO = 0.9
OPUS_BIT_RATE = 24_000
# Below -60 dBFS RMS no voice can be heard; Whisper would only invent words ("You").
SILENCE_RMS = 1e-3

FORMATS = "WAV, MP3, M4A, OGG, WebM or FLAC"
MESSAGES = {
    "empty": "The file is empty. Upload a recording that contains audio.",
    "not_audio": f"This file is not audio we can read. Upload a {FORMATS} recording.",
    "corrupt": (
        "This recording is damaged: it holds less audio than its header promises. "
        "Export it again from the recording app and upload the new file."
    ),
    "too_short": "This recording is too short to transcribe (under 0.1 seconds of audio).",
}


class AudioError(ValueError):
    """Audio we refuse; `code` is stable for clients, `message` is for people."""

    def __init__(self, code: str, message: str | None = None) -> None:
        self.code = code
        self.message = message or MESSAGES[code]
        super().__init__(self.message)


@dataclass(frozen=True)
class AudioInfo:
    duration_ms: int
    format_name: str
    codec_name: str
    sample_rate: int
    channels: int


def probe(path: str | Path, *, max_minutes: float) -> AudioInfo:
    """Check that `path` holds usable audio and measure it, or raise AudioError.

    The duration is counted from decoded frames (no resampling), because headers lie:
    a damaged file can promise far more audio than it holds.
    """
    path = Path(path)
    size = path.stat().st_size
    if size == 0:
        raise AudioError("empty")
    _check_riff_data_size(path, size)
    try:
        container = av.open(str(path), metadata_errors="ignore")
    except av.FFmpegError as exc:
        raise AudioError("not_audio") from exc
    with container:
        if not container.streams.audio:
            raise AudioError("not_audio")
        stream = container.streams.audio[0]
        declared = _declared_seconds(container, stream)
        seconds = _decoded_seconds(container, stream, limit=max_minutes * 60)
        info = AudioInfo(
            duration_ms=round(seconds * 1000),
            format_name=container.format.name,
            codec_name=stream.codec_context.name,
            sample_rate=stream.codec_context.sample_rate,
            channels=stream.codec_context.channels,
        )
    if declared and seconds < DECLARED_RATIO * declared:
        raise AudioError("corrupt")
    if seconds < MIN_SECONDS:
        raise AudioError("too_short")
    return info


def _check_riff_data_size(path: Path, size: int) -> None:
    """Reject a WAV whose data chunk claims more bytes than the file holds.

    FFmpeg clamps a WAV's duration to the file size, so its own duration cannot reveal
    a truncated or garbage-filled WAV; the header's data size can.
    """
    with path.open("rb") as f:
        head = f.read(12)
        if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            return
        offset = 12
        while chunk := f.read(8):
            if len(chunk) < 8:
                return
            chunk_id, chunk_size = struct.unpack("<4sI", chunk)
            offset += 8
            if chunk_id == b"data":
                # Streaming writers leave the size at 0 or 0xFFFFFFFF: nothing promised.
                if chunk_size not in (0, 0xFFFFFFFF) and size - offset < (
                    DECLARED_RATIO * chunk_size
                ):
                    raise AudioError("corrupt")
                return
            offset += chunk_size + (chunk_size & 1)  # chunks are word-aligned
            f.seek(offset)


def _declared_seconds(container: av.container.InputContainer, stream: av.AudioStream) -> float:
    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    if container.duration:
        return container.duration / av.time_base
    return 0.0


def _decoded_seconds(
    container: av.container.InputContainer, stream: av.AudioStream, *, limit: float
) -> float:
    seconds = 0.0
    try:
        for packet in container.demux(stream):
            try:
                frames = packet.decode()
            except av.InvalidDataError:
                continue  # one bad packet; the declared-duration check judges the whole
            seconds += sum(frame.samples / frame.sample_rate for frame in frames)
            if seconds > limit:
                raise AudioError("too_long", _too_long_message(limit))
    except av.FFmpegError as exc:
        raise AudioError("corrupt") from exc
    return seconds


def _too_long_message(limit_s: float) -> str:
    return (
        f"This recording is longer than the {limit_s / 60:g}-minute limit. "
        "Split it into shorter parts and upload them one by one."
    )


# Blocks are cut at the quietest 100 ms of their last seconds, so no word is split.
CUT_FRAME = SAMPLE_RATE // 10


def quiet_cut(samples: np.ndarray, limit: int, search: int) -> int:
    """Where to end a block that may hold `limit` samples: the end of the quietest 100 ms
    among its last `search` samples (the whole array when it is shorter than `limit`)."""
    if limit >= len(samples):
        return len(samples)
    search_from = max(0, limit - search)
    usable = (limit - search_from) // CUT_FRAME * CUT_FRAME
    frames = samples[limit - usable : limit].reshape(-1, CUT_FRAME)
    if not len(frames):
        return limit
    quietest = int(np.argmin(np.square(frames).mean(axis=1)))
    return limit - usable + (quietest + 1) * CUT_FRAME


def read_blocks(
    path: str | Path, *, block_s: float, search_s: float = 20.0, start_ms: int = 0
) -> Iterator[tuple[int, np.ndarray]]:
    """The file as float32 mono 16 kHz in blocks of at most `block_s` seconds, each cut in
    a quiet spot, from `start_ms` on: (offset in samples, samples).

    Decoded as it goes, so memory holds about one block whatever the recording's length
    (a 2-hour meeting is 460 MB as one float32 array).
    """
    limit, search = int(block_s * SAMPLE_RATE), int(search_s * SAMPLE_RATE)
    offset = start_ms * SAMPLE_RATE // 1000
    skip, buffered, pieces = offset, 0, []
    for piece in _decoded_pieces(path):
        if skip >= len(piece):
            skip -= len(piece)
            continue
        piece, skip = piece[skip:], 0
        pieces.append(piece)
        buffered += len(piece)
        while buffered > limit:
            samples = np.concatenate(pieces)
            cut = quiet_cut(samples, limit, search)
            yield offset, samples[:cut]
            offset += cut
            pieces, buffered = [samples[cut:]], len(samples) - cut
    if buffered:
        yield offset, np.concatenate(pieces)


def _decoded_pieces(path: str | Path) -> Iterator[np.ndarray]:
    resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
    try:
        with av.open(str(path), metadata_errors="ignore") as container:
            for frame in itertools.chain(_valid_frames(container.decode(audio=0)), [None]):
                if frame is not None:
                    frame.pts = None  # the resampler numbers its own frames
                for resampled in resampler.resample(frame):
                    yield resampled.to_ndarray().reshape(-1).astype(np.float32) / 32768.0
    except av.FFmpegError as exc:
        raise AudioError("corrupt") from exc


def _valid_frames(frames: Iterator[av.AudioFrame]) -> Iterator[av.AudioFrame]:
    while True:
        try:
            yield next(frames)
        except StopIteration:
            return
        except av.InvalidDataError:
            continue  # one bad packet: the rest of the file is still worth hearing


def speech_spans(samples: np.ndarray) -> list[tuple[int, int]]:
    """Where a voice detector hears speech, in ms, phrase by phrase (Silero VAD, the one
    faster-whisper ships; far better than webrtcvad on noise and music)."""
    # Here, not at the top: it loads onnxruntime, which a web process that only checks
    # uploads never needs.
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    options = VadOptions(min_silence_duration_ms=500, speech_pad_ms=100, min_speech_duration_ms=250)
    return [
        (span["start"] * 1000 // SAMPLE_RATE, span["end"] * 1000 // SAMPLE_RATE)
        for span in get_speech_timestamps(samples, options)
    ]


def pcm16_to_float32(data: bytes) -> np.ndarray:
    """Little-endian signed 16-bit samples (the live socket's format) to float32."""
    if len(data) % 2:
        raise ValueError("PCM16 data must have an even number of bytes.")
    return np.frombuffer(data, dtype="<i2").astype(np.float32) / 32768.0


def is_silent(samples: np.ndarray) -> bool:
    """True for float32 audio too quiet to hold speech, so no model need look at it."""
    return samples.size == 0 or float(np.sqrt(np.mean(np.square(samples)))) < SILENCE_RMS


def write_wav(fileobj: BinaryIO, pcm16: bytes, sample_rate: int = SAMPLE_RATE) -> None:
    """Wrap raw mono PCM16 in a WAV header; `fileobj` stays open."""
    with wave.open(fileobj, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(sample_rate)
        out.writeframes(pcm16)


def compress(path_in: str | Path, path_out: str | Path) -> str:
    """Encode audio as Ogg/Opus, mono 16 kHz at 24 kbit/s; return the extension.

    Speech stays clear for people and Whisper at ~1/20 the size of PCM16. Frames are
    streamed through, so memory stays flat for long meetings.
    """
    resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
    with (
        av.open(str(path_in), metadata_errors="ignore") as source,
        av.open(str(path_out), "w", format="ogg") as target,
    ):
        stream = target.add_stream("libopus", rate=SAMPLE_RATE, layout="mono")
        stream.bit_rate = OPUS_BIT_RATE
        for frame in source.decode(audio=0):
            frame.pts = None  # the encoder numbers resampled frames itself
            for resampled in resampler.resample(frame):
                target.mux(stream.encode(resampled))
        for resampled in resampler.resample(None):
            target.mux(stream.encode(resampled))
        target.mux(stream.encode(None))
    return "ogg"
