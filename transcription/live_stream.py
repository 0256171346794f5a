"""One live stream at work: what its `live.LiveSession` decides, carried out.

The session (pure, no I/O) says what to transcribe and when: drafts, finals, settling,
load. A `LiveStream` does it off the event loop through a `transcribers.Transcriber` (a
thread pool embedded, Celery workers when scaled), stores the results through the
services and sends the transcript events. The audio socket only receives, stores frames
and hands them here.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from channels.db import database_sync_to_async

from core import metrics
from meetings import events

from . import live, services, transcribers
from .engines.base import SAMPLE_RATE, TranscribedSegment
from .models import Recording

logger = logging.getLogger(__name__)


class LiveStream:
    def __init__(
        self, recording: Recording, *, received_bytes: int, load_key: str, hearing: transcribers.Hearing
    ) -> None:
        self.recording = recording
        self.meeting_id = recording.meeting_id
        self.load_key = load_key  # this stream's name in the meeting's load (its channel)
        self.session = live.LiveSession(
            transcribers.live_config(), start_sample=received_bytes // 2, offset_ms=recording.offset_ms,
            stats=live.StreamStats.resume(recording.stats),
        )
        self.transcriber = transcribers.transcriber(hearing)
        self.finals: asyncio.Queue[live.Final | None] = asyncio.Queue()
        self.tasks: set[asyncio.Future[Any]] = set()
        self.worker: asyncio.Future[None] | None = None
        self.drained = False
        self.counted = False  # in /metrics' live streams

    async def start(self) -> None:
        await self.transcriber.start()
        self.worker = asyncio.ensure_future(self._finals_worker())
        metrics.LIVE_STREAMS.inc()
        self.counted = True

    def feed(self, pcm: bytes) -> None:
        metrics.LIVE_AUDIO.inc(len(pcm) / (2 * SAMPLE_RATE))
        self._act(self.session.feed(
            pcm, now=time.monotonic(), capacity=self.transcriber.partial_capacity(), idle=self.transcriber.idle()
        ))

    def _act(self, actions: list[live.Action]) -> None:
        for action in actions:
            if isinstance(action, live.Final):
                self.finals.put_nowait(action)
            elif isinstance(action, live.Draft):
                self._spawn(self._draft(action))
            elif isinstance(action, live.Settle):
                self._spawn(self._settle(action))
            else:
                self._load_changed(action.overloaded)

    async def _draft(self, draft: live.Draft) -> None:
        cut = draft.cut
        try:
            outcome = await self.transcriber.partial(cut.pcm)
        except Exception:  # a draft lost is no loss: the final follows
            logger.warning("partial failed recording=%s", self.recording.pk, exc_info=True)
            outcome = transcribers.Outcome("")
        metrics.LIVE_PROCESSING.labels(kind="partial").inc(outcome.processing_ms / 1000)
        text, actions = self.session.draft_done(
            draft, None if outcome.result is None else str(outcome.result), processing_ms=outcome.processing_ms,
            now=time.monotonic(),
        )
        self._act(actions)
        if text:
            await self._send_partial(cut, text)

    async def _send_partial(self, cut: live.Cut, text: str) -> None:
        offset = self.recording.offset_ms
        await events.asend(
            self.meeting_id,
            events.transcript_partial(
                self.meeting_id, utterance_id=cut.utterance_id, participant=self.recording.participant,
                start_ms=offset + cut.start_ms, end_ms=offset + cut.end_ms, text=text,
            ),
        )

    async def _finals_worker(self) -> None:
        """Finals of one stream, in order, never skipped."""
        while (final := await self.finals.get()) is not None:
            try:
                await self._final(final)
            except Exception:
                logger.exception("final failed recording=%s", self.recording.pk)

    async def _final(self, final: live.Final) -> None:
        # An overloaded stream gets its finals without a second look, as drafts and settles yield.
        outcome = await self.transcriber.final(final.cut.pcm, hurried=self.session.overloaded)
        result = outcome.result if isinstance(outcome.result, TranscribedSegment) else None
        now = time.monotonic()
        self._act(self.session.final_done(final, result, processing_ms=outcome.processing_ms, now=now))
        metrics.LIVE_PROCESSING.labels(kind="final").inc(outcome.processing_ms / 1000)
        if result is None:
            metrics.FINALS_DROPPED.inc()
            await self._send_partial(final.cut, "")  # takes back any draft already shown
            return
        metrics.FINAL_LATENCY.observe(now - final.cut_at)  # as the session's stats time it
        segment = await database_sync_to_async(services.segment_create_final)(
            recording=self.recording, utterance_id=final.cut.utterance_id, start_ms=final.cut.start_ms, result=result,
        )
        self.session.final_stored(final, segment.id, result)

    async def _settle(self, settle: live.Settle) -> bool:
        """Whether the stretch was heard again (not skipped under load, not failed)."""
        try:
            outcome = await self.transcriber.settle(settle.pcm)
        except Exception:  # the finals stand as they are; the careful pass follows the meeting
            logger.warning("settle failed recording=%s", self.recording.pk, exc_info=True)
            outcome = transcribers.Outcome(None)
        metrics.LIVE_PROCESSING.labels(kind="settle").inc(outcome.processing_ms / 1000)
        result = outcome.result if isinstance(outcome.result, list) else None
        for line, settled in self.session.settle_done(settle, result, processing_ms=outcome.processing_ms):
            await database_sync_to_async(services.segment_settle)(
                recording=self.recording, segment_id=line.segment_id, result=settled
            )
        return result is not None

    def _load_changed(self, overloaded: bool) -> None:
        if overloaded:
            logger.warning("stream overloaded recording=%s", self.recording.pk)
        if live.meeting_load.changes(self.meeting_id, self.load_key, overloaded):
            self._spawn(database_sync_to_async(services.meeting_load_announce)(
                meeting_id=self.meeting_id, overloaded=overloaded
            ))

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.ensure_future(coroutine)
        self.tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Future[Any]) -> None:
        self.tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("live task failed recording=%s", self.recording.pk, exc_info=task.exception())

    async def drain(self, *, settle: bool) -> None:
        """Finalise what is open, wait for every final of this connection and, when the
        client stopped, settle what is left. Once."""
        if self.drained:
            return
        self.drained = True
        try:
            self._act(self.session.flush(time.monotonic()))
            await self.finals.put(None)
            if self.worker is not None:
                await self.worker
            await asyncio.gather(*self.tasks, return_exceptions=True)  # drafts and a settle under way
            while settle and (remaining := self.session.settle_remaining(idle=self.transcriber.idle())) is not None:
                if not await self._settle(remaining):
                    break
            self._act(self.session.end())
            await asyncio.gather(*self.tasks, return_exceptions=True)  # the load it announces
        finally:
            self.release()

    def release(self) -> None:
        """Even when the server gives up waiting (a socket's close timeout) and cancels
        the socket: no listener, finals or draft task may outlive it. Waits for nothing;
        twice is harmless."""
        if self.worker is not None and not self.worker.done():
            self.worker.cancel()
        for task in list(self.tasks):
            task.cancel()
        if self.counted:
            metrics.LIVE_STREAMS.dec()
            self.counted = False
        self.transcriber.close()

    def stats(self) -> dict[str, Any]:
        return self.session.stats_json()
