from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone

from core.languages import LANGUAGE_CHOICES


class Role(models.TextChoices):
    VIEWER = "viewer", "Viewer"
    MEMBER = "member", "Member"
    ADMIN = "admin", "Admin"
    OWNER = "owner", "Owner"


ROLE_RANK = {Role.VIEWER: 0, Role.MEMBER: 1, Role.ADMIN: 2, Role.OWNER: 3}


def role_at_least(role: str, minimum: str) -> bool:
    return ROLE_RANK[Role(role)] >= ROLE_RANK[Role(minimum)]


class Workspace(models.Model):
    class TaskAcceptance(models.TextChoices):
        CONFIDENT = "confident", "Accept the clear ones, suggest the rest"
        ALWAYS = "always", "Accept every task found"
        NEVER = "never", "Suggest every task found"

    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=120, unique=True)
    retention_days = models.PositiveIntegerField(
        null=True, blank=True, help_text="Delete meetings older than this many days. Empty keeps them."
    )
    language = models.CharField(
        max_length=10, choices=LANGUAGE_CHOICES, default="en",
        help_text="What its meetings are in unless said otherwise; “Detect it” lets Whisper tell.",
    )
    accept_tasks = models.CharField(
        max_length=10, choices=TaskAcceptance.choices, default=TaskAcceptance.CONFIDENT,
        help_text="What becomes of the tasks a summary finds: a suggestion waits for the organizer "
        "or the assignee to accept or dismiss it.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "user"], name="membership_unique_pair")
        ]
        ordering = ["workspace", "user"]

    def __str__(self) -> str:
        return f"{self.user} in {self.workspace} ({self.role})"

    def has_role(self, minimum: str) -> bool:
        return role_at_least(self.role, minimum)


def _new_token() -> str:
    return secrets.token_urlsafe(32)


def _default_expiry():  # type: ignore[no-untyped-def]
    return timezone.now() + timedelta(days=settings.MINA_INVITATION_DAYS)


class Invitation(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    token = models.CharField(max_length=64, unique=True, default=_new_token, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    expires_at = models.DateTimeField(default=_default_expiry)
    accepted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.email} to {self.workspace}"

    def get_absolute_url(self) -> str:
        """The link the invitee opens (the page and the email prefix it with the site)."""
        return reverse("workspaces:invitation", args=[self.token])

    @property
    def is_expired(self) -> bool:
        return timezone.now() >= self.expires_at


class GlossaryTerm(models.Model):
    """A word or name the workspace's meetings use (a product, a client, jargon), given to
    Whisper with every pass so it is spelt right. Members' names are added by themselves."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="glossary")
    term = models.CharField(max_length=60)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["term"]
        constraints = [
            models.UniqueConstraint(Lower("term"), "workspace", name="glossary_term_unique_per_workspace"),
        ]

    def __str__(self) -> str:
        return self.term
