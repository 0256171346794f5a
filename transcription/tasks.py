"""Celery tasks: thin wrappers that take ids and call a service."""

from __future__ import annotations

from celery import shared_task
from django.core.cache import cache

from . import jobs


@shared_task(name="transcription.tasks.ping")
def ping(nonce: str) -> None:
    """Answered by whichever worker is up; /health/detailed waits for the cache key."""
    cache.set(f"mina:ping:{nonce}", "pong", timeout=60)


@shared_task(
    name="transcription.tasks.process_meeting", bind=True, max_retries=5, acks_late=True
)
def process_meeting(self, meeting_id: int) -> None:  # type: ignore[no-untyped-def]
    jobs.run_with_retries(self, jobs.meeting_process, meeting_id=meeting_id)


@shared_task(
    name="transcription.tasks.transcribe_recording", bind=True, max_retries=5, acks_late=True
)
def transcribe_recording(self, recording_id: int) -> None:  # type: ignore[no-untyped-def]
    jobs.run_with_retries(self, jobs.recording_process, recording_id=recording_id)


@shared_task(name="transcription.tasks.run_periodic")
def run_periodic() -> None:
    jobs.periodic()


@shared_task(name="transcription.tasks.summarize_meeting", bind=True, max_retries=3, acks_late=True)
def summarize_meeting(self, meeting_id: int) -> None:  # type: ignore[no-untyped-def]
    jobs.run_with_retries(self, jobs.meeting_summarize, meeting_id=meeting_id)
