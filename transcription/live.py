"""Live transcription pieces that know nothing of sockets.

`Segmenter` cuts a 16 kHz PCM16 stream into utterances with webrtcvad on 30 ms frames:
a first partial snapshot `partial_first_ms` into an utterance and then one per
`partial_every_ms`, and the final as soon as the detector hears `silence_ms` of silence
(or at the maximum length).

A `Transcriber` runs the engine off the event loop, chosen by `MINA_LIVE_TRANSCRIBER`:
`pool` (embedded) is a bounded thread pool in this process where finals go before
partials and partials expire; `celery` (scaled) sends stateless jobs to the `realtime`
queue and gets the results back through the channel layer, so web processes never do
heavy compute. `LoadMonitor` and `StreamStats` record how a stream went.
"""

from __future__ import annotations

import asyncio
import base64
import collections
import itertools
import logging
import queue
import threading
import time
import uuid
from concurrent.futures import Future
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

import webrtcvad
from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings

from .engines import get_speech_engine
from .engines.base import SAMPLE_RATE, TranscribedSegment, Word

logger = logging.getLogger(__name__)

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


# --- Transcribers ----------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """A transcriber's answer: `result` is None for a partial that expired unheard."""

    result: TranscribedSegment | str | None
    processing_ms: int = 0


class Transcriber(Protocol):
    async def start(self) -> None: ...

    async def close(self) -> None: ...

    def partial_capacity(self) -> bool:
        """Whether a partial may be sent now (else it waits for the next frame)."""

    async def partial(self, pcm: bytes) -> Outcome: ...

    async def final(self, pcm: bytes) -> Outcome:
        """Never expires: late under load, but always answered."""


def transcriber() -> Transcriber:
    if settings.MINA_LIVE_TRANSCRIBER == "celery":
        return CeleryTranscriber()
    return PoolTranscriber()


def _transcribe(kind: str, pcm: bytes) -> Outcome:
    """Run the engine on one job (pool thread or Celery worker), timing it."""
    from .audio import pcm16_to_float32

    engine = get_speech_engine()
    samples = pcm16_to_float32(pcm)
    started = time.perf_counter()
    transcribe = engine.transcribe_utterance if kind == "final" else engine.transcribe_partial
    result: TranscribedSegment | str | None = transcribe(samples)
    return Outcome(result, int((time.perf_counter() - started) * 1000))


FINAL, PARTIAL = 0, 1  # pool priorities: a final never waits behind partials


