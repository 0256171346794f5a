"""The audio socket: one participant's microphone in, transcript events out.

Every frame is stored first (numbered chunks through Django's storage), then handed to
the stream's `live.LiveSession`, which says what to transcribe and when (drafts, finals,
settling, load); this consumer carries that out off the event loop through a
`transcribers.Transcriber` (a thread pool embedded, Celery workers when scaled), stores
the results and sends the events. Signs of strain put the meeting in an `overloaded`
state, sent as a `meeting.status` event with `"load"`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from django.conf import settings

from accounts.socket_auth import SignedInConsumer
from core.errors import Invalid, MinaError
from meetings import events
from meetings.models import Participant
from meetings.selectors import meeting_get
from workspaces.models import Role

from .. import live, protocol, services, transcribers
from ..engines.base import TranscribedSegment
from ..models import Recording

logger = logging.getLogger(__name__)

TOUCH_EVERY_S = 10.0


class AudioConsumer(SignedInConsumer):
    recording: Recording | None = None
    participant: Participant | None = None
    session: live.LiveSession | None = None
    transcriber: transcribers.Transcriber | None = None
    drained = False

    async def check_access(self) -> None:
        """Members and up record; a member demoted to viewer loses the microphone."""
        await database_sync_to_async(meeting_get)(user=self.user, meeting_id=self.meeting_id or 0, min_role=Role.MEMBER)

    async def on_authenticated(self) -> None:
        await self.check_access()
        transcribers.prepare()
        self.finals: asyncio.Queue[live.Final | None] = asyncio.Queue()
        self.tasks: set[asyncio.Future[Any]] = set()
        self._start_timer = asyncio.get_running_loop().call_later(
            settings.MINA_START_TIMEOUT_S, lambda: asyncio.ensure_future(self._start_timeout())
        )

    async def _start_timeout(self) -> None:
        if self.recording is None and not self.closed:
            await self.fail(protocol.StartTimeout(f"Send `start` within {settings.MINA_START_TIMEOUT_S:g} s."))

    def close_on_bad_input(self, exc: MinaError) -> bool:
        return exc.code in {"unsupported_format", "not_started", "bad_start", "stream_ended"}

    async def on_message(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        if kind == "start":
            await self._start(message)
        elif kind == "stop":
            await self._stop()
        else:
            await super().on_message(message)

    async def _start(self, message: dict[str, Any]) -> None:
        if self.recording is not None:
            raise Invalid("This stream has already started.", code="already_started")
        start = protocol.parse_start(message)
        assert self.meeting_id is not None
        self.recording, received = await database_sync_to_async(services.stream_open)(
            meeting_id=self.meeting_id, user=self.user, stream_id=start.stream_id, guest_name=start.guest,
            room_microphone=start.room,
        )
        self.participant = self.recording.participant
        self._start_timer.cancel()
        self.received, self.received_here = received, 0
        self.connected_at = self.last_touch = time.monotonic()
        self.session = live.LiveSession(
            transcribers.live_config(), start_sample=received // 2, offset_ms=self.recording.offset_ms,
            stats=live.StreamStats.resume(self.recording.stats),
        )
        self.transcriber = transcribers.transcriber()
        await self.transcriber.start()
        self.worker = asyncio.ensure_future(self._finals_worker())
        await self.send_json(
            {
                "type": "ready", "meeting": self.meeting_id, "stream_id": str(self.recording.stream_id),
                "participant": self.recording.participant_id, "received_ms": received // protocol.BYTES_PER_MS,
                # Where this stream's audio starts in the meeting: event times are offset by it.
                "offset_ms": self.recording.offset_ms,
            }
        )
        resumed_ms = received // protocol.BYTES_PER_MS
        logger.info("stream started recording=%s resumed_at_ms=%s", self.recording.pk, resumed_ms)

    async def on_bytes(self, data: bytes) -> None:
        if self.recording is None or self.session is None or self.transcriber is None:
            raise Invalid("Send `start` before audio.", code="not_started")
        protocol.check_frame(data)
        protocol.check_pace(sent_bytes=self.received_here + len(data), elapsed_s=time.monotonic() - self.connected_at)
        await sync_to_async(services.chunk_save, thread_sensitive=False)(
            recording=self.recording, offset_bytes=self.received, data=data
        )
        self.received += len(data)
        self.received_here += len(data)
        if time.monotonic() - self.last_touch > TOUCH_EVERY_S:
            self.last_touch = time.monotonic()
            await database_sync_to_async(services.stream_touch)(recording_id=self.recording.id)
        self._act(self.session.feed(data, now=time.monotonic(), capacity=self.transcriber.partial_capacity()))

    def _act(self, actions: list[live.Action]) -> None:
        for action in actions:
            if isinstance(action, live.Final):
                self.finals.put_nowait(action)
            elif isinstance(action, live.Draft):
                self._spawn(self._draft(action.cut))
            elif isinstance(action, live.Settle):
                self._spawn(self._settle(action))
            else:
                self._load_changed(action.overloaded)

    async def _draft(self, cut: live.Cut) -> None:
        assert self.transcriber is not None and self.session is not None
        try:
            outcome = await self.transcriber.partial(cut.pcm)
        except Exception:  # a draft lost is no loss: the final follows
            logger.warning("partial failed recording=%s", self.recording.pk if self.recording else None, exc_info=True)
            outcome = transcribers.Outcome("")
        text, actions = self.session.draft_done(
            cut, None if outcome.result is None else str(outcome.result), processing_ms=outcome.processing_ms,
            now=time.monotonic(),
        )
        self._act(actions)
        if text and not self.closed:
            await self._send_partial(cut, text)

    async def _send_partial(self, cut: live.Cut, text: str) -> None:
        assert self.meeting_id is not None and self.recording is not None
        offset = self.recording.offset_ms
        await events.asend(
            self.meeting_id,
            events.transcript_partial(
                self.meeting_id, utterance_id=cut.utterance_id, participant=self.participant,
                start_ms=offset + cut.start_ms, end_ms=offset + cut.end_ms, text=text,
            ),
        )

    async def _finals_worker(self) -> None:
        """Finals of one stream, in order, never skipped."""
        while (final := await self.finals.get()) is not None:
            try:
                await self._final(final)
            except Exception:
                logger.exception("final failed recording=%s", self.recording.pk if self.recording else None)

    async def _final(self, final: live.Final) -> None:
        assert self.transcriber is not None and self.session is not None
        outcome = await self.transcriber.final(final.cut.pcm)
        result = outcome.result if isinstance(outcome.result, TranscribedSegment) else None
        self._act(self.session.final_done(final, result, processing_ms=outcome.processing_ms, now=time.monotonic()))
        if result is None:
            await self._send_partial(final.cut, "")  # takes back any draft already shown
            return
        segment = await database_sync_to_async(services.segment_create_final)(
            recording=self.recording, utterance_id=final.cut.utterance_id, start_ms=final.cut.start_ms, result=result,
        )
        self.session.final_stored(final, segment.id, result)

    async def _settle(self, settle: live.Settle) -> bool:
        """Whether the stretch was heard again (not skipped under load, not failed)."""
        assert self.transcriber is not None and self.session is not None
        try:
            outcome = await self.transcriber.settle(settle.pcm)
        except Exception:  # the finals stand as they are; the careful pass follows the meeting
            logger.warning("settle failed recording=%s", self.recording.pk if self.recording else None, exc_info=True)
            outcome = transcribers.Outcome(None)
        result = outcome.result if isinstance(outcome.result, list) else None
        for line, settled in self.session.settle_done(settle, result, processing_ms=outcome.processing_ms):
            await database_sync_to_async(services.segment_settle)(
                recording=self.recording, segment_id=line.segment_id, result=settled
            )
        return result is not None

    def _load_changed(self, overloaded: bool) -> None:
        assert self.recording is not None and self.meeting_id is not None
        if overloaded:
            logger.warning("stream overloaded recording=%s", self.recording.id)
        if live.meeting_load.changes(self.meeting_id, self.channel_name, overloaded):
            self._spawn(database_sync_to_async(services.meeting_load_announce)(
                meeting_id=self.meeting_id, overloaded=overloaded
            ))

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.ensure_future(coroutine)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    # --- The end of a stream -------------------------------------------------------------

    async def _drain(self, *, settle: bool) -> None:
        """Finalise what is open, wait for every final of this connection and, on `stop`,
        settle what is left."""
        session = self.session
        if session is None or self.drained:
            return
        self.drained = True
        try:
            self._act(session.flush(time.monotonic()))
            await self.finals.put(None)
            await self.worker
            await asyncio.gather(*self.tasks, return_exceptions=True)  # drafts and a settle under way
            while settle and (remaining := session.settle_remaining()) is not None:
                if not await self._settle(remaining):
                    break
            self._act(session.end())
        finally:
            await self._release()

    async def _release(self) -> None:
        """Even when the server gives up waiting (a socket's close timeout): no listener
        or finals task may outlive its socket."""
        worker = getattr(self, "worker", None)
        if worker is not None and not worker.done():
            worker.cancel()
        if self.transcriber is not None:
            await self.transcriber.close()

    async def _stop(self) -> None:
        if self.recording is None:
            raise Invalid("Nothing to stop: send `start` first.", code="not_started")
        await self._drain(settle=True)
        assert self.session is not None
        session_stats = self.session.stats_json()
        recording = await database_sync_to_async(services.stream_close)(recording=self.recording, stats=session_stats)
        await self.send_json(
            {"type": "stopped", "meeting": self.meeting_id, "stream_id": str(recording.stream_id),
             "received_ms": recording.duration_ms}
        )
        self.closed = True
        await self.close(code=1000)

    async def disconnect(self, code: int) -> None:
        timer = getattr(self, "_start_timer", None)
        if timer is not None:
            timer.cancel()
        await super().disconnect(code)
        # A dropped connection: keep what was said; the client may resume the stream.
        if self.session is not None and self.recording is not None and not self.drained:
            await self._drain(settle=False)
            stats = self.session.stats_json()
            await database_sync_to_async(services.stream_stats_save)(recording_id=self.recording.id, stats=stats)
        await self._release()
