"""The sending side of meeting events (hub.py is the receiving side): group names and
the builders of every event. Every event is JSON with `type` and `meeting`; `send` works
from any thread (core/events.py)."""

from __future__ import annotations

from typing import Any

from core.events import agroup_send, group_send


def group_name(meeting_id: int) -> str:
    return f"meeting.{meeting_id}"


def _message(event: dict[str, Any]) -> dict[str, Any]:
    return {"type": "meeting.event", "event": event}


async def asend(meeting_id: int, event: dict[str, Any]) -> None:
    await agroup_send(group_name(meeting_id), _message(event))


def send(meeting_id: int, event: dict[str, Any]) -> None:
    """Send from synchronous code on any thread."""
    group_send(group_name(meeting_id), _message(event))


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
        "review": task.review,
        "confidence": task.confidence,
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
        "questions": summary.questions,
    }
