"""Tasks as stored from a summary: written as a person writes them, one per person, due
on the site's calendar (the real local engine and database)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from meetings.models import Participant, Task
from tests.factories import MembershipFactory, SegmentFactory, UserFactory
from transcription.summaries import summary_generate
from workspaces.models import Role

pytestmark = pytest.mark.django_db


def _said(meeting, speaker: str, *lines: str) -> None:
    voice = Participant.objects.create(meeting=meeting, name=speaker)
    for line in lines:
        SegmentFactory(meeting=meeting, participant=voice, kind="refined", text=line)


def test_titles_read_as_sentences_and_a_task_for_two_is_one_each(meeting, workspace):
    for name in ("Jin", "Amara"):
        MembershipFactory(workspace=workspace, role=Role.MEMBER, user=UserFactory(display_name=name))
    _said(meeting, "Alice", "Jin and Amara, please review the vendor contract by Friday.")

    summary_generate(meeting=meeting)
    summary_generate(meeting=meeting)  # again: the same two tasks, not four

    tasks = Task.objects.filter(meeting=meeting).select_related("assignee").order_by("assignee__display_name")
    assert [(t.title, t.assignee.display_name) for t in tasks] == [
        ("Review the vendor contract", "Amara"), ("Review the vendor contract", "Jin"),
    ]


def test_today_is_the_day_on_the_site_s_clock(meeting, settings):
    settings.TIME_ZONE = "Pacific/Auckland"
    # 10:00 on 10 March in Auckland is still 9 March in UTC.
    meeting.started_at = datetime(2026, 3, 10, 10, 0, tzinfo=ZoneInfo("Pacific/Auckland"))
    meeting.save()
    meeting.refresh_from_db()  # read back as the database gives it: in UTC
    _said(meeting, "Alice", "I will send Tom the sandbox keys today.")

    summary_generate(meeting=meeting)

    assert Task.objects.get(meeting=meeting).due_date == date(2026, 3, 10)
