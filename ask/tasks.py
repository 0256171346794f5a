"""Celery tasks: thin wrappers that take ids and call a service."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(name="ask.tasks.index_meeting")
def index_meeting(meeting_id: int) -> None:
    # Failed, the meeting says so (questions stop calling their answer partial because of
    # it); `manage.py reindex` tries again.
    try:
        services.meeting_index(meeting_id=meeting_id)
    except Exception as exc:
        services.meeting_index_failed(meeting_id=meeting_id, error=str(exc))
        raise
