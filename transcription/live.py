"""Live transcription pieces that know nothing of sockets or of where the model runs.

`Segmenter` cuts a 16 kHz PCM16 stream into utterances with webrtcvad on 30 ms frames:
a first partial snapshot `partial_first_ms` into an utterance and then one per
`partial_every_ms`, and the final as soon as the detector hears `silence_ms` of silence
(or at the maximum length). `LoadMonitor` and `StreamStats` record how a stream went;
`transcribers.py` runs the model.
"""

from __future__ import annotations

import collections
import uuid
from dataclasses import asdict, dataclass, field
from typing import Any

import webrtcvad
from django.conf import settings

from .engines.base import SAMPLE_RATE

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
        partial_first_ms: int | None = None,
    ) -> None:
        self.vad = webrtcvad.Vad(
            settings.MINA_VAD_AGGRESSIVENESS if aggressiveness is None else aggressiveness
        )
        self.silence_frames = (silence_ms or settings.MINA_VAD_SILENCE_MS) // FRAME_MS
        self.max_frames = int(
            (max_utterance_ms or settings.MINA_VAD_MAX_UTTERANCE_S * 1000) // FRAME_MS
        )
        padding = padding_ms if padding_ms is not None else settings.MINA_VAD_PADDING_MS
        self.partial_frames = max(1, (partial_every_ms or settings.MINA_PARTIAL_EVERY_MS) // FRAME_MS)
        self.first_partial_frames = max(1, (partial_first_ms or settings.MINA_PARTIAL_FIRST_MS) // FRAME_MS)
        self.ring: collections.deque[tuple[bytes, bool]] = collections.deque(
            maxlen=max(1, padding // FRAME_MS)
        )
        self.position = start_sample  # samples consumed into frames so far
        self.pending = b""
        self.frames: list[bytes] = []
        self.start_sample = 0
        self.trailing_silence = 0
        self.next_partial = 0
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

    def snapshot(self) -> Cut | None:
        """The open utterance so far, for a partial that had to wait for a free worker."""
        if not self.in_speech:
            return None
        return Cut(self.utterance_id, self.start_sample, b"".join(self.frames), final=False)

    def draft_sooner(self, utterance_id: str, after_ms: int) -> None:
        """A draft came back empty (a word just begun): try again after `after_ms` more
        audio instead of a whole `partial_every_ms`."""
        if self.in_speech and utterance_id == self.utterance_id:
            self.next_partial = min(self.next_partial, len(self.frames) + max(1, after_ms // FRAME_MS))

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
        if len(self.frames) >= self.next_partial:
            self.next_partial = len(self.frames) + self.partial_frames
            return self.snapshot()
        return None

    def _open(self) -> None:
        self.frames = [f for f, _ in self.ring]
        self.ring.clear()
        self.start_sample = self.position - len(self.frames) * FRAME_BYTES // 2
        self.trailing_silence = 0
        # The first draft comes early (a speaker wants to see they are heard), then
        # one per `partial_every_ms`; counted in utterance frames, padding included.
        self.next_partial = max(self.first_partial_frames, len(self.frames) + 1)
        self.utterance_id = uuid.uuid4().hex[:12]

    def _final(self) -> Cut:
        # Keep a little of the trailing silence: Whisper clips the last word without it.
        keep = len(self.frames) - max(0, self.trailing_silence - 5)
        cut = Cut(self.utterance_id, self.start_sample, b"".join(self.frames[:keep]), final=True)
        self.frames = []
        self.trailing_silence = 0
        return cut


# --- Load and stats ----------------------------------------------------------------------


class LoadMonitor:
    """Overloaded after `skips` signs of strain within `window_s`; normal again after
    `window_s` without any. A final that waited too long counts as `skips` signs."""

    def __init__(self, *, window_s: float, skips: int) -> None:
        self.window_s = window_s
        self.skips = skips
        self.signs: collections.deque[float] = collections.deque()
        self.overloaded = False

    def strain(self, now: float, weight: int = 1) -> bool | None:
        self.signs.extend([now] * weight)
        return self.check(now)

    def check(self, now: float) -> bool | None:
        """The new state when it changes, else None."""
        while self.signs and now - self.signs[0] > self.window_s:
            self.signs.popleft()
        overloaded = len(self.signs) >= self.skips if not self.overloaded else bool(self.signs)
        if overloaded == self.overloaded:
            return None
        self.overloaded = overloaded
        return overloaded


LATENCIES_KEPT = 1000  # enough for an hour of one speaker; older ones are dropped


@dataclass
class StreamStats:
    """How a live stream went, saved on its recording (added up over reconnects)."""

    audio_ms: int = 0
    processing_ms: int = 0
    partials: int = 0
    partials_skipped: int = 0
    finals: int = 0
    dropped: int = 0
    final_latencies_ms: list[int] = field(default_factory=list)
    overload_periods: list[dict[str, int]] = field(default_factory=list)

    @classmethod
    def resume(cls, saved: dict[str, Any] | None) -> StreamStats:
        stats = cls()
        for name in ("processing_ms", "partials", "partials_skipped", "finals", "dropped"):
            setattr(stats, name, int((saved or {}).get(name, 0)))
        stats.final_latencies_ms = list((saved or {}).get("final_latencies_ms", []))
        stats.overload_periods = list((saved or {}).get("overload_periods", []))
        return stats

    def final_done(self, latency_ms: int) -> None:
        self.finals += 1
        self.final_latencies_ms = [*self.final_latencies_ms, latency_ms][-LATENCIES_KEPT:]

    def as_json(self) -> dict[str, Any]:
        latencies = sorted(self.final_latencies_ms)
        return {
            **asdict(self),
            "final_latency_ms": {
                "median": _percentile(latencies, 50),
                "p90": _percentile(latencies, 90),
            },
            "overloaded_ms": sum(p["end_ms"] - p["start_ms"] for p in self.overload_periods),
        }


def _percentile(ordered: list[int], percent: int) -> int | None:
    """Nearest rank: a latency that really happened, None without any."""
    if not ordered:
        return None
    rank = max(1, -(-percent * len(ordered) // 100))
    return ordered[rank - 1]


def stats_save(*, recording_id: int, stats: dict[str, Any]) -> None:
    """A dropped connection keeps its stats too (`stream_close` saves them on stop)."""
    from .models import Recording

    Recording.objects.filter(pk=recording_id).update(stats=stats)
