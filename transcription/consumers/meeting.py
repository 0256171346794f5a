"""The meeting socket: everyone in the workspace watches a meeting's transcript here.

Events reach it through the process's hub (hub.py: one group membership per process
and meeting, each event serialised once). The channel layer delivers at most once: it
drops events past a channel's capacity, and loses every event and group membership while
Redis is down. So the socket remembers which segments it has sent, and at every re-check
(MINA_SOCKET_RECHECK_S) and when Redis comes back it sends a `snapshot` of the segments
it missed, with the status. The same re-check renews the process's group membership,
which would otherwise lapse after MINA_CHANNEL_GROUP_EXPIRY_S.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async

from accounts.socket_auth import SignedInConsumer
from core.errors import Invalid
from meetings import events
from meetings.hub import hub
from meetings.models import Meeting
from meetings.selectors import meeting_get

from ..models import Segment

logger = logging.getLogger(__name__)

SEGMENT_EVENTS = {"transcript.final", "transcript.refined"}


def _after_from_query(scope: dict[str, Any]) -> int:
    values = parse_qs(scope.get("query_string", b"").decode()).get("after", ["0"])
    try:
        return max(0, int(values[0]))
    except ValueError:
        return 0


def _snapshot_of(meeting_id: int, status: str, segments: Any) -> dict[str, Any]:
    return {
        "type": "snapshot",
        "meeting": meeting_id,
        "status": status,
        "segments": [events.segment_payload(s) for s in segments],
    }


def _segments(meeting_id: int) -> Any:
    return Segment.objects.filter(meeting_id=meeting_id).select_related("participant").order_by("id")


@database_sync_to_async
def _snapshot(meeting_id: int, after: int) -> dict[str, Any]:
    meeting = Meeting.objects.get(pk=meeting_id)
    return _snapshot_of(meeting_id, meeting.status, _segments(meeting_id).filter(id__gt=after))


@database_sync_to_async
def _missed(meeting_id: int, after: int, sent: frozenset[int]) -> tuple[dict[str, Any], int]:
    """A snapshot of the segments after `after` not in `sent`, and the newest segment id."""
    status = Meeting.objects.values_list("status", flat=True).get(pk=meeting_id)
    ids = list(_segments(meeting_id).filter(id__gt=after).values_list("id", flat=True))
    missing = [i for i in ids if i not in sent]
    segments = _segments(meeting_id).filter(id__in=missing) if missing else []
    return _snapshot_of(meeting_id, status, segments), max(ids, default=after)


class MeetingConsumer(SignedInConsumer):
    socket_name = "meeting"
    joined = False
    # Every segment with an id up to `synced_to` was sent; `sent` holds those sent above it.
    synced_to = 0
    status: str | None = None
    # Events that came before the first snapshot was sent: they follow it.
    early: list[tuple[dict[str, Any], str]] | None = None

    async def check_access(self) -> None:
        """Any member of the meeting's workspace may watch."""
        await database_sync_to_async(meeting_get)(user=self.user, meeting_id=self.meeting_id or 0)

    async def on_authenticated(self) -> None:
        await self.check_access()
        self.sent: set[int] = set()
        self.early = []
        await self._join_group()
        after = _after_from_query(self.scope)
        snapshot = await _snapshot(self.meeting_id, after)
        self.synced_to = max([after, *(s["id"] for s in snapshot["segments"])])
        await self._send_snapshot(snapshot)
        early, self.early = self.early, None
        for event, text in early:
            await self.deliver(event, text)

    async def on_message(self, message: dict[str, Any]) -> None:
        if message.get("type") == "sync":
            after = message.get("after", 0)
            if not isinstance(after, int) or after < 0:
                raise Invalid("`after` must be a segment id.", code="bad_after")
            assert self.meeting_id is not None
            await self._send_snapshot(await _snapshot(self.meeting_id, after))
            return
        await super().on_message(message)

    def close_on_bad_input(self, exc: Any) -> bool:
        return False

    async def deliver(self, event: dict[str, Any], text: str) -> None:
        """An event from the hub, already serialised."""
        if self.closed:
            return
        if self.early is not None:
            self.early.append((event, text))
            return
        if event["type"] in SEGMENT_EVENTS:
            self.sent.add(event["id"])
        elif event["type"] == "meeting.status":
            self.status = event["status"]
        await self.send(text_data=text)

    async def on_recheck(self) -> None:
        await self._join_group()
        await self._resync()

    async def on_layer_recovered(self) -> None:
        await self._join_group()
        await self._resync()

    async def _join_group(self) -> None:
        """Join the meeting's group, or renew the membership before it lapses."""
        assert self.meeting_id is not None
        self.joined = True
        try:
            await hub().join(self.meeting_id, self)
        except Exception as exc:  # Redis down: the layer says when it is back (layer.recovered)
            logger.warning("socket not in its group meeting=%s (%s)", self.meeting_id, type(exc).__name__)

    async def _resync(self) -> None:
        """Send what the channel layer dropped: missed segments, and the status if it changed."""
        assert self.meeting_id is not None
        snapshot, newest = await _missed(self.meeting_id, self.synced_to, frozenset(self.sent))
        if snapshot["segments"] or snapshot["status"] != self.status:
            logger.info("socket resynced meeting=%s segments=%s", self.meeting_id, len(snapshot["segments"]))
            await self._send_snapshot(snapshot)
        self.synced_to = max(self.synced_to, newest)
        self.sent = {i for i in self.sent if i > self.synced_to}

    async def _send_snapshot(self, snapshot: dict[str, Any]) -> None:
        self.status = snapshot["status"]
        # Only ids above `synced_to` need remembering: a long meeting's first snapshot
        # would otherwise sit in every socket's memory.
        self.sent.update(s["id"] for s in snapshot["segments"] if s["id"] > self.synced_to)
        await self.send_json(snapshot)

    async def disconnect(self, code: int) -> None:
        self.closed = True
        if self.joined:
            assert self.meeting_id is not None
            try:
                await hub().leave(self.meeting_id, self)
            except Exception as exc:  # Redis down: the membership lapses by itself
                logger.warning("group not left meeting=%s (%s)", self.meeting_id, type(exc).__name__)
        await super().disconnect(code)

    def release(self) -> None:
        super().release()
        if self.joined:
            assert self.meeting_id is not None
            hub().forget(self.meeting_id, self)
