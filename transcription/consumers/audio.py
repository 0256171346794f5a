"""The audio socket: one participant's microphone in, transcript events out.

Every frame is stored first (numbered chunks through Django's storage), then handed to
the stream's `LiveStream` (transcription/live_stream.py), which transcribes, stores and
sends what the live session decides. Here: the protocol (start, audio, stop), a dropped
connection kept resumable, and the recording's liveness.
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
from meetings.selectors import meeting_get
from workspaces.models import Role

from .. import protocol, selectors, services, transcribers
from ..live_stream import LiveStream
from ..models import Recording

logger = logging.getLogger(__name__)

TOUCH_EVERY_S = 10.0


class AudioConsumer(SignedInConsumer):
    socket_name = "audio"
    recording: Recording | None = None
    stream: LiveStream | None = None

    async def check_access(self) -> None:
        """Members and up record; a member demoted to viewer loses the microphone."""
        await database_sync_to_async(meeting_get)(user=self.user, meeting_id=self.meeting_id or 0, min_role=Role.MEMBER)

    async def on_authenticated(self) -> None:
        await self.check_access()
        transcribers.prepare()
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
        self._start_timer.cancel()
        self.received, self.received_here = received, 0
        self.connected_at = self.last_touch = time.monotonic()
        hearing = await database_sync_to_async(selectors.hearing)(meeting=self.recording.meeting)
        self.stream = LiveStream(self.recording, received_bytes=received, load_key=self.channel_name, hearing=hearing)
        await self.stream.start()
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
        if self.recording is None or self.stream is None:
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
            await database_sync_to_async(services.stream_touch)(
                recording_id=self.recording.id, stats=self.stream.stats()
            )
        self.stream.feed(data)

    async def _stop(self) -> None:
        if self.recording is None or self.stream is None:
            raise Invalid("Nothing to stop: send `start` first.", code="not_started")
        await self.stream.drain(settle=True)
        recording = await database_sync_to_async(services.stream_close)(
            recording=self.recording, stats=self.stream.stats()
        )
        await self.send_json(
            {"type": "stopped", "meeting": self.meeting_id, "stream_id": str(recording.stream_id),
             "received_ms": recording.duration_ms}
        )
        self.closed = True
        await self.close(code=1000)

    async def disconnect(self, code: int) -> None:
        self.closed = True
        if self.stream is not None and self.recording is not None and not self.stream.drained:
            # A dropped connection: keep what was said; the client may resume the stream.
            await self.stream.drain(settle=False)
            await database_sync_to_async(services.stream_stats_save)(
                recording_id=self.recording.id, stats=self.stream.stats()
            )
        await super().disconnect(code)

    def release(self) -> None:
        super().release()
        timer = getattr(self, "_start_timer", None)
        if timer is not None:
            timer.cancel()
        if self.stream is not None:
            self.stream.release()
