"""What transcription announces to the apps above it (which transcription does not import)."""

from __future__ import annotations

from django.db import transaction
from django.dispatch import Signal

# The transcript people read changed: the careful pass finished, a line was corrected or
# the careful pass named its speakers. `meeting_id`. Sent once the change is committed.
transcript_changed = Signal()


def announce_transcript_changed(meeting_id: int) -> None:
    transaction.on_commit(lambda: transcript_changed.send(sender=None, meeting_id=meeting_id))
