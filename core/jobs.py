"""Enqueueing jobs: by the task's name, always on commit, so a job never runs before its
rows exist.

By name, so a service that queues a job need not import the module of tasks that in
turn calls the services (each app's tasks are registered when Django starts: the app's
`ready` imports them).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from celery import current_app
from django.conf import settings
from django.db import transaction
from django.utils import timezone

logger = logging.getLogger(__name__)

# Mina's queues: `default` (meeting jobs), `realtime` (live transcription when scaled) and
# what leaves Mina (webhook deliveries, mail to members: `MINA_OUTBOUND_QUEUE`,
# `outbound` unless set), which waits on other people's servers and so never queues in
# front of a meeting's job. The embedded runner and the Procfile's `worker` take them all.
QUEUES = ("default", "realtime")


def queues() -> list[str]:
    """Every queue a job may go to, as a worker is told to take them."""
    return list(dict.fromkeys([*QUEUES, settings.MINA_OUTBOUND_QUEUE]))


def enqueue_at(task_name: str, *args: Any, at: datetime | None, **options: Any) -> None:
    """Queue a job to run at `at` (at once when it is past or None): a row's next attempt
    queued again after its job was lost."""
    now = timezone.now()
    if at is not None and at > now:
        options["countdown"] = (at - now).total_seconds()
    enqueue(task_name, *args, **options)


def enqueue(task_name: str, *args: Any, **options: Any) -> None:
    """The request that asked for the job has committed its change either way: with the
    broker away, say so in the log and let the upkeep job queue it again
    (`transcription.jobs.requeue_stalled`) rather than answer a 500."""
    task = current_app.tasks[task_name]

    def send() -> None:
        try:
            task.apply_async(args=args, **options)
        except Exception as exc:
            logger.error("job not queued task=%s args=%s (%s); meeting and upload jobs are queued again "
                         "by the upkeep job", task.name, args, exc)

    transaction.on_commit(send)
