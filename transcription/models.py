from __future__ import annotations

import os
import uuid

from django.db import models

# The only extensions a stored recording keeps: the recordings view serves a file with the
# type its extension names, and an uploaded `x.html` or `x.svg` must never come back as a page.
AUDIO_EXTENSIONS = {".wav", ".mp3", ".m4a", ".mp4", ".aac", ".ogg", ".oga", ".opus", ".webm", ".flac"}


def recording_path(instance: Recording, filename: str) -> str:
    # Random names: a recording's URL never reveals or guesses another's.
    extension = os.path.splitext(filename)[1].lower()
    return f"recordings/{uuid.uuid4().hex}{extension if extension in AUDIO_EXTENSIONS else ''}"


class Recording(models.Model):
    class Source(models.TextChoices):
        LIVE = "live", "Live"
        UPLOAD = "upload", "Upload"

    class Status(models.TextChoices):
        RECEIVING = "receiving", "Receiving"  # live audio still arriving
        QUEUED = "queued", "Queued"
        PROCESSING = "processing", "Processing"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    meeting = models.ForeignKey("meetings.Meeting", on_delete=models.CASCADE, related_name="recordings")
    participant = models.ForeignKey(
        "meetings.Participant",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="recordings",
    )
    uploaded_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    source = models.CharField(max_length=10, choices=Source.choices)
    stream_id = models.UUIDField(null=True, blank=True, unique=True)
    offset_ms = models.BigIntegerField(default=0, help_text="Start, from the meeting's start.")
    file = models.FileField(upload_to=recording_path, blank=True)
    original_name = models.CharField(max_length=255, blank=True)
    duration_ms = models.BigIntegerField(default=0)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0, help_text="Percent of audio done.")
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    last_audio_at = models.DateTimeField(null=True, blank=True)
    stats = models.JSONField(default=dict, blank=True, help_text="How the live stream went.")
    refined_ms = models.BigIntegerField(
        default=0, help_text="How far the careful pass has stored its transcript, from the recording's start."
    )
    room_microphone = models.BooleanField(
        default=False, help_text="A microphone several people speak into: the careful pass tells them apart."
    )
    expected_speakers = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="How many people speak, when known; else the careful pass counts them."
    )
    speakers = models.JSONField(
        default=list, blank=True, help_text="The participants the careful pass found, by speaker number."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["meeting", "offset_ms", "id"]
        indexes = [models.Index(fields=["status", "updated_at"], name="recording_status_updated")]

    def __str__(self) -> str:
        return f"{self.get_source_display()} recording {self.pk} of {self.meeting_id}"

    @property
    def chunk_dir(self) -> str:
        return f"chunks/{self.stream_id.hex if self.stream_id else self.pk}"


class Segment(models.Model):
    class Kind(models.TextChoices):
        FINAL = "final", "Live final"
        REFINED = "refined", "Refined"

    class Fallback(models.TextChoices):
        """Why a line of the refined transcript is not the careful pass's own text."""

        NONE = "", "Careful pass"
        LIVE = "live", "Kept from the live transcript"
        INAUDIBLE = "inaudible", "Speech with no words heard"

    meeting = models.ForeignKey("meetings.Meeting", on_delete=models.CASCADE, related_name="segments")
    recording = models.ForeignKey(
        Recording, on_delete=models.SET_NULL, null=True, blank=True, related_name="segments"
    )
    participant = models.ForeignKey(
        "meetings.Participant",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="segments",
    )
    utterance_id = models.CharField(max_length=64, blank=True)
    start_ms = models.BigIntegerField()
    end_ms = models.BigIntegerField()
    text = models.TextField()
    words = models.JSONField(default=list, blank=True)
    no_speech_prob = models.FloatField(default=0.0)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    fallback = models.CharField(max_length=10, choices=Fallback.choices, default=Fallback.NONE, blank=True)
    edited = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["start_ms", "id"]
        indexes = [models.Index(fields=["meeting", "start_ms"], name="segment_meeting_start")]

    def __str__(self) -> str:
        return f"{self.start_ms} ms: {self.text[:40]}"
