"""Stream WAV files into the audio socket the way a browser does (100 ms PCM16 frames)."""

from __future__ import annotations

import json
import wave
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.corpus import scoring
from tests.sockets import access_token, connect, receive
from transcription import audio

FRAME_BYTES = 3200  # 100 ms of 16 kHz mono PCM16


def decode(path: Path | str) -> np.ndarray:
    """A whole (short) file as float32 mono 16 kHz, as the careful pass reads it."""
    return np.concatenate([samples for _, samples in audio.read_blocks(path, block_s=3600)])


def read_pcm(path: Path) -> bytes:
    with wave.open(str(path), "rb") as wav:
        assert wav.getframerate() == 16000 and wav.getnchannels() == 1 and wav.getsampwidth() == 2
        return wav.readframes(wav.getnframes())


def frames(pcm: bytes, size: int = FRAME_BYTES) -> list[bytes]:
    return [pcm[i : i + size] for i in range(0, len(pcm), size)]


def only_turns_of(pcm: bytes, turns: list[dict[str, Any]], speaker: str) -> bytes:
    """The meeting as heard by one speaker's microphone: their turns, silence elsewhere."""
    out = bytearray(len(pcm))
    for turn in turns:
        if turn["speaker"] == speaker:
            start, end = turn["start_ms"] * 32, min(len(pcm), turn["end_ms"] * 32 + 3200)
            out[start:end] = pcm[start:end]
    return bytes(out)


async def start(ws: Any, **extra: Any) -> dict[str, Any]:
    await ws.send_json_to({"type": "start", "sample_rate": 16000, "format": "pcm_s16le", **extra})
    ready = await receive(ws, timeout=10)
    assert ready["type"] == "ready", ready
    return ready


async def send_audio(ws: Any, pcm: bytes) -> None:
    for frame in frames(pcm):
        await ws.send_to(bytes_data=frame)


async def stop(ws: Any, timeout: float = 120) -> dict[str, Any]:
    await ws.send_json_to({"type": "stop"})
    while True:
        message = json.loads(await ws.receive_from(timeout=timeout))
        if message["type"] == "stopped":
            return message


def pcm_of(path: Path | str) -> bytes:
    """Any audio file as the PCM16 a browser would send of it."""
    return (np.clip(decode(path), -1, 1) * 32767).astype("<i2").tobytes()


async def record(meeting: Any, user: Any, path: Path | str) -> None:
    """A member records a whole file into the meeting over the audio socket, start to stop."""
    ws, connected, _ = await connect(f"/ws/meetings/{meeting.id}/audio/", token=access_token(user), origin=None)
    assert connected
    try:
        await start(ws)
        await send_audio(ws, pcm_of(path))
        await stop(ws)
    finally:
        await ws.disconnect()


async def collect(ws: Any, until: str = "transcript.final", count: int = 1, timeout: float = 60) -> list[dict[str, Any]]:
    """Events until `count` events of type `until` have arrived."""
    seen: list[dict[str, Any]] = []
    while sum(1 for e in seen if e["type"] == until) < count:
        seen.append(await receive(ws, timeout))
    return seen



def wer(reference: str, hypothesis: str) -> float:
    """Word error rate with the corpus's one normaliser (benchmarks/corpus/scoring.py)."""
    return scoring.wer([reference], [hypothesis])
