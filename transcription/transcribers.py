"""Where live audio is transcribed, chosen by `MINA_LIVE_TRANSCRIBER`.

Three kinds of job: a `final` (an utterance, never skipped), a `partial` (a draft of a
growing one) and a `settle` (a stretch of finals heard again the careful way). `pool`
(embedded) is a bounded thread pool in this process where finals go first and partials
and settles expire; `celery` (scaled) sends stateless jobs to the `realtime` queue and
gets the results back through the channel layer, so web processes never do heavy
compute. Either way a partial or settle never takes the last free worker: a final
never waits for one.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import logging
import queue
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import Future
from dataclasses import asdict, dataclass
from typing import Any, Protocol

from asgiref.sync import async_to_sync, sync_to_async
from celery import current_app
from channels.layers import get_channel_layer
from django.conf import settings

from core.languages import ENGLISH

from .audio import pcm16_to_float32
from .engines import get_speech_engine
from .engines.base import Hearing, TranscribedSegment, Word
from .live import LiveConfig
from .respell import on_audio, respell

logger = logging.getLogger(__name__)


Result = TranscribedSegment | str | list[TranscribedSegment] | None


@dataclass(frozen=True)
class Outcome:
    """A transcriber's answer: `result` is None for a partial or settle that expired
    unheard, and for a final with nothing worth keeping."""

    result: Result
    processing_ms: int = 0


class Transcriber(Protocol):
    async def start(self) -> None: ...

    def close(self) -> None: ...

    def partial_capacity(self) -> bool:
        """Whether a partial or settle may be sent now (else it waits for a later frame)."""

    def idle(self) -> bool:
        """Whether no final and no settle of any stream waits or runs: a settle may take longer."""

    async def partial(self, pcm: bytes) -> Outcome: ...

    async def settle(self, pcm: bytes) -> Outcome: ...

    async def final(self, pcm: bytes, *, hurried: bool = False) -> Outcome:
        """Never expires: late under load, but always answered. `hurried`: the stream is
        overloaded, so the engine decodes it once (SpeechEngine.transcribe_utterance)."""


def live_config() -> LiveConfig:
    """A live stream's tunables, from the settings."""
    return LiveConfig(
        aggressiveness=settings.MINA_VAD_AGGRESSIVENESS,
        silence_ms=settings.MINA_VAD_SILENCE_MS,
        max_utterance_ms=int(settings.MINA_VAD_MAX_UTTERANCE_S * 1000),
        padding_ms=settings.MINA_VAD_PADDING_MS,
        partial_first_ms=settings.MINA_PARTIAL_FIRST_MS,
        partial_every_ms=settings.MINA_PARTIAL_EVERY_MS,
        skip_partials_when_busy=settings.MINA_SKIP_PARTIALS_WHEN_BUSY,
        settle_after_ms=settings.MINA_SETTLE_AFTER_MS,
        settle_after_busy_ms=settings.MINA_SETTLE_AFTER_BUSY_MS,
        overload_window_s=settings.MINA_OVERLOAD_WINDOW_S,
        overload_skips=settings.MINA_OVERLOAD_SKIPS,
        overload_backlog=settings.MINA_OVERLOAD_BACKLOG,
        overload_wait_ms=settings.MINA_OVERLOAD_WAIT_MS,
    )


def transcriber(hearing: Hearing = Hearing()) -> Transcriber:
    if settings.MINA_LIVE_TRANSCRIBER == "celery":
        return CeleryTranscriber(hearing)
    return PoolTranscriber(hearing)


def _transcribe(kind: str, pcm: bytes, hearing: Hearing, *, hurried: bool = False) -> Outcome:
    """Run the engine on one job (pool thread or Celery worker), timing it."""
    engine = get_speech_engine(hearing.language)
    samples = pcm16_to_float32(pcm)
    started = time.perf_counter()
    result: Result
    if kind == "final":
        heard = engine.transcribe_utterance(samples, prompt=hearing.prompt, hurried=hurried)
        # An overloaded stream's final skips the speech model's second look, as its decode does.
        result = heard and respell(heard, hearing.terms, None if hurried else on_audio(engine, samples, heard))
    elif kind == "settle":
        settled = engine.transcribe_file(samples, prompt=hearing.prompt)
        result = [respell(s, hearing.terms, on_audio(engine, samples, s)) for s in settled]
    else:
        draft = engine.transcribe_partial(samples, prompt=hearing.prompt)
        result = respell(TranscribedSegment(0, 0, draft), hearing.terms).text if draft else draft
    return Outcome(result, int((time.perf_counter() - started) * 1000))


# Pool priorities: a final never waits behind drafts, a draft never behind a settle.
PRIORITIES = {"final": 0, "partial": 1, "settle": 2}


