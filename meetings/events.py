"""The sending side of meeting events (hub.py is the receiving side).

Every event is JSON with `type` and `meeting`. `send` works from any thread: a request,
a consumer's helper thread, the embedded job thread or a Celery worker. With the
in-memory layer an event produced on another thread must be handed to the server's
event loop (`run_coroutine_threadsafe`), or it waits for that loop's next wake-up.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer

logger = logging.getLogger(__name__)

_server_loop: asyncio.AbstractEventLoop | None = None
_loop_lock = threading.Lock()


def group_name(meeting_id: int) -> str:
    return f"meeting.{meeting_id}"


def remember_loop() -> None:
    """Called from async code on the server's loop (each socket connect)."""
    global _server_loop
    with _loop_lock:
        _server_loop = asyncio.get_running_loop()


def _message(event: dict[str, Any]) -> dict[str, Any]:
    return {"type": "meeting.event", "event": event}


async def asend(meeting_id: int, event: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        await layer.group_send(group_name(meeting_id), _message(event))
    except Exception as exc:  # Redis down: watchers resync from the database; never fail the caller
        logger.warning("event not sent type=%s meeting=%s (%s)", event.get("type"), meeting_id, type(exc).__name__)


def send(meeting_id: int, event: dict[str, Any]) -> None:
    """Send from synchronous code on any thread."""
    layer = get_channel_layer()
    if layer is None:
        return
    loop = _server_loop
    if isinstance(layer, InMemoryChannelLayer) and loop is not None and not loop.is_closed():
        future = asyncio.run_coroutine_threadsafe(asend(meeting_id, event), loop)
        future.add_done_callback(_log_failure)
        return
    try:
        async_to_sync(asend)(meeting_id, event)
    except Exception:  # an event lost is resynced by the snapshot; never fail the caller
        logger.exception("event not sent type=%s meeting=%s", event.get("type"), meeting_id)


def _log_failure(future: Any) -> None:
    if future.exception() is not None:
        logger.error("event not sent: %r", future.exception())


# --- Event builders ------------------------------------------------------------------


def segment_payload(segment: Any) -> dict[str, Any]:
    participant = segment.participant
    return {
        "id": segment.id,
        "utterance_id": segment.utterance_id,
        "participant": participant.id if participant else None,
        "speaker": participant.name if participant else None,
        "start_ms": segment.start_ms,
        "end_ms": segment.end_ms,
        "text": segment.text,
        "kind": segment.kind,
        "fallback": segment.fallback,
        "edited": segment.edited,
    }


def transcript_partial(
    meeting_id: int, *, utterance_id: str, participant: Any, start_ms: int, end_ms: int, text: str
) -> dict[str, Any]:
    return {
        "type": "transcript.partial",
        "meeting": meeting_id,
        "utterance_id": utterance_id,
        "participant": participant.id if participant else None,
        "speaker": participant.name if participant else None,
        "start_ms": start_ms,
        "end_ms": end_ms,
        "text": text,
    }


def transcript_segment(segment: Any) -> dict[str, Any]:
    kind = "transcript.final" if segment.kind == "final" else "transcript.refined"
    return {"type": kind, "meeting": segment.meeting_id, **segment_payload(segment)}


def transcript_settled(segment: Any) -> dict[str, Any]:
    """A live final heard again with context: the same id (and kind), a better text."""
    return {"type": "transcript.refined", "meeting": segment.meeting_id, **segment_payload(segment)}


def meeting_status(meeting: Any) -> dict[str, Any]:
    return {
        "type": "meeting.status",
        "meeting": meeting.id,
        "status": meeting.status,
        "error": meeting.error,
    }


def job_progress(meeting_id: int, *, recording_id: int | None, stage: str, percent: int) -> dict[str, Any]:
    return {
        "type": "job.progress",
        "meeting": meeting_id,
        "recording": recording_id,
        "stage": stage,
        "percent": percent,
    }


def task_payload(task: Any) -> dict[str, Any]:
    return {
        "id": task.id,
        "title": task.title,
        "assignee": task.assignee_id,
        "assignee_name": task.assignee.name if task.assignee else task.owner_name,
        "due_date": task.due_date.isoformat() if task.due_date else None,
        "status": task.status,
        "source_segment": task.source_segment_id,
    }


def task_event(task: Any, *, created: bool) -> dict[str, Any]:
    return {
        "type": "task.created" if created else "task.updated",
        "meeting": task.meeting_id,
        "task": task_payload(task),
    }


def participant_renamed(participant: Any) -> dict[str, Any]:
    return {
        "type": "participant.renamed",
        "meeting": participant.meeting_id,
        "participant": participant.id,
        "name": participant.name,
    }


def summary_ready(summary: Any) -> dict[str, Any]:
    return {
        "type": "summary.ready",
        "meeting": summary.meeting_id,
        "overview": summary.overview,
        "key_points": summary.key_points,
        "decisions": summary.decisions,
    }


def error(meeting_id: int | None, code: str, message: str) -> dict[str, Any]:
    return {"type": "error", "meeting": meeting_id, "code": code, "message": message}