class _PriorityPool:
    """A fixed set of threads taking finals first; a partial older than its deadline is
    answered "expired" unrun, so a backlog of stale drafts never delays a final."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.jobs: queue.PriorityQueue[tuple[int, int, float | None, str, bytes, Future[Outcome]]] = (
            queue.PriorityQueue()
        )
        self.order = itertools.count()
        self.in_flight = 0
        self.partials_in_flight = 0
        self.lock = threading.Lock()
        for index in range(workers):
            threading.Thread(target=self._work, name=f"mina-stt-{index}", daemon=True).start()

    def submit(self, kind: str, pcm: bytes, deadline: float | None) -> Future[Outcome]:
        future: Future[Outcome] = Future()
        priority = FINAL if kind == "final" else PARTIAL
        with self.lock:
            self.in_flight += 1
            self.partials_in_flight += priority
        self.jobs.put((priority, next(self.order), deadline, kind, pcm, future))
        return future

    def _work(self) -> None:
        while True:
            priority, _, deadline, kind, pcm, future = self.jobs.get()
            try:
                if not future.set_running_or_notify_cancel():
                    continue  # its socket is gone
                if deadline is not None and time.monotonic() > deadline:
                    future.set_result(Outcome(None))
                else:
                    future.set_result(_transcribe(kind, pcm))
            except BaseException as exc:  # the waiting consumer logs it
                future.set_exception(exc)
            finally:
                with self.lock:
                    self.in_flight -= 1
                    self.partials_in_flight -= priority


_pool: _PriorityPool | None = None
_pool_lock = threading.Lock()
_warmed = threading.Event()


def _get_pool() -> _PriorityPool:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = _PriorityPool(settings.MINA_TRANSCRIBE_WORKERS)
        return _pool


def pool_busy() -> bool:
    """True when a partial must wait: every thread is taken, or partials hold all but one
    (kept free so a final never waits for a draft)."""
    if _pool is None:
        return False
    return _pool.in_flight >= _pool.workers or _pool.partials_in_flight >= max(1, _pool.workers - 1)


def warm_up() -> None:
    """Load the model and run it once, so the first utterance of a process is not slow."""
    with _pool_lock:
        if _warmed.is_set():
            return
        _warmed.set()
    warm = getattr(get_speech_engine(), "warm_up", None)
    if warm is not None:
        started = time.perf_counter()
        warm()
        logger.info("speech engine warm in %.1f s", time.perf_counter() - started)


def prepare() -> None:
    """An audio socket opened: have the model loaded by the time its first words come
    (pool only; Celery workers warm up when they start)."""
    if settings.MINA_LIVE_TRANSCRIBER == "pool" and not _warmed.is_set():
        threading.Thread(target=warm_up, name="mina-stt-warm", daemon=True).start()


class PoolTranscriber:
    """Embedded: the process-wide priority pool."""

    async def start(self) -> None:
        prepare()

    async def close(self) -> None:
        return None

    def partial_capacity(self) -> bool:
        return not (settings.MINA_SKIP_PARTIALS_WHEN_BUSY and pool_busy())

    async def partial(self, pcm: bytes) -> Outcome:
        deadline = None
        if settings.MINA_SKIP_PARTIALS_WHEN_BUSY:
            deadline = time.monotonic() + settings.MINA_PARTIAL_EXPIRE_MS / 1000
        return await asyncio.wrap_future(_get_pool().submit("partial", pcm, deadline))

    async def final(self, pcm: bytes) -> Outcome:
        return await asyncio.wrap_future(_get_pool().submit("final", pcm, None))


class CeleryTranscriber:
    """Scaled: stateless jobs on the `realtime` queue, answered on a channel of our own.

    The answers do not come through the consumer's own channel: a consumer handles one
    message at a time, so a handler waiting for a final (`stop`, a disconnect) would
    never see the answer it waits for.
    """

    def __init__(self) -> None:
        self.channel = ""
        self.waiting: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self.listener: asyncio.Task[None] | None = None
        self.partials_out = 0

    async def start(self) -> None:
        layer = get_channel_layer()
        assert layer is not None
        self.channel = await layer.new_channel()
        self.listener = asyncio.ensure_future(self._listen())

    async def close(self) -> None:
        if self.listener is not None:
            self.listener.cancel()
        for waiter in self.waiting.values():
            waiter.cancel()

    async def _listen(self) -> None:
        layer = get_channel_layer()
        assert layer is not None
        while True:
            try:
                message = await layer.receive(self.channel)
            except Exception:  # Redis away: keep listening, the finals are sent again
                logger.warning("realtime answers unavailable; retrying", exc_info=True)
                await asyncio.sleep(1.0)
                continue
            waiter = self.waiting.pop(message.get("job_id", ""), None)
            if waiter is not None and not waiter.done():
                waiter.set_result(message)

    def partial_capacity(self) -> bool:
        # One partial of a stream in flight at a time: the next draft supersedes it anyway.
        return not (settings.MINA_SKIP_PARTIALS_WHEN_BUSY and self.partials_out > 0)

    async def partial(self, pcm: bytes) -> Outcome:
        skip = settings.MINA_SKIP_PARTIALS_WHEN_BUSY
        expires = settings.MINA_PARTIAL_EXPIRE_MS / 1000 if skip else None
        self.partials_out += 1
        try:
            # The worker drops it unrun once expired; wait a little longer for its answer.
            message = await self._ask("partial", pcm, expires=expires, timeout=expires and expires + 0.5)
        finally:
            self.partials_out -= 1
        return Outcome(None) if message is None else _decode(message)

    async def final(self, pcm: bytes) -> Outcome:
        job_id = uuid.uuid4().hex
        timeout = settings.MINA_FINAL_RESEND_S
        while True:
            try:
                message = await self._ask("final", pcm, job_id=job_id, timeout=timeout)
            except Exception:  # the broker is away: wait for it, never drop the final
                logger.warning("final not sent; trying again", exc_info=True)
                await asyncio.sleep(1.0)
                continue
            if message is not None:
                self.waiting.pop(job_id, None)
                return _decode(message)
            # A worker died with it or the queue is long: ask again (the first answer
            # wins), waiting longer each time so a slow queue is not flooded.
            logger.warning("final not answered in %.0f s; sending it again", timeout)
            timeout *= 2

    async def _ask(
        self, kind: str, pcm: bytes, *, job_id: str | None = None,
        expires: float | None = None, timeout: float | None = None,
    ) -> dict[str, Any] | None:
        job_id = job_id or uuid.uuid4().hex
        waiter = self.waiting.get(job_id)
        if waiter is None or waiter.done():
            waiter = self.waiting[job_id] = asyncio.get_running_loop().create_future()
        await sync_to_async(_enqueue, thread_sensitive=False)(job_id, self.channel, kind, pcm, expires)
        try:
            return await asyncio.wait_for(asyncio.shield(waiter), timeout)
        except TimeoutError:
            if kind != "final":
                self.waiting.pop(job_id, None)
            return None


def _enqueue(job_id: str, reply_channel: str, kind: str, pcm: bytes, expires: float | None) -> None:
    from .tasks import transcribe_realtime

    transcribe_realtime.apply_async(
        args=[job_id, reply_channel, kind, base64.b64encode(pcm).decode("ascii")],
        queue="realtime",
        expires=expires,
        # Redis serves priority 0 first: finals never wait behind queued partials.
        priority=0 if kind == "final" else 9,
    )


def _encode(outcome: Outcome) -> Any:
    if isinstance(outcome.result, TranscribedSegment):
        return asdict(outcome.result)
    return outcome.result


class TranscriptionFailed(Exception):
    """The worker could not transcribe a job (its log says why)."""


def _decode(message: dict[str, Any]) -> Outcome:
    if "error" in message:
        raise TranscriptionFailed(message["error"])
    result = message.get("result")
    if isinstance(result, dict):
        words = tuple(Word(**w) for w in result.pop("words", ()))
        result = TranscribedSegment(**result, words=words)
    return Outcome(result, int(message.get("processing_ms", 0)))


def realtime_job(*, job_id: str, reply_channel: str, kind: str, audio: str) -> None:
    """A Celery worker's side of `CeleryTranscriber`: transcribe, answer the asker."""
    message: dict[str, Any] = {"type": "stt.result", "job_id": job_id, "kind": kind}
    try:
        outcome = _transcribe(kind, base64.b64decode(audio))
        message.update(result=_encode(outcome), processing_ms=outcome.processing_ms)
    except Exception as exc:  # answered all the same: the asker must not wait for ever
        logger.exception("realtime %s failed", kind)
        message["error"] = type(exc).__name__
    layer = get_channel_layer()
    assert layer is not None
    try:
        async_to_sync(layer.send)(reply_channel, message)
    except Exception:  # the asker is gone, or resends; never retry a realtime job
        logger.exception("realtime answer not sent kind=%s", kind)


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
