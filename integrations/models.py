"""Webhook endpoints a workspace registers and every delivery made to them; the mail sent
to members (meeting summaries, daily digests)."""

from __future__ import annotations

import secrets
import uuid

from django.conf import settings
from django.db import models


class Event(models.TextChoices):
    MEETING_READY = "meeting.ready", "Meeting ready"
    TASK_CREATED = "task.created", "Task created"
    TASK_UPDATED = "task.updated", "Task updated"
    DECISION_CREATED = "decision.created", "Decision created"


def _new_secret() -> str:
    return f"whsec_{secrets.token_hex(24)}"


class Endpoint(models.Model):
    class Format(models.TextChoices):
        JSON = "json", "Mina JSON"
        SLACK = "slack", 'Slack-compatible ({"text": …})'

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="webhook_endpoints")
    url = models.URLField(max_length=500)
    events = models.JSONField(default=list, help_text="The event types sent to this address.")
    format = models.CharField(max_length=10, choices=Format.choices, default=Format.JSON)
    # Signs every delivery (HMAC-SHA256); shown to the workspace's admins to verify with.
    secret = models.CharField(max_length=80, default=_new_secret, editable=False)
    is_active = models.BooleanField(default=True)
    disabled_reason = models.CharField(max_length=300, blank=True)
    # Deliveries given up in a row; any success resets it. Past MINA_WEBHOOK_DISABLE_AFTER
    # the endpoint is disabled, so a dead receiver stops costing attempts.
    consecutive_failures = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["workspace", "id"]

    def __str__(self) -> str:
        return self.url


class Delivery(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"

    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="deliveries")
    # The event's id, the same in every attempt (the X-Mina-Delivery header): receivers
    # drop duplicates by it, since a delivery is made at least once.
    event_id = models.UUIDField(default=uuid.uuid4, editable=False)
    event = models.CharField(max_length=30, choices=Event.choices)
    # The exact bytes sent (JSON or Slack format), fixed when the event happened.
    body = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    response_code = models.PositiveIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name_plural = "deliveries"
        indexes = [
            models.Index(fields=["endpoint", "-id"], name="delivery_endpoint_newest"),
            models.Index(fields=["status", "next_attempt_at"], name="delivery_status_next"),
        ]

    def __str__(self) -> str:
        return f"{self.event} to {self.endpoint_id} ({self.status})"


class OutgoingMail(models.Model):
    """One mail to one member: a meeting's summary (`key` the meeting's id) or a day's
    digest (`key` the member's local date). The row is made when the mail is queued, and
    one row per kind, member and key means one mail: it is claimed (`sending`) before it
    goes and marked `sent` after. A job that died between the two leaves it `sending`: the
    mail may have gone, so it is never sent again (at most once; see integrations/mail.py)."""

    class Kind(models.TextChoices):
        MEETING_SUMMARY = "meeting_summary", "Meeting summary"
        DIGEST = "digest", "Daily digest"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending (or sent by a job that died before saying so)"
        SENT = "sent", "Sent"
        # Nothing to say any more when its turn came: opted out, left the workspace, no tasks.
        SKIPPED = "skipped", "Skipped"
        FAILED = "failed", "Failed"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=40)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        # (kind, key, user): "has this member had this mail" reads one index entry.
        constraints = [models.UniqueConstraint(fields=["kind", "key", "user"], name="outgoing_mail_once")]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="outgoing_mail_status_next")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.key} to {self.user_id} ({self.status})"
