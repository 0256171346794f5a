"""A ready meeting's summary and tasks are mailed, once, to the participants who are
members and have not opted out; each task links to the moment it was said."""

import pytest
from django.core import mail

from integrations.models import OutgoingMail
from meetings.models import Meeting, Summary, Task
from meetings.services import meeting_set_status
from tests.factories import (
    MeetingFactory,
    MembershipFactory,
    ParticipantFactory,
    SegmentFactory,
    TaskFactory,
    UserFactory,
)
from transcription.summaries import summary_generate

pytestmark = pytest.mark.django_db(transaction=True)

SITE = "https://mina.example.com"


@pytest.fixture(autouse=True)
def _site(settings):
    settings.MINA_SITE_URL = SITE


@pytest.fixture
def meeting(workspace, owner):
    meeting = MeetingFactory(workspace=workspace, organizer=owner, title="Mobile weekly", status="processing")
    Summary.objects.create(
        meeting=meeting,
        overview="The team planned the mobile release.",
        key_points=["The login error blocks testers"],
        decisions=["Ship the mobile release on Monday"],
        engine="local",
    )
    return meeting


def _participant(meeting, user=None, **fields):
    return ParticipantFactory(meeting=meeting, user=user, name=user.name if user else "Guest", **fields)


def _become_ready(meeting):
    Meeting.objects.filter(pk=meeting.pk).update(status=Meeting.Status.PROCESSING)
    meeting.refresh_from_db()
    meeting_set_status(meeting=meeting, status=Meeting.Status.READY)


def test_the_summary_goes_to_participants_who_are_members_and_no_one_else(meeting, workspace, member_of):
    ada = member_of(workspace, display_name="Ada")
    quiet = member_of(workspace, display_name="Opted out", email_summaries=False)
    left = UserFactory(display_name="Left")  # spoke, then left the workspace
    member_of(workspace, display_name="Not in the meeting")
    outsider = MembershipFactory(user=UserFactory()).user  # another workspace's member, named as a speaker
    for user in (ada, quiet, left, outsider, None):
        _participant(meeting, user)

    _become_ready(meeting)

    assert [m.to for m in mail.outbox] == [[ada.email]]
    assert list(OutgoingMail.objects.values_list("user_id", "status")) == [(ada.pk, "sent")]


def test_the_mail_has_the_summary_and_each_task_linked_to_its_moment(meeting, workspace, member_of):
    ada = member_of(workspace, display_name="Ada")
    _participant(meeting, ada)
    said = SegmentFactory(meeting=meeting, start_ms=83_400, text="Ada, please fix the login error")
    fix = TaskFactory(meeting=meeting, title="Fix the login error", assignee=ada, source_segment=said)
    TaskFactory(meeting=meeting, title="Write the survey report", owner_name="Carol", review=Task.Review.SUGGESTED)
    TaskFactory(meeting=meeting, title="Buy a new espresso machine", review=Task.Review.DISMISSED)

    _become_ready(meeting)

    [message] = mail.outbox
    assert message.subject == "Summary: Mobile weekly"
    text = message.body
    html, kind = message.alternatives[0]
    assert kind == "text/html"
    moment = f"{SITE}/meetings/{meeting.pk}/?t=83#segment-{said.pk}"
    for body in (text, html):
        assert "The team planned the mobile release." in body
        assert "The login error blocks testers" in body
        assert "Ship the mobile release on Monday" in body
        assert "Fix the login error" in body and "Ada" in body
        assert moment in body
        assert "Write the survey report" in body
        assert "espresso" not in body  # dismissed
        assert f"{SITE}/accounts/settings/" in body  # where to opt out
    assert "- Suggested: Write the survey report (Carol)" in text
    assert f"  Where it was said: {moment}\n" in text
    assert f"  In the meeting: {SITE}/meetings/{meeting.pk}/\n" in text  # a task not said (typed in)
    assert text.index("Fix the login error") < text.index("SUGGESTED TASKS") < text.index("Write the survey report")
    assert ">Suggested</span>" in html
    assert fix.title in html.split("Suggested tasks")[0]


def test_it_is_sent_once_however_often_the_meeting_is_summarised_and_ready_again(meeting, workspace, member_of):
    ada = member_of(workspace, display_name="Ada")
    _participant(meeting, ada)
    SegmentFactory(meeting=meeting, text="Ada, please fix the login error before Thursday.")
    _become_ready(meeting)

    summary_generate(meeting=meeting)  # re-summarised after a correction
    _become_ready(meeting)  # re-transcribed: ready once more

    assert len(mail.outbox) == 1
    assert OutgoingMail.objects.get().status == "sent"


def test_a_meeting_without_a_summary_mails_nobody(workspace, owner, member_of):
    meeting = MeetingFactory(workspace=workspace, organizer=owner)
    _participant(meeting, member_of(workspace))
    _become_ready(meeting)
    assert mail.outbox == [] and not OutgoingMail.objects.exists()
