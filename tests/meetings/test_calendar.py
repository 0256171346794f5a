"""A member's private calendar feed: their open tasks due and their workspaces' meetings,
read by a calendar app with no sign-in, gone at once when the link is renewed."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone
from icalendar import Calendar

from accounts.models import AuditEvent
from meetings.models import Task
from tests.api.helpers import client_for
from tests.factories import MeetingFactory, TaskFactory, WorkspaceFactory
from workspaces.models import Role

pytestmark = pytest.mark.django_db


def _events(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/calendar")
    return {str(e["summary"]): e for e in Calendar.from_ical(response.content).walk("VEVENT")}


@pytest.fixture
def feed_url(owner):
    return client_for(owner).get("/api/v1/me/calendar/").json()["url"]


def test_the_feed_holds_my_open_tasks_due_and_my_meetings_only(workspace, owner, member_of, feed_url, client):
    meeting = MeetingFactory(workspace=workspace, organizer=owner, title="Weekly sync", started_at=timezone.now())
    TaskFactory(meeting=meeting, assignee=owner, title="Fix the login error", due_date=date(2030, 1, 10))
    TaskFactory(meeting=meeting, assignee=owner, title="Already done", due_date=date(2030, 1, 9),
                status=Task.Status.DONE)
    TaskFactory(meeting=meeting, assignee=owner, title="No date", due_date=None)
    TaskFactory(meeting=meeting, assignee=member_of(workspace, Role.MEMBER), title="Someone else's",
                due_date=date(2030, 1, 11))
    other = WorkspaceFactory()
    MeetingFactory(workspace=other, title="Not my workspace", started_at=timezone.now())

    events = _events(client, feed_url)  # a calendar app: no session, no token header
    assert set(events) == {"Due: Fix the login error", "Weekly sync"}
    due = events["Due: Fix the login error"]
    assert due.decoded("dtstart") == date(2030, 1, 10) and due.decoded("dtend") == date(2030, 1, 11)
    assert str(events["Weekly sync"]["url"]).endswith(f"/meetings/{meeting.id}/")


def test_a_renewed_link_answers_404_and_the_new_one_works(owner, feed_url, client):
    new_url = client_for(owner).post("/api/v1/me/calendar/").json()["url"]
    assert new_url != feed_url
    assert client.get(feed_url).status_code == 404
    assert client.get(new_url).status_code == 200
    assert client.get(new_url.replace(".ics", "x.ics")).status_code == 404
    assert AuditEvent.objects.filter(action="calendar_link_renewed").exists()


def test_someone_who_left_the_workspace_sees_none_of_its_tasks(workspace, owner, member_of, client):
    member = member_of(workspace, Role.MEMBER)
    url = client_for(member).get("/api/v1/me/calendar/").json()["url"]
    meeting = MeetingFactory(workspace=workspace, organizer=owner, started_at=timezone.now() - timedelta(days=1))
    TaskFactory(meeting=meeting, assignee=member, title="Write the report", due_date=date(2030, 2, 1))
    assert "Due: Write the report" in _events(client, url)
    member.memberships.get(workspace=workspace).delete()
    assert _events(client, url) == {}


def test_the_tasks_page_shows_the_link_and_renews_it(owner, client):
    client.force_login(owner)
    page = client.get("/tasks/").content.decode()
    first = client_for(owner).get("/api/v1/me/calendar/").json()["url"]
    assert first in page
    assert client.post("/tasks/calendar/renew/").status_code == 302
    assert first not in client.get("/tasks/").content.decode()
    assert client.get(first).status_code == 404
