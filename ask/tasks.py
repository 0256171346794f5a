"""Celery tasks: thin wrappers that take ids and call a service."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

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


@shared_task(name="ask.tasks.index_periodic")
def index_periodic() -> None:
    """Periodic: meetings whose index job was lost are queued again."""
    services.indexes_requeue(stalled_before=timezone.now() - timedelta(seconds=settings.MINA_JOB_STALLED_S))
