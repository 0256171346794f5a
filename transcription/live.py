"""Live transcription pieces that know nothing of sockets.

`Segmenter` cuts a 16 kHz PCM16 stream into utterances with webrtcvad on 30 ms frames:
a partial snapshot once per `partial_every_ms` of a growing utterance, and the final as
soon as the detector hears `silence_ms` of silence (or at the maximum length).

The transcription pool runs the engine off the event loop on a bounded thread pool.
"""

from __future__ import annotations

import asyncio
import collections
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import webrtcvad
from django.conf import settings

from .engines import get_speech_engine
from .engines.base import SAMPLE_RATE, TranscribedSegment

FRAME_MS = 30
FRAME_BYTES = SAMPLE_RATE * 2 * FRAME_MS // 1000  # 960


@dataclass(frozen=True)
class Cut:
    """Audio to transcribe: `final` or a partial snapshot of utterance `utterance_id`."""

    utterance_id: str
    start_sample: int  # in the stream
    pcm: bytes
    final: bool

    @property
    def start_ms(self) -> int:
        return self.start_sample * 1000 // SAMPLE_RATE

    @property
    def end_ms(self) -> int:
        return self.start_ms + len(self.pcm) * 1000 // (SAMPLE_RATE * 2)


class Segmenter:
    def __init__(
        self,
        *,
        start_sample: int = 0,
        aggressiveness: int | None = None,
        silence_ms: int | None = None,
        max_utterance_ms: int | None = None,
        padding_ms: int | None = None,
        partial_every_ms: int | None = None,
    ) -> None:
        self.vad = webrtcvad.Vad(
            settings.MINA_VAD_AGGRESSIVENESS if aggressiveness is None else aggressiveness
        )
        self.silence_frames = (silence_ms or settings.MINA_VAD_SILENCE_MS) // FRAME_MS
        self.max_frames = int(
            (max_utterance_ms or settings.MINA_VAD_MAX_UTTERANCE_S * 1000) // FRAME_MS
        )
        padding = padding_ms if padding_ms is not None else settings.MINA_VAD_PADDING_MS
        self.partial_frames = (partial_every_ms or settings.MINA_PARTIAL_EVERY_MS) // FRAME_MS
        self.ring: collections.deque[tuple[bytes, bool]] = collections.deque(
            maxlen=max(1, padding // FRAME_MS)
        )
        self.position = start_sample  # samples consumed into frames so far
        self.pending = b""
        self.frames: list[bytes] = []
        self.start_sample = 0
        self.trailing_silence = 0
        self.utterance_id = ""

    @property
    def in_speech(self) -> bool:
        return bool(self.frames)

    def feed(self, pcm: bytes) -> list[Cut]:
        data = self.pending + pcm
        whole = len(data) - len(data) % FRAME_BYTES
        self.pending = data[whole:]
        cuts: list[Cut] = []
        for offset in range(0, whole, FRAME_BYTES):
            cut = self._frame(data[offset : offset + FRAME_BYTES])
            if cut is not None:
                cuts.append(cut)
        return cuts

    def flush(self) -> list[Cut]:
        """End of stream: whatever utterance is open becomes final."""
        if self.pending and self.in_speech:
            self.frames.append(self.pending)
        self.pending = b""
        return [self._final()] if self.in_speech else []

    def _frame(self, frame: bytes) -> Cut | None:
        speech = self.vad.is_speech(frame, SAMPLE_RATE)
        self.position += FRAME_BYTES // 2
        if not self.in_speech:
            self.ring.append((frame, speech))
            voiced = sum(1 for _, s in self.ring if s)
            if speech and voiced * 2 > self.ring.maxlen:  # type: ignore[operator]
                self._open()
            return None
        self.frames.append(frame)
        self.trailing_silence = 0 if speech else self.trailing_silence + 1
        if self.trailing_silence >= self.silence_frames or len(self.frames) >= self.max_frames:
            return self._final()
        if len(self.frames) % self.partial_frames == 0:
            return Cut(self.utterance_id, self.start_sample, b"".join(self.frames), final=False)
        return None

    def _open(self) -> None:
        self.frames = [f for f, _ in self.ring]
        self.ring.clear()
        self.start_sample = self.position - len(self.frames) * FRAME_BYTES // 2
        self.trailing_silence = 0
        self.utterance_id = uuid.uuid4().hex[:12]

    def _final(self) -> Cut:
        # Keep a little of the trailing silence: Whisper clips the last word without it.
        keep = len(self.frames) - max(0, self.trailing_silence - 5)
        cut = Cut(self.utterance_id, self.start_sample, b"".join(self.frames[:keep]), final=True)
        self.frames = []
        self.trailing_silence = 0
        return cut


# --- The transcription pool ------------------------------------------------------------

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()
_in_flight = 0


def _get_pool() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(
                max_workers=settings.MINA_TRANSCRIBE_WORKERS, thread_name_prefix="mina-stt"
            )
        return _pool


def pool_busy() -> bool:
    """True when every transcription thread is taken: partials are skipped then."""
    return _in_flight >= settings.MINA_TRANSCRIBE_WORKERS


async def _run(fn: Any, *args: Any) -> Any:
    global _in_flight
    _in_flight += 1
    try:
        return await asyncio.get_running_loop().run_in_executor(_get_pool(), fn, *args)
    finally:
        _in_flight -= 1


async def transcribe_final(pcm: bytes) -> TranscribedSegment | None:
    from .audio import pcm16_to_float32

    return await _run(get_speech_engine().transcribe_utterance, pcm16_to_float32(pcm))


async def transcribe_partial(pcm: bytes) -> str:
    from .audio import pcm16_to_float32

    return await _run(get_speech_engine().transcribe_partial, pcm16_to_float32(pcm))
