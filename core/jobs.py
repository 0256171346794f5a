"""Enqueueing jobs: by the task's name, always on commit, so a job never runs before its
rows exist.

By name, so a service that queues a job need not import the module of tasks that in
turn calls the services (each app's tasks are registered when Django starts: the app's
`ready` imports them).
"""

from __future__ import annotations

import logging
from typing import Any

from celery import current_app
from django.db import transaction

logger = logging.getLogger(__name__)

# Every queue Mina's jobs go to: `default`, and `realtime` for live transcription when
# scaled (the embedded runner and the Procfile's `worker` take both).
QUEUES = ("default", "realtime")


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
