"""What transcription does when meetings announces something."""

from __future__ import annotations

from typing import Any

from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver

from core.jobs import enqueue
from meetings.signals import meeting_ended

from .jobs import PROCESS_MEETING
from .models import Recording


@receiver(meeting_ended)
def process_ended_meeting(sender: Any, meeting: Any, **kwargs: Any) -> None:
    """The careful pass, the summary and compression follow (queued on commit)."""
    enqueue(PROCESS_MEETING, meeting.id)


@receiver(post_delete, sender=Recording)
def delete_recording_file(sender: Any, instance: Recording, **kwargs: Any) -> None:
    """A recording deleted (alone, or with its meeting: by a person, or the retention
    purge) takes its audio file with it, once the deletion is committed."""
    name = str(instance.file.name or "")
    if name:
        transaction.on_commit(lambda: default_storage.delete(name))
