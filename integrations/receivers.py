"""What integrations does when meetings announce something: webhooks for each event, and
a ready meeting's summary mailed to its participants.

The signals are sent once the change is committed (meetings.signals); a receiver that
fails is logged there and never undoes the change.
"""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from meetings.signals import decisions_created, meeting_ready, task_created, task_updated

from . import mail, payloads, services
from .models import Event


@receiver(meeting_ready)
def on_meeting_ready(sender: Any, meeting: Any, **kwargs: Any) -> None:
    services.event_publish(
        workspace_id=meeting.workspace_id, event=Event.MEETING_READY, message=payloads.meeting_ready(meeting)
    )


@receiver(meeting_ready)
def mail_meeting_summary(sender: Any, meeting: Any, **kwargs: Any) -> None:
    mail.meeting_mail_queue(meeting=meeting)


@receiver(task_created)
def on_task_created(sender: Any, task: Any, **kwargs: Any) -> None:
    services.event_publish(
        workspace_id=task.workspace_id, event=Event.TASK_CREATED, message=payloads.task(task, created=True)
    )


@receiver(task_updated)
def on_task_updated(sender: Any, task: Any, **kwargs: Any) -> None:
    services.event_publish(
        workspace_id=task.workspace_id, event=Event.TASK_UPDATED, message=payloads.task(task, created=False)
    )


@receiver(decisions_created)
def on_decisions_created(sender: Any, meeting: Any, decisions: list[str], **kwargs: Any) -> None:
    for decision in decisions:
        services.event_publish(
            workspace_id=meeting.workspace_id,
            event=Event.DECISION_CREATED,
            message=payloads.decision(meeting, decision),
        )
