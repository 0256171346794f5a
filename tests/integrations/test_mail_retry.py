"""Mail while the mail server is away: tried again with back-off and delivered once it is
back, given up after the last attempt, never sent twice (a real SMTP server on 127.0.0.1)."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from integrations import tasks
from integrations.mail import mail_attempt, meeting_mail_queue
from integrations.models import OutgoingMail
from meetings.models import Meeting, Summary
from meetings.services import meeting_set_status
from tests.factories import MeetingFactory, ParticipantFactory
from tests.faults.processes import wait_for


@pytest.fixture
def ada(workspace, member_of):
    return member_of(workspace, display_name="Ada")


@pytest.fixture
def meeting(workspace, owner, ada):
    meeting = MeetingFactory(workspace=workspace, organizer=owner, title="Mobile weekly", status="processing")
    Summary.objects.create(meeting=meeting, overview="The team planned the mobile release.", engine="local")
    ParticipantFactory(meeting=meeting, user=ada, name="Ada")
    return meeting


@pytest.mark.django_db(transaction=True)
def test_mail_sent_while_the_server_is_away_arrives_once_it_is_back(worker, smtp, meeting, ada, settings):
    settings.MINA_MAIL_RETRY_BASE_S = 1  # 1 s, 2 s, 4 s … between attempts
    meeting_set_status(meeting=meeting, status=Meeting.Status.READY)  # the mail server is not up yet

    wait_for(lambda: OutgoingMail.objects.filter(attempts__gte=2, status="queued").exists(), 30, "two attempts")
    assert "ConnectionRefusedError" in OutgoingMail.objects.get().error
    smtp.start()
    wait_for(lambda: OutgoingMail.objects.filter(status="sent").exists(), 30, "the mail sent")

    [message] = smtp.messages
    assert message["To"] == ada.email and message["Subject"] == "Summary: Mobile weekly"
    assert "The team planned the mobile release." in message.get_body(("plain",)).get_content()
    sent = OutgoingMail.objects.get()
    assert sent.attempts >= 3 and sent.sent_at is not None and sent.error == ""


@pytest.mark.django_db(transaction=True)
def test_mail_is_given_up_after_the_last_attempt(smtp, meeting, settings):
    settings.MINA_MAIL_MAX_ATTEMPTS = 3
    settings.MINA_MAIL_RETRY_BASE_S = 0
    meeting_set_status(meeting=meeting, status=Meeting.Status.READY)  # jobs run inline here: every retry at once
    failed = OutgoingMail.objects.get()
    assert (failed.status, failed.attempts) == ("failed", 3)
    assert smtp.messages == []


@pytest.mark.django_db  # not committed: nothing runs the job, the test makes each attempt itself
def test_an_attempt_while_the_server_is_away_waits_longer_each_time(smtp, meeting, settings):
    settings.MINA_MAIL_RETRY_BASE_S = 30
    meeting_mail_queue(meeting=meeting)
    queued = OutgoingMail.objects.get()

    waits = [mail_attempt(mail_id=queued.pk), mail_attempt(mail_id=queued.pk)]

    assert waits == [30, 60]
    queued.refresh_from_db()
    assert (queued.status, queued.attempts) == ("queued", 2)
    assert queued.next_attempt_at > timezone.now() + timedelta(seconds=50)
    smtp.start()
    assert mail_attempt(mail_id=queued.pk) is None
    assert len(smtp.messages) == 1
    assert mail_attempt(mail_id=queued.pk) is None  # a second job for the same mail: nothing more
    assert len(smtp.messages) == 1


@pytest.mark.django_db
def test_a_mail_left_sending_by_a_worker_that_died_is_never_sent_again(meeting, django_capture_on_commit_callbacks):
    meeting_mail_queue(meeting=meeting)
    # The worker claimed it and died before marking it sent: it may have gone out.
    OutgoingMail.objects.update(status="sending", next_attempt_at=None)

    with django_capture_on_commit_callbacks(execute=True):
        tasks.requeue_mail_on_start()
        tasks.mail_periodic()
        meeting_mail_queue(meeting=meeting)
    assert mail_attempt(mail_id=OutgoingMail.objects.get().pk) is None
    assert mail.outbox == []
    assert OutgoingMail.objects.get().status == "sending"


@pytest.mark.django_db
def test_the_periodic_job_queues_again_only_mail_whose_job_was_lost(
    meeting, workspace, member_of, django_capture_on_commit_callbacks
):
    bo = member_of(workspace, display_name="Bo")
    ParticipantFactory(meeting=meeting, user=bo, name="Bo")
    meeting_mail_queue(meeting=meeting)  # not committed: no job was queued for either
    lost, waiting = OutgoingMail.objects.order_by("id")
    OutgoingMail.objects.filter(pk=lost.pk).update(next_attempt_at=timezone.now() - timedelta(minutes=10))
    OutgoingMail.objects.filter(pk=waiting.pk).update(next_attempt_at=timezone.now() + timedelta(minutes=1))

    with django_capture_on_commit_callbacks(execute=True):
        tasks.mail_periodic()

    assert [m.to for m in mail.outbox] == [[lost.user.email]]
    assert OutgoingMail.objects.get(pk=waiting.pk).status == "queued"
