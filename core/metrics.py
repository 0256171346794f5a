"""Prometheus metrics counted in this process, and the job hooks that count them.

The sockets, the live streams (transcription/live_stream.py) and Celery's task signals
update these; `/metrics` (mina/metrics.py) serves them together with the numbers read at
scrape time from the database and the broker, which are right across processes. These
are each process's own: in scaled mode a Daphne process counts its sockets and streams,
and a Celery worker the jobs it runs (docs/operations.md).
"""

from __future__ import annotations

import time
from typing import Any

from prometheus_client import Counter, Gauge, Histogram, disable_created_metrics

# No `_created` series beside every counter and histogram: Prometheus does not need them.
disable_created_metrics()

SOCKETS_OPEN = Gauge("mina_sockets_open", "Sockets open on this process.", ["socket"])
LIVE_STREAMS = Gauge("mina_live_streams", "Live audio streams being transcribed by this process.")
# From the voice detector's cut to the final's text, as in a recording's stats; the
# count is the number of finals kept.
FINAL_LATENCY = Histogram(
    "mina_live_final_latency_seconds", "Live finals: from the end of the utterance to its text.",
    buckets=(0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0, 30.0),
)
FINALS_DROPPED = Counter("mina_live_finals_dropped", "Live finals dropped as silence or noise.")
# Real-time factor = rate(processing) / rate(audio): the speech model's time per second
# of live audio (drafts, finals and settling; in scaled mode as the workers report it).
LIVE_AUDIO = Counter("mina_live_audio_seconds", "Live audio received by this process's streams.")
LIVE_PROCESSING = Counter(
    "mina_live_processing_seconds", "Speech-model time spent on this process's live streams.", ["kind"]
)
JOBS_RUNNING = Gauge("mina_jobs_running", "Jobs running in this process, by task.", ["task"])
JOB_DURATION = Histogram(
    "mina_job_duration_seconds", "Jobs run by this process, by task and final state.", ["task", "state"],
    buckets=(0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 1800.0, 3600.0),
)
JOB_FAILURES = Counter("mina_job_failures", "Jobs failed for good (retries spent), by task.", ["task"])
JOB_RETRIES = Counter("mina_job_retries", "Job attempts that failed and were retried, by task.", ["task"])

# When each attempt started, by task id and attempt: an eager retry runs inside the
# attempt it retries, with the same task id.
_job_started: dict[tuple[str, int], float] = {}


def _attempt(task_id: str | None, task: Any) -> tuple[str, int]:
    return task_id or "", getattr(task.request, "retries", 0) or 0


def job_started(task_id: str | None = None, task: Any = None, **kwargs: Any) -> None:
    """Celery's `task_prerun`."""
    if task is not None:
        _job_started[_attempt(task_id, task)] = time.monotonic()
        JOBS_RUNNING.labels(task=task.name).inc()


def job_finished(task_id: str | None = None, task: Any = None, state: str | None = None, **kwargs: Any) -> None:
    """Celery's `task_postrun`: a retried attempt ends here too, with state RETRY."""
    started = None if task is None else _job_started.pop(_attempt(task_id, task), None)
    if started is not None and task is not None:
        JOBS_RUNNING.labels(task=task.name).dec()
        JOB_DURATION.labels(task=task.name, state=state or "UNKNOWN").observe(time.monotonic() - started)


def job_failed(sender: Any = None, **kwargs: Any) -> None:
    """Celery's `task_failure`: raised with no retry left (a retry is `task_retry`)."""
    JOB_FAILURES.labels(task=getattr(sender, "name", "unknown")).inc()


def job_retried(sender: Any = None, **kwargs: Any) -> None:
    """Celery's `task_retry`."""
    JOB_RETRIES.labels(task=getattr(sender, "name", "unknown")).inc()
