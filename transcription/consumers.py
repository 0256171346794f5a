"""The audio socket: one participant's microphone in, transcript events out.

Every frame is stored first (numbered chunks through Django's storage), then cut into
utterances by the voice detector; partials and finals are transcribed off the event
loop by a `transcribers.Transcriber` (a thread pool embedded, Celery workers when scaled).
Finals of a stream are transcribed in order and never skipped. Under load partials go
first: a due partial waits for a free worker (the next frame retries with the grown
utterance) and is skipped when the next one falls due (unless
MINA_SKIP_PARTIALS_WHEN_BUSY is off). Signs of strain put the meeting in an
`overloaded` state, sent as a `meeting.status` event with `"load"`.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from typing import Any

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from django.conf import settings

from meetings import events
from meetings.models import Meeting, Participant
from meetings.selectors import meeting_get
from meetings.services import meeting_go_live, participant_for_stream
from mina.errors import Conflict, Invalid, MinaError, Throttled
from mina.sockets import MinaConsumer
from workspaces.models import Role

from . import live, services, transcribers
from .engines.base import SAMPLE_RATE, TranscribedSegment
from .models import Recording

logger = logging.getLogger(__name__)

BYTES_PER_MS = SAMPLE_RATE * 2 // 1000
MAX_FRAME_BYTES = SAMPLE_RATE * 2  # one second
TOUCH_EVERY_S = 10.0
EMPTY_DRAFT_RETRY_MS = 300


class StartTimeout(MinaError):
    status = 408
    code = "start_timeout"


@database_sync_to_async
def _authorise(user: Any, meeting_id: int) -> Meeting:
    meeting, _ = meeting_get(user=user, meeting_id=meeting_id, min_role=Role.MEMBER)
    return meeting


@database_sync_to_async
def _open_stream(
    user: Any, meeting_id: int, stream_id: uuid.UUID | None, guest: str
) -> tuple[Recording, Participant, int]:
    meeting = Meeting.objects.get(pk=meeting_id)
    if not meeting.is_liveable:
        raise Conflict(f"This meeting is {meeting.status}; it can no longer be recorded.", code="not_live")
    meeting = meeting_go_live(meeting_id=meeting_id)
    participant = participant_for_stream(meeting=meeting, user=user, guest_name=guest)
    recording, received = services.stream_open(
        meeting=meeting, participant=participant, stream_id=stream_id
    )
    return recording, participant, received


class AudioConsumer(MinaConsumer):
    min_role = Role.MEMBER  # a member demoted to viewer loses the microphone
    recording: Recording | None = None
    participant: Participant | None = None
    segmenter: live.Segmenter | None = None
    transcriber: transcribers.Transcriber | None = None

    async def on_authenticated(self) -> None:
        assert self.meeting_id is not None
        await _authorise(self.user, self.meeting_id)
        transcribers.prepare()
        self.finals: asyncio.Queue[tuple[live.Cut, float] | None] = asyncio.Queue()
        self.partials_running: set[str] = set()
        self.deferred: str | None = None  # a due partial waiting for a free worker
        self.finalised: set[str] = set()
        self.tasks: set[asyncio.Future[None]] = set()
        self.stats = live.StreamStats()
        self.load = live.LoadMonitor(window_s=settings.MINA_OVERLOAD_WINDOW_S, skips=settings.MINA_OVERLOAD_SKIPS)
        self.overload_started_ms = 0
        self._start_timer = asyncio.get_running_loop().call_later(
            settings.MINA_START_TIMEOUT_S, lambda: asyncio.ensure_future(self._start_timeout())
        )

    async def _start_timeout(self) -> None:
        if self.recording is None and not self.closed:
            await self.fail(StartTimeout(f"Send `start` within {settings.MINA_START_TIMEOUT_S:g} s."))

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
        if message.get("format", "pcm_s16le") != "pcm_s16le" or message.get("sample_rate") != SAMPLE_RATE:
            raise Invalid(
                "Send 16 kHz mono PCM16 audio: {\"sample_rate\": 16000, \"format\": \"pcm_s16le\"}.",
                code="unsupported_format",
            )
        stream_id = _parse_stream_id(message.get("stream_id"))
        guest = message.get("speaker") or ""
        if not isinstance(guest, str):
            raise Invalid("`speaker` must be a name.", code="bad_start")
        assert self.meeting_id is not None
        self.recording, self.participant, received = await _open_stream(
            self.user, self.meeting_id, stream_id, guest
        )
        self._start_timer.cancel()
        self.received = received
        self.connected_at = time.monotonic()
        self.received_here = 0
        self.last_touch = time.monotonic()
        self.stats = live.StreamStats.resume(self.recording.stats)
        self.transcriber = transcribers.transcriber()
        await self.transcriber.start()
        self.segmenter = live.Segmenter(start_sample=received // 2)
        self.worker = asyncio.ensure_future(self._finals_worker())
        await self.send_json(
            {
                "type": "ready",
                "meeting": self.meeting_id,
                "stream_id": str(self.recording.stream_id),
                "participant": self.participant.id,
                "received_ms": received // BYTES_PER_MS,
                # Where this stream's audio starts in the meeting: event times are offset by it.
                "offset_ms": self.recording.offset_ms,
            }
        )
        logger.info("stream started recording=%s resumed_at_ms=%s", self.recording.id, received // BYTES_PER_MS)

    async def on_bytes(self, data: bytes) -> None:
        if self.recording is None or self.segmenter is None:
            raise Invalid("Send `start` before audio.", code="not_started")
        if len(data) % 2:
            raise Invalid("Frames must hold whole 16-bit samples (an even number of bytes).", code="odd_frame")
        if len(data) > MAX_FRAME_BYTES:
            raise Invalid("Frames must be at most one second of audio.", code="frame_too_long")
        self._check_rate(len(data))
        await sync_to_async(services.chunk_save, thread_sensitive=False)(
            recording=self.recording, offset_bytes=self.received, data=data
        )
        self.received += len(data)
        self.received_here += len(data)
        if time.monotonic() - self.last_touch > TOUCH_EVERY_S:
            self.last_touch = time.monotonic()
            await database_sync_to_async(services.stream_touch)(recording_id=self.recording.id)
        for cut in self.segmenter.feed(data):
            self._dispatch(cut)
        self._retry_deferred()
        self._load_changed(self.load.check(time.monotonic()))

    def _check_rate(self, size: int) -> None:
        # Real time, times a slack, plus a burst for audio buffered during a reconnect.
        elapsed_ms = (time.monotonic() - self.connected_at) * 1000
        allowed_ms = elapsed_ms * settings.MINA_REALTIME_SLACK + settings.MINA_RESUME_BURST_MS
        if (self.received_here + size) / BYTES_PER_MS > allowed_ms:
            raise Throttled("Audio is arriving faster than real time.", code="too_fast")

    # --- Partials: drafts, first to give way under load --------------------------------

    def _dispatch(self, cut: live.Cut) -> None:
        if not cut.final:
            self._offer_partial(cut)
            return
        if self.deferred == cut.utterance_id:
            self._skip_partial()
            self.deferred = None
        self.finals.put_nowait((cut, time.monotonic()))
        if self.finals.qsize() >= settings.MINA_OVERLOAD_BACKLOG:
            self._strain(settings.MINA_OVERLOAD_SKIPS)

    def _offer_partial(self, cut: live.Cut) -> None:
        if not self._may_run_partial(cut.utterance_id):
            if self.deferred is not None:  # the waiting draft was never sent
                self._skip_partial()
            self.deferred = cut.utterance_id
            return
        self.deferred = None
        self.partials_running.add(cut.utterance_id)
        self._spawn(self._partial(cut))

    def _may_run_partial(self, utterance_id: str) -> bool:
        if not settings.MINA_SKIP_PARTIALS_WHEN_BUSY:
            return True
        assert self.transcriber is not None
        return utterance_id not in self.partials_running and self.transcriber.partial_capacity()

    def _retry_deferred(self) -> None:
        """A due partial runs as soon as a worker is free, on the utterance as it is now."""
        segmenter = self.segmenter
        if self.deferred is None or segmenter is None or segmenter.utterance_id != self.deferred:
            return
        if self._may_run_partial(self.deferred):
            cut = segmenter.snapshot()
            if cut is not None:
                self._offer_partial(cut)

    def _skip_partial(self) -> None:
        """A due draft never shown (superseded, or expired unrun): a sign of strain."""
        self.stats.partials_skipped += 1
        self._strain(1)

    async def _partial(self, cut: live.Cut) -> None:
        assert self.transcriber is not None
        try:
            outcome = await self.transcriber.partial(cut.pcm)
        except Exception:  # a draft lost is no loss: the final follows
            logger.warning("partial failed recording=%s", getattr(self.recording, "id", None), exc_info=True)
            return
        finally:
            self.partials_running.discard(cut.utterance_id)
        self.stats.processing_ms += outcome.processing_ms
        if outcome.result is None:  # expired in the queue, or no worker free for drafts
            self._skip_partial()
            return
        if cut.utterance_id in self.finalised or self.closed:
            return
        if not outcome.result:
            if self.segmenter is not None:
                self.segmenter.draft_sooner(cut.utterance_id, EMPTY_DRAFT_RETRY_MS)
            return
        self.stats.partials += 1
        try:
            await self._send_partial(cut, str(outcome.result))
        except Exception:
            logger.warning("partial not sent recording=%s", getattr(self.recording, "id", None), exc_info=True)

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

    # --- Finals: in order, never skipped -----------------------------------------------

    async def _finals_worker(self) -> None:
        """Finals of one stream, in order, never skipped."""
        while True:
            item = await self.finals.get()
            if item is None:
                return
            cut, cut_at = item
            try:
                await self._final(cut, cut_at)
            except Exception:
                logger.exception("final failed recording=%s", getattr(self.recording, "id", None))

    async def _final(self, cut: live.Cut, cut_at: float) -> None:
        assert self.transcriber is not None
        outcome = await self.transcriber.final(cut.pcm)
        # From here on a late partial of this utterance would undo the final.
        self.finalised.add(cut.utterance_id)
        self.stats.processing_ms += outcome.processing_ms
        if not isinstance(outcome.result, TranscribedSegment):
            self.stats.dropped += 1
            await self._send_partial(cut, "")  # takes back any draft already shown
            return
        await database_sync_to_async(services.segment_create_final)(
            recording=self.recording, utterance_id=cut.utterance_id, start_ms=cut.start_ms, result=outcome.result,
        )
        latency_ms = int((time.monotonic() - cut_at) * 1000)
        self.stats.final_done(latency_ms)
        if latency_ms - outcome.processing_ms > settings.MINA_OVERLOAD_WAIT_MS:  # it queued too long
            self._strain(settings.MINA_OVERLOAD_SKIPS)

    # --- Load ----------------------------------------------------------------------------

    def _strain(self, weight: int) -> None:
        self._load_changed(self.load.strain(time.monotonic(), weight))

    def _load_changed(self, overloaded: bool | None) -> None:
        if overloaded is None or self.recording is None:
            return
        position_ms = self.recording.offset_ms + self.received // BYTES_PER_MS
        if overloaded:
            self.overload_started_ms = position_ms
            logger.warning("stream overloaded recording=%s", self.recording.id)
        else:
            self.stats.overload_periods.append({"start_ms": self.overload_started_ms, "end_ms": position_ms})
        assert self.meeting_id is not None
        if _meeting_load_changes(self.meeting_id, self.channel_name, overloaded):
            self._spawn(_send_load(self.meeting_id, overloaded))

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.ensure_future(coroutine)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    # --- The end of a stream -------------------------------------------------------------

    async def _drain(self) -> None:
        """Finalise what is open and wait for every final of this connection."""
        if self.segmenter is None:
            return
        try:
            for cut in self.segmenter.flush():
                self._dispatch(cut)
            self.segmenter = None
            await self.finals.put(None)
            await self.worker
            if self.load.overloaded:
                self.load.overloaded = False
                self._load_changed(False)
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
        await self._drain()
        recording = await database_sync_to_async(services.stream_close)(
            recording=self.recording, stats=self._stats()
        )
        await self.send_json(
            {"type": "stopped", "meeting": self.meeting_id, "stream_id": str(recording.stream_id),
             "received_ms": recording.duration_ms}
        )
        self.closed = True
        await self.close(code=1000)

    def _stats(self) -> dict[str, Any]:
        self.stats.audio_ms = self.received // BYTES_PER_MS
        return self.stats.as_json()

    async def disconnect(self, code: int) -> None:
        timer = getattr(self, "_start_timer", None)
        if timer is not None:
            timer.cancel()
        await super().disconnect(code)
        # A dropped connection: keep what was said; the client may resume the stream.
        if self.segmenter is not None and self.recording is not None:
            await self._drain()
            await database_sync_to_async(live.stats_save)(recording_id=self.recording.id, stats=self._stats())
        await self._release()


# Per meeting, the streams of this process under strain: the meeting is `overloaded`
# while any is, and `normal` again when the last one recovers.
_overloaded_streams: dict[int, set[str]] = {}


def _meeting_load_changes(meeting_id: int, stream: str, overloaded: bool) -> bool:
    streams = _overloaded_streams.setdefault(meeting_id, set())
    before = bool(streams)
    if overloaded:
        streams.add(stream)
    else:
        streams.discard(stream)
    if not streams:
        del _overloaded_streams[meeting_id]
    return before != bool(streams)


async def _send_load(meeting_id: int, overloaded: bool) -> None:
    meeting = await database_sync_to_async(Meeting.objects.get)(pk=meeting_id)
    event = {**events.meeting_status(meeting), "load": "overloaded" if overloaded else "normal"}
    await events.asend(meeting_id, event)


def _parse_stream_id(value: Any) -> uuid.UUID | None:
    if value in (None, ""):
        return None
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise Invalid("`stream_id` must be the id the server gave.", code="bad_start") from None
