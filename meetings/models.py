from __future__ import annotations

import re

from django.conf import settings
from django.db import models

from core.languages import AUTO, LANGUAGE_CHOICES, language_name


class Series(models.Model):
    """Meetings that recur (a team's stand-up, a project's weekly): each one opens with
    what the earlier ones left open and decided."""

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="series")
    name = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "series"
        constraints = [models.UniqueConstraint(fields=["workspace", "name"], name="series_unique_name")]

    def __str__(self) -> str:
        return self.name


class Meeting(models.Model):
    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        LIVE = "live", "Live"
        PROCESSING = "processing", "Processing"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="meetings"
    )
    title = models.CharField(max_length=200)
    organizer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.SCHEDULED)
    # What is spoken: a Whisper language code, or "auto" (detected by the careful pass,
    # then kept in detected_language). New meetings take their workspace's language.
    language = models.CharField(max_length=10, choices=LANGUAGE_CHOICES, default="en")
    detected_language = models.CharField(max_length=10, blank=True)
    series = models.ForeignKey(
        Series, on_delete=models.SET_NULL, null=True, blank=True, related_name="meetings"
    )
    error = models.TextField(blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["workspace", "status", "created_at"], name="meeting_ws_status_created"),
            # The meetings list (newest first, `id` breaks ties): one workspace's first page
            # is read in index order instead of sorting all of its meetings.
            models.Index(fields=["workspace", "created_at", "id"], name="meeting_ws_created"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def spoken_language(self) -> str:
        """The language the transcript is in: chosen, detected, or "auto" while unknown."""
        return self.detected_language or self.language

    @property
    def language_label(self) -> str:
        """For people: "German", "French (detected)", "Language not detected yet"."""
        if self.language != AUTO:
            return language_name(self.language)
        if self.detected_language:
            return f"{language_name(self.detected_language)} (detected)"
        return "Language not detected yet"

    @property
    def is_liveable(self) -> bool:
        return self.status in (self.Status.SCHEDULED, self.Status.LIVE)


# The label of a voice the careful pass told apart, until someone names it.
UNNAMED = re.compile(r"Speaker \d+")


class Participant(models.Model):
    """A speaker label: a workspace member, a guest known only by name, or a voice the
    careful pass told apart ("Speaker 2") until someone names it."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="participants")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    name = models.CharField(max_length=150)
    # A name the conversation suggests ("This is Priya", or "Sure" to "Tom, could you …?"),
    # shown for one click to confirm; never applied by itself.
    suggested_name = models.CharField(max_length=150, blank=True)
    suggestion_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["meeting", "id"]

    def __str__(self) -> str:
        return self.name


class Summary(models.Model):
    meeting = models.OneToOneField(Meeting, on_delete=models.CASCADE, related_name="summary")
    overview = models.TextField(blank=True)
    key_points = models.JSONField(default=list, blank=True)
    decisions = models.JSONField(default=list, blank=True)
    # Open questions: asked in the meeting and left unanswered or undecided.
    questions = models.JSONField(default=list, blank=True)
    engine = models.CharField(max_length=30)
    model = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "summaries"

    def __str__(self) -> str:
        return f"Summary of {self.meeting}"


# How task lists sort: open work first, then in progress, then done. The index on Task
# repeats this very expression, which PostgreSQL needs in order to use it.
TASK_STATUS_ORDER = models.Case(
    models.When(status="open", then=models.Value(0)),
    models.When(status="in_progress", then=models.Value(1)),
    default=models.Value(2),
    output_field=models.IntegerField(),
)


class Task(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        IN_PROGRESS = "in_progress", "In progress"
        DONE = "done", "Done"

    class Review(models.TextChoices):
        # Found in a meeting and waiting for a person: shown apart, with Accept / Dismiss.
        SUGGESTED = "suggested", "Suggested"
        ACCEPTED = "accepted", "Accepted"
        # Kept (not deleted) so a re-summary finds it and does not suggest it again.
        DISMISSED = "dismissed", "Dismissed"

    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="tasks"
    )
    meeting = models.ForeignKey(
        Meeting, on_delete=models.CASCADE, null=True, blank=True, related_name="tasks"
    )
    title = models.CharField(max_length=300)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_tasks",
    )
    owner_name = models.CharField(
        max_length=150, blank=True, help_text="The name heard in the meeting when no member matched."
    )
    due_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    review = models.CharField(max_length=10, choices=Review.choices, default=Review.ACCEPTED)
    confidence = models.FloatField(
        null=True, blank=True, help_text="How sure the summary engine was that this was said as a task (0-1)."
    )
    source_segment = models.ForeignKey(
        "transcription.Segment",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Set once a person edits the task, so re-summarising leaves it alone.
    edited = models.BooleanField(default=False)
    # The action item a summary made this task from (its normalised title), so a
    # re-summary finds it again even after a person renamed it.
    source_key = models.CharField(max_length=300, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["status", "due_date", "-created_at"]
        indexes = [
            models.Index(fields=["assignee", "status"], name="task_assignee_status"),
            models.Index(fields=["workspace", "status", "created_at"], name="task_ws_status_created"),
            # The task list's order (selectors.task_list), so a page is read, not sorted.
            # `due_date ASC` sorts nulls last in PostgreSQL; SQLite has no NULLS LAST here.
            models.Index(
                models.F("workspace"), TASK_STATUS_ORDER, models.F("due_date").asc(),
                models.F("created_at").desc(), models.F("id").desc(), name="task_ws_listing",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Decision(models.Model):
    """A decision a summary stated, with the line that said it: the workspace's decisions
    log. Rewritten with the summary (Summary.decisions stays the summary's own list)."""

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="decisions")
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="decision_log")
    text = models.TextField()
    source_segment = models.ForeignKey(
        "transcription.Segment", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # When the meeting was (its start), so the log reads in the order things were decided.
    decided_at = models.DateTimeField()

    class Meta:
        ordering = ["-decided_at", "-id"]
        indexes = [models.Index(fields=["workspace", "decided_at", "id"], name="decision_ws_decided")]

    def __str__(self) -> str:
        return self.text


class DoneProposal(models.Model):
    """An open task that a later meeting of its series said was done ("the login error is
    fixed"): Mina proposes closing it, a person confirms or turns it down."""

    class State(models.TextChoices):
        PROPOSED = "proposed", "Proposed"
        CONFIRMED = "confirmed", "Confirmed"
        REJECTED = "rejected", "Not done"

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="done_proposals")
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="done_proposals")
    said = models.CharField(max_length=300, help_text="The words that said it was done.")
    source_segment = models.ForeignKey(
        "transcription.Segment", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.PROPOSED)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["task", "meeting"], name="done_proposal_once")]

    def __str__(self) -> str:
        return f"{self.task} done? ({self.meeting})"
