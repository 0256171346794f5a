"""What ask does when the apps below it announce something (they never import ask)."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from meetings.models import Meeting, Participant
from transcription.signals import transcript_changed

from . import services
from .models import MeetingIndex


@receiver(transcript_changed)
def index_changed_transcript(sender: Any, meeting_id: int, **kwargs: Any) -> None:
    services.index_request(meeting_id=meeting_id)


@receiver(post_save, sender=Participant)
def index_renamed_speaker(sender: Any, instance: Participant, created: bool, **kwargs: Any) -> None:
    """Passages carry their speakers' names ("Carol: I will …"): a rename re-embeds them.
    (meetings.services.participant_rename saves with update_fields; meetings may not send
    transcription's signal.)"""
    fields = kwargs.get("update_fields")
    indexed = MeetingIndex.objects.filter(meeting_id=instance.meeting_id)
    if not created and fields and "name" in fields and indexed.exists():
        services.index_request(meeting_id=instance.meeting_id)


@receiver(post_delete, sender=Meeting)
def forget_deleted_meeting(sender: Any, instance: Meeting, **kwargs: Any) -> None:
    """Its passages went with it (cascade); the matrices that held them are stale now.
    Results are read back from the database too, so none shows even before this lands."""
    services.workspace_index_bump(workspace_id=instance.workspace_id, create=False)
