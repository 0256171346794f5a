"""The audio socket: one participant's microphone in, transcript events out.

Every frame is stored first (numbered chunks through Django's storage), then cut into
utterances by the voice detector; partials and finals are transcribed off the event
loop. Finals of a stream are transcribed in order and never skipped; partials are
skipped when the pool is busy (unless MINA_SKIP_PARTIALS_WHEN_BUSY is off).
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

from . import live, services
from .engines.base import SAMPLE_RATE
from .models import Recording

logger = logging.getLogger(__name__)

BYTES_PER_MS = SAMPLE_RATE * 2 // 1000
MAX_FRAME_BYTES = SAMPLE_RATE * 2  # one second
TOUCH_EVERY_S = 10.0


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
    recording: Recording | None = None
    participant: Participant | None = None
    segmenter: live.Segmenter | None = None

    async def on_authenticated(self) -> None:
        assert self.meeting_id is not None
        await _authorise(self.user, self.meeting_id)
        self.finals: asyncio.Queue[live.Cut | None] = asyncio.Queue()
        self.partials_running: set[str] = set()
        self.finalised: set[str] = set()
        self.stats: dict[str, Any] = {"partials": 0, "partials_skipped": 0, "finals": 0, "dropped": 0}
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
        self.segmenter = live.Segmenter(start_sample=received // 2)
        self.worker = asyncio.ensure_future(self._finals_worker())
        await self.send_json(
            {
                "type": "ready",
                "meeting": self.meeting_id,
                "stream_id": str(self.recording.stream_id),
                "participant": self.participant.id,
                "received_ms": received // BYTES_PER_MS,
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
            await self._dispatch(cut)

    def _check_rate(self, size: int) -> None:
        # Real time, times a slack, plus a burst for audio buffered during a reconnect.
        elapsed_ms = (time.monotonic() - self.connected_at) * 1000
        allowed_ms = elapsed_ms * settings.MINA_REALTIME_SLACK + settings.MINA_RESUME_BURST_MS
        if (self.received_here + size) / BYTES_PER_MS > allowed_ms:
            raise Throttled("Audio is arriving faster than real time.", code="too_fast")

    async def _dispatch(self, cut: live.Cut) -> None:
        if cut.final:
            await self.finals.put(cut)
            return
        if settings.MINA_SKIP_PARTIALS_WHEN_BUSY and (
            cut.utterance_id in self.partials_running or live.pool_busy()
        ):
            self.stats["partials_skipped"] += 1
            return
        self.partials_running.add(cut.utterance_id)
        asyncio.ensure_future(self._partial(cut))

    async def _partial(self, cut: live.Cut) -> None:
        try:
            text = await live.transcribe_partial(cut.pcm)
        finally:
            self.partials_running.discard(cut.utterance_id)
        if not text or cut.utterance_id in self.finalised or self.closed:
            return
        self.stats["partials"] += 1
        assert self.meeting_id is not None and self.recording is not None
        offset = self.recording.offset_ms
        await events.asend(
            self.meeting_id,
            events.transcript_partial(
                self.meeting_id,
                utterance_id=cut.utterance_id,
                participant=self.participant,
                start_ms=offset + cut.start_ms,
                end_ms=offset + cut.end_ms,
                text=text,
            ),
        )

    async def _finals_worker(self) -> None:
        """Finals of one stream, in order, never skipped."""
        while True:
            cut = await self.finals.get()
            if cut is None:
                return
            try:
                result = await live.transcribe_final(cut.pcm)
                # From here on a late partial of this utterance would undo the final.
                self.finalised.add(cut.utterance_id)
                if result is None:
                    self.stats["dropped"] += 1
                    await self._clear_partial(cut)
                    continue
                self.stats["finals"] += 1
                await database_sync_to_async(services.segment_create_final)(
                    recording=self.recording, utterance_id=cut.utterance_id,
                    start_ms=cut.start_ms, result=result,
                )
            except Exception:
                logger.exception("final failed recording=%s", getattr(self.recording, "id", None))

    async def _clear_partial(self, cut: live.Cut) -> None:
        """Noise or silence: an empty partial takes back any draft already shown."""
        assert self.meeting_id is not None and self.recording is not None
        offset = self.recording.offset_ms
        await events.asend(
            self.meeting_id,
            events.transcript_partial(
                self.meeting_id, utterance_id=cut.utterance_id, participant=self.participant,
                start_ms=offset + cut.start_ms, end_ms=offset + cut.end_ms, text="",
            ),
        )

    async def _drain(self) -> None:
        """Finalise what is open and wait for every final of this connection."""
        if self.segmenter is None:
            return
        for cut in self.segmenter.flush():
            await self._dispatch(cut)
        await self.finals.put(None)
        await self.worker
        self.segmenter = None

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
        return {**self.stats, "audio_ms": self.received // BYTES_PER_MS}

    async def disconnect(self, code: int) -> None:
        timer = getattr(self, "_start_timer", None)
        if timer is not None:
            timer.cancel()
        await super().disconnect(code)
        # A dropped connection: keep what was said; the client may resume the stream.
        if self.segmenter is not None:
            await self._drain()


def _parse_stream_id(value: Any) -> uuid.UUID | None:
    if value in (None, ""):
        return None
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise Invalid("`stream_id` must be the id the server gave.", code="bad_start") from None
