"""Reads of meetings, transcripts and tasks, scoped to the user's workspaces."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.db.models import Case, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Value, When

from mina.errors import NotFound
from workspaces.models import Membership, Role
from workspaces.selectors import require_role

from .models import Meeting, Participant, Summary, Task


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
    *,
    user: Any,
    workspace_id: int | None = None,
    search: str = "",
    status: str = "",
    created_after: datetime | None = None,
    created_before: datetime | None = None,
) -> QuerySet[Meeting]:
    meetings = Meeting.objects.filter(workspace__memberships__user=user).select_related(
        "workspace", "organizer"
    )
    if workspace_id is not None:
        meetings = meetings.filter(workspace_id=workspace_id)
    if status:
        meetings = meetings.filter(status=status)
    if created_after is not None:
        meetings = meetings.filter(created_at__gte=created_after)
    if created_before is not None:
        meetings = meetings.filter(created_at__lt=created_before)
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


def meeting_search(
    *,
    user: Any,
    workspace_id: int,
    search: str = "",
    status: str = "",
    since: date | None = None,
    until: date | None = None,
) -> QuerySet[Meeting]:
    """The meetings list page: `meeting_list` narrowed to days, and for a search the first
    words said that match (`said`), in the same query."""
    search = search.strip()
    meetings = meeting_list(user=user, workspace_id=workspace_id, search=search, status=status)
    if search:
        from transcription.models import Segment

        first_match = Segment.objects.filter(meeting=OuterRef("pk"), text__icontains=search).order_by("start_ms", "id")
        meetings = meetings.annotate(said=Subquery(first_match.values("text")[:1]))
    if since:
        meetings = meetings.filter(created_at__date__gte=since)
    if until:
        meetings = meetings.filter(created_at__date__lte=until)
    return meetings


_STATUS_ORDER = Case(
    When(status=Task.Status.OPEN, then=Value(0)),
    When(status=Task.Status.IN_PROGRESS, then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)


def my_task_list(*, user: Any, status: str = "") -> QuerySet[Task]:
    """Everything assigned to `user` across workspaces: open first, soonest due first."""
    return task_list_for_user(user=user, status=status).order_by(
        _STATUS_ORDER, F("due_date").asc(nulls_last=True), "-created_at", "-id"
    )


def meeting_task_list(*, meeting: Meeting) -> QuerySet[Task]:
    return meeting.tasks.select_related("assignee", "meeting").order_by("created_at", "id")


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
    due_before: date | None = None,
) -> QuerySet[Task]:
    """Tasks in the user's workspaces, filtered; open work first, soonest due first."""
    tasks = Task.objects.filter(workspace__memberships__user=user).select_related(
        "workspace", "meeting", "assignee", "created_by"
    )
    if workspace_id is not None:
        tasks = tasks.filter(workspace_id=workspace_id)
    if meeting_id is not None:
        tasks = tasks.filter(meeting_id=meeting_id)
    if assignee_id is not None:
        tasks = tasks.filter(assignee_id=assignee_id)
    if status:
        tasks = tasks.filter(status=status)
    if due_before is not None:
        tasks = tasks.filter(due_date__lt=due_before)
    return tasks.order_by(_STATUS_ORDER, F("due_date").asc(nulls_last=True), "-created_at", "-id")
