"""Reads of meetings, transcripts and tasks, scoped to the user's workspaces."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from mina.errors import NotFound
from workspaces.models import Membership, Role
from workspaces.selectors import require_role

from .models import Meeting, Participant, Task


def meeting_get(*, user: Any, meeting_id: int | str, min_role: str = Role.VIEWER) -> tuple[Meeting, Membership]:
    """The meeting and the user's membership in its workspace.

    Another workspace's meeting and a missing one look the same: NotFound.
    """
    if not getattr(user, "is_authenticated", False):
        raise NotFound("Meeting not found.")
    try:
        meeting_id = int(meeting_id)
    except (TypeError, ValueError):
        raise NotFound("Meeting not found.") from None
    meeting = (
        Meeting.objects.select_related("workspace", "organizer")
        .filter(pk=meeting_id, workspace__memberships__user=user)
        .first()
    )
    if meeting is None:
        raise NotFound("Meeting not found.")
    membership = Membership.objects.select_related("workspace", "user").get(
        workspace_id=meeting.workspace_id, user=user
    )
    require_role(membership, min_role)
    return meeting, membership


def meeting_list(
    *, user: Any, workspace_id: int | None = None, search: str = "", status: str = ""
) -> QuerySet[Meeting]:
    meetings = Meeting.objects.filter(workspace__memberships__user=user).select_related(
        "workspace", "organizer"
    )
    if workspace_id is not None:
        meetings = meetings.filter(workspace_id=workspace_id)
    if status:
        meetings = meetings.filter(status=status)
    if search:
        meetings = meetings.filter(
            Q(title__icontains=search)
            | Q(pk__in=_meetings_with_text(search))
        )
    return meetings.order_by("-created_at", "-id")


def _meetings_with_text(search: str) -> QuerySet[Any]:
    from transcription.models import Segment

    return Segment.objects.filter(text__icontains=search).values("meeting_id")


def can_edit_meeting(meeting: Meeting, membership: Membership) -> bool:
    """Members edit what they organise; admins and owners edit everything."""
    if membership.has_role(Role.ADMIN):
        return True
    return membership.has_role(Role.MEMBER) and meeting.organizer_id == membership.user_id


def participant_list(*, meeting: Meeting) -> QuerySet[Participant]:
    return meeting.participants.select_related("user").order_by("id")


def task_list_for_user(*, user: Any, status: str = "") -> QuerySet[Task]:
    tasks = Task.objects.filter(
        assignee=user, workspace__memberships__user=user
    ).select_related("workspace", "meeting", "assignee")
    if status:
        tasks = tasks.filter(status=status)
    return tasks


def task_get(*, user: Any, task_id: int | str) -> tuple[Task, Membership]:
    try:
        task_id = int(task_id)
    except (TypeError, ValueError):
        raise NotFound("Task not found.") from None
    task = (
        Task.objects.select_related("workspace", "meeting", "assignee")
        .filter(pk=task_id, workspace__memberships__user=user)
        .first()
    )
    if task is None:
        raise NotFound("Task not found.")
    membership = Membership.objects.select_related("workspace").get(
        workspace_id=task.workspace_id, user=user
    )
    return task, membership


def can_edit_task(task: Task, membership: Membership) -> bool:
    if membership.has_role(Role.ADMIN):
        return True
    return membership.has_role(Role.MEMBER) and membership.user_id in (
        task.assignee_id,
        task.created_by_id,
        task.meeting.organizer_id if task.meeting else None,
    )
