"""What each event says: `data` for the JSON format, one line of text for Slack's."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder

from meetings.models import Meeting, Summary, Task
from meetings.serializers import MeetingSerializer, TaskSerializer


@dataclass(frozen=True)
class Message:
    data: dict[str, Any]
    text: str


def meeting_ready(meeting: Meeting) -> Message:
    summary = Summary.objects.filter(meeting=meeting).first()
    data: dict[str, Any] = {"meeting": MeetingSerializer(meeting).data, "summary": None}
    text = f"Meeting “{meeting.title}” is ready."
    if summary is not None:
        data["summary"] = {
            "overview": summary.overview,
            "key_points": summary.key_points,
            "decisions": summary.decisions,
            "questions": summary.questions,
        }
        if summary.overview:
            text += f"\n{summary.overview}"
    return Message(data=data, text=text)


def task(task: Task, *, created: bool) -> Message:
    serialized = TaskSerializer(task).data
    owner = serialized["assignee_name"] or "nobody yet"
    due = f", due {task.due_date.isoformat()}" if task.due_date else ""
    verb = "New task" if created else f"Task updated ({task.get_status_display().lower()})"
    return Message(data={"task": serialized}, text=f"{verb}: {task.title} ({owner}{due})")


def decision(meeting: Meeting, text: str) -> Message:
    return Message(
        data={"meeting": {"id": meeting.id, "title": meeting.title}, "decision": text},
        text=f"Decided in “{meeting.title}”: {text}",
    )


def _slack_escape(text: str) -> str:
    # Slack reads &, < and > as markup (links, mentions).
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def body(*, slack: bool, envelope: dict[str, Any], message: Message) -> str:
    """The bytes sent: Mina's envelope with the event's data, or Slack's `{"text": …}`."""
    if slack:
        return json.dumps({"text": _slack_escape(message.text)}, ensure_ascii=False)
    return json.dumps({**envelope, "data": message.data}, cls=DjangoJSONEncoder, ensure_ascii=False)
