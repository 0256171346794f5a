"""The daily digest: a member's tasks overdue and due soon, mailed once a local day at the
hour they chose in their own time zone; members who left, or opted out, get none."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail

from integrations.mail import digests_queue
from integrations.models import OutgoingMail
from meetings.models import Task
from tests.factories import MeetingFactory, MembershipFactory, SegmentFactory, TaskFactory, WorkspaceFactory

pytestmark = pytest.mark.django_db(transaction=True)

UTC = ZoneInfo("UTC")
TODAY = date(2026, 3, 4)  # a Wednesday; New York is UTC-5, Tokyo UTC+9


@pytest.fixture(autouse=True)
def _site(settings):
    settings.MINA_SITE_URL = "https://mina.example.com"
    settings.MINA_DIGEST_DAYS_AHEAD = 3


def utc(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


@pytest.fixture
def ada(workspace, member_of):
    return member_of(workspace, display_name="Ada", time_zone="America/New_York", digest_hour=8)


def _task(user, workspace, title, due, **fields):
    return TaskFactory(
        workspace=workspace,
        meeting=MeetingFactory(workspace=workspace),
        title=title,
        assignee=user,
        due_date=due,
        **fields,
    )


def test_the_digest_goes_at_the_members_hour_in_their_time_zone(ada, workspace):
    _task(ada, workspace, "Fix the login error", TODAY)

    digests_queue(now=utc(TODAY, 12, 59))  # 07:59 in New York
    assert mail.outbox == []
    digests_queue(now=utc(TODAY, 13, 0))  # 08:00
    assert [m.to for m in mail.outbox] == [[ada.email]]
    assert OutgoingMail.objects.get().key == "2026-03-04"


def test_each_member_gets_it_at_their_own_hour(ada, workspace, member_of):
    kenji = member_of(workspace, display_name="Kenji", time_zone="Asia/Tokyo", digest_hour=21)
    for user in (ada, kenji):
        _task(user, workspace, f"Task of {user.name}", TODAY + timedelta(days=1))

    digests_queue(now=utc(TODAY, 11, 30))  # 20:30 in Tokyo, 06:30 in New York
    assert mail.outbox == []
    digests_queue(now=utc(TODAY, 12, 0))  # 21:00 in Tokyo, Wednesday still
    assert [m.to for m in mail.outbox] == [[kenji.email]]
    digests_queue(now=utc(TODAY, 13, 0))  # 08:00 in New York
    assert [m.to for m in mail.outbox] == [[kenji.email], [ada.email]]
    assert sorted(OutgoingMail.objects.values_list("key", flat=True)) == ["2026-03-04", "2026-03-04"]


def test_the_digest_lists_overdue_and_soon_due_tasks_only(ada, workspace, member_of):
    said = SegmentFactory(start_ms=61_000)
    TaskFactory(
        workspace=said.meeting.workspace,
        meeting=said.meeting,
        title="Fix the login error",
        assignee=ada,
        due_date=TODAY - timedelta(days=2),
        source_segment=said,
    )
    MembershipFactory(workspace=said.meeting.workspace, user=ada)
    _task(ada, workspace, "Send the invoice", TODAY)
    _task(ada, workspace, "Book the venue", TODAY + timedelta(days=3), status=Task.Status.IN_PROGRESS)
    _task(ada, workspace, "Plan the offsite", TODAY + timedelta(days=4))  # too far ahead
    _task(ada, workspace, "Already done", TODAY, status=Task.Status.DONE)
    _task(ada, workspace, "Only suggested", TODAY, review=Task.Review.SUGGESTED)
    _task(ada, workspace, "Dismissed", TODAY, review=Task.Review.DISMISSED)
    _task(ada, workspace, "Some day", None)
    _task(member_of(workspace), workspace, "Someone else's", TODAY)

    digests_queue(now=utc(TODAY, 14, 0))

    [message] = [m for m in mail.outbox if m.to == [ada.email]]
    assert message.subject == "Your tasks for Wednesday 4 March: 1 overdue, 2 due soon"
    text, (html, _) = message.body, message.alternatives[0]
    for body in (text, html):
        assert "Fix the login error" in body and "2 days overdue" in body
        assert "Send the invoice" in body and "due today" in body
        assert "Book the venue" in body and "due Sat 7 Mar" in body
        assert f"https://mina.example.com/meetings/{said.meeting_id}/?t=61#segment-{said.pk}" in body
        for absent in ("Plan the offsite", "Already done", "Only suggested", "Dismissed", "Some day", "Someone"):
            assert absent not in body
    assert text.index("OVERDUE") < text.index("Fix the login error") < text.index("DUE SOON") < text.index("Send the")


def test_it_is_sent_once_a_local_day(ada, workspace):
    _task(ada, workspace, "Fix the login error", TODAY)
    for hour in (13, 15, 23):
        digests_queue(now=utc(TODAY, hour))
    digests_queue(now=utc(TODAY + timedelta(days=1), 4, 59))  # 23:59 on Wednesday in New York
    assert len(mail.outbox) == 1

    digests_queue(now=utc(TODAY + timedelta(days=1), 13))  # Thursday, 08:00
    assert len(mail.outbox) == 2
    assert "1 overdue" in mail.outbox[1].subject
    assert sorted(OutgoingMail.objects.values_list("key", flat=True)) == ["2026-03-04", "2026-03-05"]


def test_members_who_left_get_no_digest_of_that_workspace(ada, workspace):
    other = WorkspaceFactory(name="Old team")
    MembershipFactory(workspace=other, user=ada)
    _task(ada, other, "A task of the old team", TODAY)
    ada.memberships.filter(workspace=other).delete()

    digests_queue(now=utc(TODAY, 14))
    assert mail.outbox == [] and not OutgoingMail.objects.exists()

    _task(ada, workspace, "A task of the team she is in", TODAY)
    digests_queue(now=utc(TODAY, 14, 5))
    [message] = mail.outbox
    assert "the team she is in" in message.body and "old team" not in message.body


def test_members_who_opted_out_get_none(workspace, member_of):
    quiet = member_of(workspace, email_digest=False, time_zone="UTC")
    _task(quiet, workspace, "Fix the login error", TODAY)
    digests_queue(now=utc(TODAY, 20))
    assert mail.outbox == [] and not OutgoingMail.objects.exists()


def test_the_hour_follows_daylight_saving_time(workspace, member_of):
    paris = member_of(workspace, time_zone="Europe/Paris", digest_hour=8)
    summer = date(2026, 3, 29)  # clocks go forward: Paris is UTC+2 from 01:00 UTC
    _task(paris, workspace, "Fix the login error", summer)
    digests_queue(now=utc(summer, 5, 59))  # 07:59 in Paris
    assert mail.outbox == []
    digests_queue(now=utc(summer, 6))  # 08:00
    assert len(mail.outbox) == 1


@pytest.mark.django_db  # not committed: the jobs are never queued, only the finding is counted
def test_finding_who_is_due_costs_the_same_for_many_members(workspace, member_of, django_assert_max_num_queries):
    users = [member_of(workspace, time_zone=zone) for zone in ["UTC", "Asia/Tokyo"] * 15]
    for user in users:
        _task(user, workspace, "Fix the login error", TODAY)
    # The zones in use, then per zone: the members due, a savepoint, one insert, their new rows.
    with django_assert_max_num_queries(1 + 2 * 5):
        assert digests_queue(now=utc(TODAY, 23)) == 30  # 23:00 in London, 08:00 in Tokyo
