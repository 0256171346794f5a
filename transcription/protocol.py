"""The audio socket's messages, checked: a `start`, a binary frame, the pace of audio.

What the socket speaks is in docs/api.md: `start` with 16 kHz mono PCM16 (and the
`stream_id` to resume, a guest's `speaker` name), frames of whole samples up to a
second, audio no faster than real time (with a burst for what a reconnect resends).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from core.errors import Invalid, MinaError, Throttled

from .engines.base import SAMPLE_RATE

BYTES_PER_MS = SAMPLE_RATE * 2 // 1000
MAX_FRAME_BYTES = SAMPLE_RATE * 2  # one second


class StartTimeout(MinaError):
    status = 408
    code = "start_timeout"


@dataclass(frozen=True)
class Start:
    stream_id: uuid.UUID | None  # the stream to resume
    guest: str  # a guest speaker's name
    room: bool  # a microphone several people speak into


def parse_start(message: dict[str, Any]) -> Start:
    """What a `start` asks for."""
    if message.get("format", "pcm_s16le") != "pcm_s16le" or message.get("sample_rate") != SAMPLE_RATE:
        raise Invalid(
            "Send 16 kHz mono PCM16 audio: {\"sample_rate\": 16000, \"format\": \"pcm_s16le\"}.",
            code="unsupported_format",
        )
    guest = message.get("speaker") or ""
    if not isinstance(guest, str):
        raise Invalid("`speaker` must be a name.", code="bad_start")
    room = message.get("room", False)
    if not isinstance(room, bool):
        raise Invalid("`room` is true or false.", code="bad_start")
    value = message.get("stream_id")
    if value in (None, ""):
        return Start(None, guest, room)
    try:
        return Start(uuid.UUID(str(value)), guest, room)
    except ValueError:
        raise Invalid("`stream_id` must be the id the server gave.", code="bad_start") from None


def check_frame(data: bytes) -> None:
    if len(data) % 2:
        raise Invalid("Frames must hold whole 16-bit samples (an even number of bytes).", code="odd_frame")
    if len(data) > MAX_FRAME_BYTES:
        raise Invalid("Frames must be at most one second of audio.", code="frame_too_long")


def check_pace(*, sent_bytes: int, elapsed_s: float) -> None:
    """Real time, times a slack, plus a burst for audio buffered during a reconnect."""
    allowed_ms = elapsed_s * 1000 * settings.MINA_REALTIME_SLACK + settings.MINA_RESUME_BURST_MS
    if sent_bytes / BYTES_PER_MS > allowed_ms:
        raise Throttled("Audio is arriving faster than real time.", code="too_fast")
