"""What each mail to a member says, from templates/mail/ (a text body and a simple HTML
one): a meeting's summary and tasks, and a day's digest of tasks due and overdue.

Reads only. Each builder answers None when there is nothing to send any more: the member
opted out or left the workspace since the mail was queued, or has no task left to list.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import OuterRef, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.formats import date_format

from accounts.models import User
from meetings.models import Meeting, Summary, Task
from meetings.selectors import meeting_task_list, said_at_url
from workspaces.models import Membership


def absolute(path: str) -> str:
    """A link for a mail: jobs have no request to build it from (MINA_SITE_URL)."""
    return settings.MINA_SITE_URL + path


@dataclass(frozen=True)
class TaskLine:
    title: str
    due: str
    link: str  # where the task was said (`?t=`), else its meeting or the task list
    said: bool = False
    owner: str = ""
    workspace: str = ""
    meeting: str = ""


# --- A meeting's summary and tasks -----------------------------------------------------


def meeting_summary(*, user: User, meeting_id: int) -> EmailMultiAlternatives | None:
    meeting = Meeting.objects.select_related("workspace").filter(pk=meeting_id).first()
    if meeting is None or not user.is_active or not user.email_summaries:
        return None
    if not Membership.objects.filter(user=user, workspace_id=meeting.workspace_id).exists():
        return None
    summary = Summary.objects.filter(meeting=meeting).first()
    if summary is None:
        return None
    meeting_link = absolute(reverse("meetings:detail", args=[meeting.pk]))
    accepted: list[TaskLine] = []
    suggested: list[TaskLine] = []
    for task in meeting_task_list(meeting=meeting):  # dismissed suggestions stay out
        line = TaskLine(
            title=task.title,
            owner=task.assignee.name if task.assignee else task.owner_name,
            due=date_format(task.due_date, "D j M") if task.due_date else "",
            link=absolute(said_at_url(task)) if task.source_segment_id else meeting_link,
            said=bool(task.source_segment_id),
        )
        (suggested if task.review == Task.Review.SUGGESTED else accepted).append(line)
    context = {
        "meeting": meeting,
        "summary": summary,
        "meeting_link": meeting_link,
        "tasks": accepted,
        "suggested": suggested,
    }
    return _message(user, f"Summary: {meeting.title}", "mail/meeting_summary", context)


# --- The daily digest -----------------------------------------------------------------


def digest_tasks(user: User | OuterRef, day: date) -> QuerySet[Task]:
    """A member's tasks for the digest of `day` (their local date): accepted, not done,
    assigned to them, overdue or due within MINA_DIGEST_DAYS_AHEAD days, in a workspace
    they are still a member of. `user` may be OuterRef("pk"), to ask it of many at once."""
    return Task.objects.filter(
        assignee=user,
        workspace__memberships__user=user,
        review=Task.Review.ACCEPTED,
        status__in=[Task.Status.OPEN, Task.Status.IN_PROGRESS],
        due_date__lte=day + timedelta(days=settings.MINA_DIGEST_DAYS_AHEAD),
    )


def digest(*, user: User, day: date) -> EmailMultiAlternatives | None:
    if not user.is_active or not user.email_digest:
        return None
    tasks = digest_tasks(user, day).select_related("workspace", "meeting", "source_segment").order_by("due_date", "id")
    overdue: list[TaskLine] = []
    due: list[TaskLine] = []
    for task in tasks:
        assert task.due_date is not None  # digest_tasks filters on it
        (overdue if task.due_date < day else due).append(
            TaskLine(
                title=task.title,
                due=_when_due(task.due_date, day),
                link=absolute(said_at_url(task) or reverse("meetings:tasks")),
                said=bool(task.source_segment_id),
                workspace=task.workspace.name,
                meeting=task.meeting.title if task.meeting else "",
            )
        )
    if not overdue and not due:
        return None
    counts = [f"{len(overdue)} overdue" if overdue else "", f"{len(due)} due soon" if due else ""]
    subject = f"Your tasks for {date_format(day, 'l j F')}: {', '.join(c for c in counts if c)}"
    context = {"day": day, "overdue": overdue, "due": due, "tasks_link": absolute(reverse("meetings:tasks"))}
    return _message(user, subject, "mail/digest", context)


def _when_due(due: date, day: date) -> str:
    days = (due - day).days
    if days < 0:
        return f"{-days} day{'s' if days < -1 else ''} overdue (due {date_format(due, 'D j M')})"
    if days == 0:
        return "due today"
    return "due tomorrow" if days == 1 else f"due {date_format(due, 'D j M')}"


def _message(user: User, subject: str, template: str, context: dict[str, Any]) -> EmailMultiAlternatives:
    context = {**context, "user": user, "settings_link": absolute(reverse("accounts:settings"))}
    message = EmailMultiAlternatives(
        # One line: a title with a line break would make Django refuse the header at send time.
        subject=" ".join(subject.split()),
        body=render_to_string(f"{template}.txt", context),
        to=[user.email],
    )
    message.attach_alternative(render_to_string(f"{template}.html", context), "text/html")
    return message
