"""Upload a recording to a meeting from the command line and wait for its transcript."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.files import File
from django.core.management.base import BaseCommand, CommandError

from core.errors import MinaError
from meetings.models import Meeting
from transcription import services
from transcription.models import Recording
from workspaces.models import Membership, Role


class Command(BaseCommand):
    help = "Transcribe an audio file into a meeting (as its organizer): transcribe <meeting id> <file>."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("meeting", type=int)
        parser.add_argument("file", type=Path)
        parser.add_argument("--speakers", type=int, help="How many people speak, when known (else counted).")

    def handle(self, *args: Any, meeting: int, file: Path, speakers: int | None, **options: Any) -> None:
        found = Meeting.objects.select_related("workspace", "organizer").filter(pk=meeting).first()
        if found is None:
            raise CommandError(f"No meeting {meeting}.")
        membership = _acting_membership(found)
        if not file.is_file():
            raise CommandError(f"No file at {file}.")
        try:
            with file.open("rb") as fh:
                recording = services.upload_create(
                    meeting=found, membership=membership, upload=File(fh, name=file.name), expected_speakers=speakers
                )
        except MinaError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from exc
        recording.refresh_from_db()
        self.stdout.write(f"Recording {recording.id}: {recording.status} ({recording.progress}%)")
        if recording.status == Recording.Status.FAILED:
            raise CommandError(recording.error)


def _acting_membership(meeting: Meeting) -> Membership:
    """The organizer's membership, else the workspace's first owner."""
    memberships = Membership.objects.select_related("workspace", "user").filter(workspace=meeting.workspace)
    found = memberships.filter(user=meeting.organizer).first() or memberships.filter(role=Role.OWNER).first()
    if found is None:
        raise CommandError("The meeting's workspace has no organizer or owner to act as.")
    return found
