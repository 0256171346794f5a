"""The meeting socket: everyone in the workspace watches a meeting's transcript here."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async

from mina.errors import Invalid
from mina.sockets import MinaConsumer

from . import events
from .models import Meeting
from .selectors import meeting_get


def _after_from_query(scope: dict[str, Any]) -> int:
    values = parse_qs(scope.get("query_string", b"").decode()).get("after", ["0"])
    try:
        return max(0, int(values[0]))
    except ValueError:
        return 0


@database_sync_to_async
def _snapshot(meeting_id: int, after: int) -> dict[str, Any]:
    from transcription.models import Segment

    meeting = Meeting.objects.get(pk=meeting_id)
    segments = (
        Segment.objects.filter(meeting_id=meeting_id, id__gt=after)
        .select_related("participant")
        .order_by("id")
    )
    return {
        "type": "snapshot",
        "meeting": meeting_id,
        "status": meeting.status,
        "segments": [events.segment_payload(s) for s in segments],
    }


class MeetingConsumer(MinaConsumer):
    group: str | None = None

    async def on_authenticated(self) -> None:
        assert self.meeting_id is not None
        await database_sync_to_async(meeting_get)(user=self.user, meeting_id=self.meeting_id)
        self.group = events.group_name(self.meeting_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.send_json(await _snapshot(self.meeting_id, _after_from_query(self.scope)))

    async def on_message(self, message: dict[str, Any]) -> None:
        if message.get("type") == "sync":
            after = message.get("after", 0)
            if not isinstance(after, int) or after < 0:
                raise Invalid("`after` must be a segment id.", code="bad_after")
            assert self.meeting_id is not None
            await self.send_json(await _snapshot(self.meeting_id, after))
            return
        await super().on_message(message)

    def close_on_bad_input(self, exc: Any) -> bool:
        return False

    async def meeting_event(self, message: dict[str, Any]) -> None:
        await self.send_json(message["event"])

    async def disconnect(self, code: int) -> None:
        await super().disconnect(code)
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)
