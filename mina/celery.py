"""The Celery app: a Redis broker when scaled, the in-process memory broker embedded."""

import os
from typing import Any

from celery import Celery, signals
from django.conf import settings

from core import metrics
from mina.memory import start_trimming

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mina.settings")

app = Celery("mina")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.worker_init.connect
@signals.worker_process_init.connect  # each prefork child: a thread does not survive fork
def trim_memory(**kwargs: Any) -> None:
    start_trimming(settings.MINA_MEMORY_TRIM_S)


# Job durations, retries and failures for /metrics, counted by whichever process runs the job.
signals.task_prerun.connect(metrics.job_started, weak=False)
signals.task_postrun.connect(metrics.job_finished, weak=False)
signals.task_failure.connect(metrics.job_failed, weak=False)
signals.task_retry.connect(metrics.job_retried, weak=False)
