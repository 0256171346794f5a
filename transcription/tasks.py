"""Celery tasks: thin wrappers that take ids and call a service."""

from __future__ import annotations

import inspect
import threading
from collections.abc import Sequence
from typing import Any

from celery import Task, shared_task
from celery.concurrency.prefork import TaskPool as PreforkPool
from celery.signals import worker_process_init, worker_ready
from django.core.cache import cache

from . import jobs, transcribers


@shared_task(name="transcription.tasks.ping")
def ping(nonce: str) -> None:
    """Answered by whichever worker is up; /health/detailed waits for the cache key."""
    cache.set(f"mina:ping:{nonce}", "pong", timeout=60)


class Job(Task):  # type: ignore[misc]
    """A job of recordings and meetings: retried with backoff while something it needs is
    away (jobs.TRANSIENT), acked late so a dead worker's job is delivered again; failed for
    good, its recording and meeting say why (`jobs.job_failed`)."""

    autoretry_for = jobs.TRANSIENT
    retry_backoff = 2
    retry_backoff_max = 60
    max_retries = 5
    acks_late = True

    def on_failure(self, exc: BaseException, task_id: str, args: Any, kwargs: Any, einfo: Any) -> None:
        ids = inspect.signature(self.run).bind(*args, **kwargs).arguments
        jobs.job_failed(exc=exc, tries=self.request.retries + 1, **ids)


@shared_task(base=Job, name="transcription.tasks.process_meeting")
def process_meeting(meeting_id: int) -> None:
    jobs.meeting_process(meeting_id=meeting_id)


@shared_task(base=Job, name="transcription.tasks.transcribe_recording")
def transcribe_recording(recording_id: int) -> None:
    jobs.recording_process(recording_id=recording_id)


@shared_task(name="transcription.tasks.run_periodic")
def run_periodic() -> None:
    jobs.periodic()


@shared_task(base=Job, name="transcription.tasks.summarize_meeting", max_retries=3)
def summarize_meeting(meeting_id: int) -> None:
    jobs.meeting_summarize(meeting_id=meeting_id)


@shared_task(name="transcription.tasks.transcribe_realtime", acks_late=False, ignore_result=True)
def transcribe_realtime(
    job_id: str,
    reply_channel: str,
    kind: str,
    audio: str,
    language: str = "en",
    prompt: str = "",
    terms: Sequence[str] = (),
    hurried: bool = False,
) -> None:
    """A live partial or final (base64 PCM16); the answer goes to `reply_channel`.

    Not acked late: a worker that dies mid-job leaves the asker to send it again, instead
    of the broker replaying stale audio an hour later.
    """
    hearing = transcribers.Hearing(language=language, prompt=prompt, terms=tuple(terms))
    transcribers.realtime_job(
        job_id=job_id, reply_channel=reply_channel, kind=kind, audio=audio, hearing=hearing, hurried=hurried
    )


def _warm_up_in_background() -> None:
    # The worker takes jobs meanwhile; the first live one is not slowed by loading the model.
    threading.Thread(target=transcribers.warm_up, name="mina-stt-warm", daemon=True).start()


@worker_process_init.connect  # each prefork (or solo) process that will run the jobs
def _warm_up_pool_process(**kwargs: Any) -> None:
    _warm_up_in_background()


@worker_ready.connect
def _warm_up_thread_pool(sender: Any, **kwargs: Any) -> None:
    # A prefork parent only hands jobs to its children: a model here would be ~120 MB for nothing.
    if not isinstance(getattr(sender, "pool", None), PreforkPool):
        _warm_up_in_background()
