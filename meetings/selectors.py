"""Reads of meetings, transcripts and tasks, scoped to the user's workspaces."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.db.models import F, Q, QuerySet
from django.urls import reverse

from core.errors import NotFound
from workspaces.models import Membership, Role
from workspaces.selectors import require_role

from .models import TASK_STATUS_ORDER, Meeting, Participant, Summary, Task


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
    # One round trip: the membership's columns come along with the meeting (every
    # meeting-scoped request and socket starts here).
    meeting = (
        Meeting.objects.select_related("workspace", "organizer", "series")
        .filter(pk=meeting_id, workspace__memberships__user=user)
        .annotate(
            membership_id=F("workspace__memberships__id"),
            membership_role=F("workspace__memberships__role"),
            membership_created_at=F("workspace__memberships__created_at"),
        )
        .first()
    )
    if meeting is None:
        raise NotFound("Meeting not found.")
    membership = Membership.from_db(
        meeting._state.db, ["id", "workspace_id", "user_id", "role", "created_at"],
        [meeting.membership_id, meeting.workspace_id, user.pk, meeting.membership_role, meeting.membership_created_at],
    )
    membership.workspace, membership.user = meeting.workspace, user
    require_role(membership, min_role)
    return meeting, membership


def meeting_list(
    *,
    user: Any,
    workspace_id: int | None = None,
    status: str = "",
    created_after: datetime | None = None,
    created_before: datetime | None = None,
) -> QuerySet[Meeting]:
    """The meetings of the user's workspaces (or one of them), newest first."""
    workspace_ids = workspace_ids_of(user)
    if workspace_id is not None:
        workspace_ids = [workspace_id] if workspace_id in workspace_ids else []
    meetings = Meeting.objects.filter(workspace_id__in=workspace_ids).select_related("workspace", "organizer", "series")
    if status:
        meetings = meetings.filter(status=status)
    if created_after is not None:
        meetings = meetings.filter(created_at__gte=created_after)
    if created_before is not None:
        meetings = meetings.filter(created_at__lt=created_before)
    return meetings.order_by("-created_at", "-id")


def workspace_ids_of(user: Any) -> list[int]:
    """The user's workspaces, as ids: lists filter on `workspace_id IN (...)` rather than
    join memberships, so PostgreSQL reads one workspace's newest rows in index order
    (meeting_ws_created, task_ws_listing) instead of sorting all of them."""
    return list(Membership.objects.filter(user=user).order_by().values_list("workspace_id", flat=True))


def can_edit_meeting(meeting: Meeting, membership: Membership) -> bool:
    """Members edit what they organise; admins and owners edit everything."""
    if membership.has_role(Role.ADMIN):
        return True
    return membership.has_role(Role.MEMBER) and meeting.organizer_id == membership.user_id


def moment_url(meeting_id: int, start_ms: int, segment_id: int | None = None) -> str:
    """The meeting page, playing from a line (`?t=` seconds; the anchor scrolls to it)."""
    url = f"{reverse('meetings:detail', args=[meeting_id])}?t={max(start_ms, 0) // 1000}"
    return f"{url}#segment-{segment_id}" if segment_id else url


def said_at_url(row: Any) -> str:
    """Where a task, a decision or a proposal was said (its `source_segment`), to play it;
    empty when it was not said (a task typed in, a decision whose line was not found)."""
    segment = row.source_segment
    return moment_url(row.meeting_id, segment.start_ms, segment.pk) if segment and row.meeting_id else ""


def series_names(*, workspace: Any) -> list[str]:
    return list(workspace.series.values_list("name", flat=True))


def participant_list(*, meeting: Meeting) -> QuerySet[Participant]:
    return meeting.participants.select_related("user").order_by("id")


def task_list_for_user(*, user: Any, status: str = "") -> QuerySet[Task]:
    """The tasks assigned to `user` that are theirs to do (accepted, not suggestions)."""
    tasks = Task.objects.filter(
        assignee=user, workspace__memberships__user=user, review=Task.Review.ACCEPTED
    ).select_related("workspace", "meeting", "assignee", "source_segment")
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


def task_row(task: Task, membership: Membership) -> dict[str, Any]:
    """A task as the pages list it: whether this member may edit it, where it was said."""
    return {"task": task, "editable": can_edit_task(task, membership), "moment": said_at_url(task)}


def can_edit_task(task: Task, membership: Membership) -> bool:
    if membership.has_role(Role.ADMIN):
        return True
    return membership.has_role(Role.MEMBER) and membership.user_id in (
        task.assignee_id,
        task.created_by_id,
        task.meeting.organizer_id if task.meeting else None,
    )


_STATUS_ORDER = TASK_STATUS_ORDER


def my_task_list(*, user: Any, status: str = "") -> QuerySet[Task]:
    """Everything assigned to `user` across workspaces: open first, soonest due first."""
    return task_list_for_user(user=user, status=status).order_by(
        _STATUS_ORDER, F("due_date").asc(nulls_last=True), "-created_at", "-id"
    )


def my_suggestion_list(*, user: Any) -> QuerySet[Task]:
    """Tasks found in meetings that wait for `user` to accept or dismiss them: those
    assigned to them and those of the meetings they organise."""
    return (
        Task.objects.filter(review=Task.Review.SUGGESTED, workspace__memberships__user=user)
        .filter(Q(assignee=user) | Q(meeting__organizer=user))
        .select_related("workspace", "meeting", "assignee", "source_segment")
        .order_by("-created_at", "-id")
    )


def meeting_task_list(*, meeting: Meeting) -> QuerySet[Task]:
    """The meeting's tasks and suggestions; dismissed ones stay out of sight."""
    return (
        meeting.tasks.exclude(review=Task.Review.DISMISSED)
        .select_related("assignee", "meeting", "source_segment")
        .order_by("created_at", "id")
    )


def summary_get(*, meeting: Meeting) -> Summary | None:
    return Summary.objects.filter(meeting=meeting).first()


def participant_get(*, meeting: Meeting, participant_id: int) -> Participant:
    participant = meeting.participants.select_related("user").filter(pk=participant_id).first()
    if participant is None:
        raise NotFound("Participant not found.")
    return participant


def task_list(
    *,
    user: Any,
    workspace_id: int | None = None,
    meeting_id: int | None = None,
    assignee_id: int | None = None,
    status: str = "",
    review: str = "",
    due_before: date | None = None,
) -> QuerySet[Task]:
    """Tasks in the user's workspaces, filtered; open work first, soonest due first.

    Only the assignee is joined: the API shows the other relations as ids.
    """
    workspace_ids = workspace_ids_of(user)
    if workspace_id is not None:
        workspace_ids = [workspace_id] if workspace_id in workspace_ids else []
    tasks = Task.objects.filter(workspace_id__in=workspace_ids).select_related("assignee")
    if meeting_id is not None:
        tasks = tasks.filter(meeting_id=meeting_id)
    if assignee_id is not None:
        tasks = tasks.filter(assignee_id=assignee_id)
    if status:
        tasks = tasks.filter(status=status)
    # Dismissed suggestions are kept only so they are not suggested again: asked for by name.
    tasks = tasks.filter(review=review) if review else tasks.exclude(review=Task.Review.DISMISSED)
    if due_before is not None:
        tasks = tasks.filter(due_date__lt=due_before)
    return tasks.order_by(_STATUS_ORDER, F("due_date").asc(nulls_last=True), "-created_at", "-id")