class _PriorityPool:
    """A fixed set of threads taking finals first; a partial older than its deadline is
    answered "expired" unrun, so a backlog of stale drafts never delays a final."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.jobs: queue.PriorityQueue[
            tuple[int, int, float | None, str, bytes, Hearing, bool, Future[Outcome]]
        ] = queue.PriorityQueue()
        self.order = itertools.count()
        self.in_flight: Counter[str] = Counter()  # jobs waiting or running, by kind
        self.lock = threading.Lock()
        for index in range(workers):
            threading.Thread(target=self._work, name=f"mina-stt-{index}", daemon=True).start()

    def submit(
        self, kind: str, pcm: bytes, deadline: float | None, hearing: Hearing, *, hurried: bool = False
    ) -> Future[Outcome]:
        future: Future[Outcome] = Future()
        with self.lock:
            self.in_flight[kind] += 1
        self.jobs.put((PRIORITIES[kind], next(self.order), deadline, kind, pcm, hearing, hurried, future))
        return future

    def _work(self) -> None:
        while True:
            _, _, deadline, kind, pcm, hearing, hurried, future = self.jobs.get()
            try:
                if not future.set_running_or_notify_cancel():
                    continue  # its socket is gone
                if deadline is not None and time.monotonic() > deadline:
                    future.set_result(Outcome(None))
                else:
                    future.set_result(_transcribe(kind, pcm, hearing, hurried=hurried))
            except BaseException as exc:  # the waiting consumer logs it
                future.set_exception(exc)
            finally:
                with self.lock:
                    self.in_flight[kind] -= 1


_pool: _PriorityPool | None = None
_pool_lock = threading.Lock()
_warmed: set[str] = set()  # languages whose engine is warm


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
    jobs = _pool.in_flight
    return jobs.total() >= _pool.workers or jobs["partial"] + jobs["settle"] >= max(1, _pool.workers - 1)


def pool_idle() -> bool:
    """True when no final and no settle waits or runs (a draft is short, and gives way)."""
    return _pool is None or not (_pool.in_flight["final"] or _pool.in_flight["settle"])


def warm_up(language: str = ENGLISH) -> None:
    """Load the model and run it once, so the first utterance of a process is not slow."""
    with _pool_lock:
        if language in _warmed:
            return
        _warmed.add(language)
    warm = getattr(get_speech_engine(language), "warm_up", None)
    if warm is not None:
        started = time.perf_counter()
        warm()
        logger.info("speech engine warm in %.1f s", time.perf_counter() - started)


def prepare(language: str = ENGLISH) -> None:
    """An audio socket opened: have the model loaded by the time its first words come
    (pool only; Celery workers warm up English when they start, another language with
    its first job)."""
    if settings.MINA_LIVE_TRANSCRIBER == "pool" and language not in _warmed:
        threading.Thread(target=warm_up, args=(language,), name="mina-stt-warm", daemon=True).start()


class PoolTranscriber:
    """Embedded: the process-wide priority pool."""

    def __init__(self, hearing: Hearing = Hearing()) -> None:
        self.hearing = hearing

    async def start(self) -> None:
        prepare(self.hearing.language)

    def close(self) -> None:
        return None

    def partial_capacity(self) -> bool:
        return not (settings.MINA_SKIP_PARTIALS_WHEN_BUSY and pool_busy())

    def idle(self) -> bool:
        return pool_idle()

    async def partial(self, pcm: bytes) -> Outcome:
        deadline = None
        if settings.MINA_SKIP_PARTIALS_WHEN_BUSY:
            deadline = time.monotonic() + settings.MINA_PARTIAL_EXPIRE_MS / 1000
        return await asyncio.wrap_future(_get_pool().submit("partial", pcm, deadline, self.hearing))

    async def settle(self, pcm: bytes) -> Outcome:
        deadline = time.monotonic() + settings.MINA_SETTLE_EXPIRE_MS / 1000
        return await asyncio.wrap_future(_get_pool().submit("settle", pcm, deadline, self.hearing))

    async def final(self, pcm: bytes, *, hurried: bool = False) -> Outcome:
        return await asyncio.wrap_future(_get_pool().submit("final", pcm, None, self.hearing, hurried=hurried))


class CeleryTranscriber:
    """Scaled: stateless jobs on the `realtime` queue, answered on a channel of our own.

    The answers do not come through the consumer's own channel: a consumer handles one
    message at a time, so a handler waiting for a final (`stop`, a disconnect) would
    never see the answer it waits for.
    """

    def __init__(self, hearing: Hearing = Hearing()) -> None:
        self.hearing = hearing
        self.channel = ""
        self.waiting: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self.listener: asyncio.Task[None] | None = None
        self.partials_out = 0

    async def start(self) -> None:
        layer = get_channel_layer()
        assert layer is not None
        self.channel = await layer.new_channel()
        self.listener = asyncio.ensure_future(self._listen())

    def close(self) -> None:
        listener, self.listener = self.listener, None
        if listener is not None:
            listener.cancel()
        for waiter in self.waiting.values():
            waiter.cancel()
        self.waiting.clear()

    async def _listen(self) -> None:
        layer = get_channel_layer()
        assert layer is not None
        # Until closed: channels_redis can turn a cancel into a return or an error, and a
        # listener that went on would wait on Redis for ever (meetings/hub.py reads so too).
        while self.listener is asyncio.current_task():
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

    def idle(self) -> bool:
        return False  # the workers' queue is shared by every machine: never known to be idle here

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

    async def settle(self, pcm: bytes) -> Outcome:
        expires = settings.MINA_SETTLE_EXPIRE_MS / 1000
        message = await self._ask("settle", pcm, expires=expires, timeout=expires + 0.5)
        return Outcome(None) if message is None else _decode(message)

    async def final(self, pcm: bytes, *, hurried: bool = False) -> Outcome:
        job_id = uuid.uuid4().hex
        timeout = settings.MINA_FINAL_RESEND_S
        while True:
            try:
                message = await self._ask("final", pcm, job_id=job_id, timeout=timeout, hurried=hurried)
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
        expires: float | None = None, timeout: float | None = None, hurried: bool = False,
    ) -> dict[str, Any] | None:
        job_id = job_id or uuid.uuid4().hex
        waiter = self.waiting.get(job_id)
        if waiter is None or waiter.done():
            waiter = self.waiting[job_id] = asyncio.get_running_loop().create_future()
        await sync_to_async(_enqueue, thread_sensitive=False)(
            job_id, self.channel, kind, pcm, expires, self.hearing, hurried=hurried
        )
        try:
            return await asyncio.wait_for(asyncio.shield(waiter), timeout)
        except TimeoutError:
            if kind != "final":
                self.waiting.pop(job_id, None)
            return None


def _enqueue(
    job_id: str, reply_channel: str, kind: str, pcm: bytes, expires: float | None, hearing: Hearing = Hearing(),
    *, hurried: bool = False,
) -> None:
    # Sent at once (not on commit, as core.jobs.enqueue does): the asker waits for it.
    current_app.tasks["transcription.tasks.transcribe_realtime"].apply_async(
        args=[job_id, reply_channel, kind, base64.b64encode(pcm).decode("ascii")],
        kwargs={**asdict(hearing), "hurried": hurried},
        queue="realtime",
        expires=expires,
        # Redis serves priority 0 first: finals never wait behind queued partials or settles.
        priority={"final": 0, "partial": 5, "settle": 9}[kind],
    )


def _encode(outcome: Outcome) -> Any:
    if isinstance(outcome.result, TranscribedSegment):
        return asdict(outcome.result)
    if isinstance(outcome.result, list):
        return [asdict(segment) for segment in outcome.result]
    return outcome.result


class TranscriptionFailed(Exception):
    """The worker could not transcribe a job (its log says why)."""


def _decode(message: dict[str, Any]) -> Outcome:
    if "error" in message:
        raise TranscriptionFailed(message["error"])
    result = message.get("result")
    if isinstance(result, dict):
        result = _segment(result)
    elif isinstance(result, list):
        result = [_segment(item) for item in result]
    return Outcome(result, int(message.get("processing_ms", 0)))


def _segment(data: dict[str, Any]) -> TranscribedSegment:
    words = tuple(Word(**w) for w in data.pop("words", ()))
    return TranscribedSegment(**data, words=words)


_worker_partials = 0
_worker_lock = threading.Lock()


def realtime_job(
    *, job_id: str, reply_channel: str, kind: str, audio: str, hearing: Hearing = Hearing(), hurried: bool = False
) -> None:
    """A Celery worker's side of `CeleryTranscriber`: transcribe, answer the asker.

    As in the pool, drafts never take a worker's last thread (run workers with `-c` =
    MINA_TRANSCRIBE_WORKERS): a draft that finds them taken is answered "skipped" at once,
    so a final arriving next never waits for drafts.
    """
    global _worker_partials
    message: dict[str, Any] = {"type": "stt.result", "job_id": job_id, "kind": kind, "result": None}
    draft = kind != "final"
    with _worker_lock:
        room = _worker_partials < max(1, settings.MINA_TRANSCRIBE_WORKERS - 1)
        run = not draft or room or not settings.MINA_SKIP_PARTIALS_WHEN_BUSY
        if draft and run:
            _worker_partials += 1
    try:
        if run:
            outcome = _transcribe(kind, base64.b64decode(audio), hearing, hurried=hurried)
            message.update(result=_encode(outcome), processing_ms=outcome.processing_ms)
    except Exception as exc:  # answered all the same: the asker must not wait for ever
        logger.exception("realtime %s failed", kind)
        message["error"] = type(exc).__name__
    finally:
        if draft and run:
            with _worker_lock:
                _worker_partials -= 1
    layer = get_channel_layer()
    assert layer is not None
    try:
        async_to_sync(layer.send)(reply_channel, message)
    except Exception:  # the asker is gone, or resends; never retry a realtime job
        logger.exception("realtime answer not sent kind=%s", kind)
