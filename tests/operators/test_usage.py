"""Usage per workspace: the selector and `manage.py usage`, on real rows."""

import csv
import io
from datetime import UTC, date, datetime

import pytest
from django.core.management import CommandError, call_command

from tests.factories import MeetingFactory, MembershipFactory, ParticipantFactory, UserFactory, WorkspaceFactory
from transcription.models import Recording
from transcription.usage import usage_list

pytestmark = pytest.mark.django_db

MINUTE = 60_000


def made_at(obj, when):
    type(obj).objects.filter(pk=obj.pk).update(created_at=when)


def meeting_at(workspace, organizer, when):
    meeting = MeetingFactory(workspace=workspace, organizer=organizer)
    made_at(meeting, when)
    return meeting


def recording_at(meeting, when, *, minutes, source="live", status="done", participant=None, uploaded_by=None):
    recording = Recording.objects.create(
        meeting=meeting, source=source, status=status, duration_ms=minutes * MINUTE, participant=participant,
        uploaded_by=uploaded_by,
    )
    made_at(recording, when)
    return recording


@pytest.fixture
def acme():
    """March: a live meeting (Alice and a guest, transcribed) and an upload by Bob (queued);
    April: Carol's live meeting, whose careful pass failed. Dave never does anything."""
    workspace = WorkspaceFactory(slug="acme")
    alice, bob, carol, dave = (MembershipFactory(workspace=workspace, user=UserFactory()).user for _ in range(4))
    standup = meeting_at(workspace, alice, datetime(2025, 3, 3, 10, tzinfo=UTC))
    recording_at(standup, datetime(2025, 3, 3, 10, tzinfo=UTC), minutes=10,
                 participant=ParticipantFactory(meeting=standup, user=alice))
    recording_at(standup, datetime(2025, 3, 3, 10, 1, tzinfo=UTC), minutes=5,
                 participant=ParticipantFactory(meeting=standup, name="A guest"))
    review = meeting_at(workspace, alice, datetime(2025, 3, 20, 15, tzinfo=UTC))
    recording_at(review, datetime(2025, 3, 20, 15, tzinfo=UTC), minutes=30, source="upload", status="queued",
                 uploaded_by=bob)
    planning = meeting_at(workspace, carol, datetime(2025, 4, 2, 9, tzinfo=UTC))
    recording_at(planning, datetime(2025, 4, 2, 9, tzinfo=UTC), minutes=6, status="failed",
                 participant=ParticipantFactory(meeting=planning, user=carol))
    return workspace


@pytest.fixture
def elsewhere():
    workspace = WorkspaceFactory(slug="elsewhere")
    meeting = meeting_at(workspace, None, datetime(2025, 3, 5, tzinfo=UTC))
    recording_at(meeting, datetime(2025, 3, 5, tzinfo=UTC), minutes=60, source="upload")
    return workspace


def table(rows, by="month"):
    return [(u.workspace, u.label(by), *u.values()) for u in rows]


def test_usage_by_month_counts_minutes_meetings_and_active_members(acme, elsewhere, django_assert_num_queries):
    with django_assert_num_queries(3):
        rows = usage_list(workspaces=[acme])
    assert table(rows) == [
        # recorded, uploaded, transcribed (careful pass done), meetings, active: Alice organised, Bob uploaded.
        ("acme", "2025-03", "15.00", "30.00", "15.00", 2, 2),
        # The failed pass is recorded but not transcribed.
        ("acme", "2025-04", "6.00", "0.00", "0.00", 1, 1),
    ]


def test_usage_by_day_within_a_window(acme, elsewhere):
    rows = usage_list(since=date(2025, 3, 1), until=date(2025, 3, 20), by="day")
    assert table(rows, "day") == [
        ("acme", "2025-03-03", "15.00", "0.00", "15.00", 1, 1),  # the guest has no account
        ("acme", "2025-03-20", "0.00", "30.00", "0.00", 1, 2),
        ("elsewhere", "2025-03-05", "0.00", "60.00", "60.00", 1, 0),
    ]


def test_days_are_the_sites_days(acme, settings):
    settings.TIME_ZONE = "America/New_York"
    late = meeting_at(acme, None, datetime(2025, 3, 1, 2, tzinfo=UTC))  # still 28 February in New York
    recording_at(late, datetime(2025, 3, 1, 2, tzinfo=UTC), minutes=1)
    rows = usage_list(workspaces=[acme], until=date(2025, 2, 28), by="day")
    assert table(rows, "day") == [("acme", "2025-02-28", "1.00", "0.00", "1.00", 1, 0)]


def test_the_command_writes_csv_for_one_workspace(acme, elsewhere):
    out = io.StringIO()
    call_command("usage", "--workspace", "acme", "--by", "day", "--since", "2025-03-01", "--csv", stdout=out)
    assert list(csv.reader(io.StringIO(out.getvalue()))) == [
        ["workspace", "period", "minutes_recorded", "minutes_uploaded", "minutes_transcribed", "meetings",
         "active_members"],
        ["acme", "2025-03-03", "15.00", "0.00", "15.00", "1", "1"],
        ["acme", "2025-03-20", "0.00", "30.00", "0.00", "1", "2"],
        ["acme", "2025-04-02", "6.00", "0.00", "0.00", "1", "1"],
    ]


def test_the_command_prints_a_table_of_every_workspace_by_month(acme, elsewhere):
    out = io.StringIO()
    call_command("usage", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0].split()[:3] == ["workspace", "period", "minutes"]
    assert [line.split() for line in lines[1:]] == [
        ["acme", "2025-03", "15.00", "30.00", "15.00", "2", "2"],
        ["acme", "2025-04", "6.00", "0.00", "0.00", "1", "1"],
        ["elsewhere", "2025-03", "0.00", "60.00", "60.00", "1", "0"],
    ]


def test_the_command_says_when_there_is_nothing(acme):
    out = io.StringIO()
    call_command("usage", "--since", "2030-01-01", stdout=out)
    assert out.getvalue().strip() == "No usage in this window."


def test_the_command_refuses_an_unknown_workspace_and_a_bad_date(acme):
    with pytest.raises(CommandError, match="No workspace"):
        call_command("usage", "--workspace", "nope")
    with pytest.raises(CommandError, match="not a date"):
        call_command("usage", "--since", "March")
