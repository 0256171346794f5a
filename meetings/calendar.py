"""A member's calendar feed (ICS), for any calendar app to subscribe to: their open tasks
with a due date as all-day events, and their workspaces' meetings of the last weeks.

Meetings have no time planned ahead in Mina yet, so the meetings in the feed are those
that took place; a task leaves the feed when it is done or its member leaves the workspace.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar, Event

from accounts.models import CalendarFeed

from .models import Meeting, Task
from .selectors import task_list_for_user

MEETINGS_DAYS = 60  # how far back meetings are listed
DEFAULT_MEETING_LENGTH = timedelta(hours=1)  # for a meeting still live


def feed_owner(token: str) -> Any | None:
    """The member whose link this is; None for a link renewed away or never made."""
    feed = CalendarFeed.objects.filter(token=token, user__is_active=True).select_related("user").first()
    return feed.user if feed else None


def calendar_ics(*, user: Any, site: str) -> bytes:
    """`site`: where links point (https://mina.example.com)."""
    now = timezone.now()
    calendar = Calendar()
    calendar.add("prodid", "-//Mina//tasks and meetings//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", "Mina")
    tasks = task_list_for_user(user=user).filter(due_date__isnull=False).exclude(status=Task.Status.DONE)
    for task in tasks:
        assert task.due_date is not None
        event = Event()
        event.add("uid", f"task-{task.id}@mina")
        event.add("dtstamp", now)
        event.add("summary", f"Due: {task.title}")
        event.add("dtstart", task.due_date)
        event.add("dtend", task.due_date + timedelta(days=1))
        where = f" · {task.meeting.title}" if task.meeting else ""
        event.add("description", f"{task.workspace.name}{where}")
        event.add("url", site + reverse("meetings:tasks"))
        calendar.add_component(event)
    meetings = Meeting.objects.filter(
        workspace__memberships__user=user, started_at__gte=now - timedelta(days=MEETINGS_DAYS)
    ).select_related("workspace")
    for meeting in meetings:
        assert meeting.started_at is not None
        event = Event()
        event.add("uid", f"meeting-{meeting.id}@mina")
        event.add("dtstamp", now)
        event.add("summary", meeting.title)
        event.add("dtstart", meeting.started_at)
        event.add("dtend", meeting.ended_at or meeting.started_at + DEFAULT_MEETING_LENGTH)
        event.add("description", meeting.workspace.name)
        event.add("url", site + reverse("meetings:detail", args=[meeting.id]))
        calendar.add_component(event)
    return bytes(calendar.to_ical())
