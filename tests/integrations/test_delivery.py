"""Events reach a real receiver as signed JSON; failures are retried, logged and, in a
run, disable the endpoint with an email to the workspace's admins."""

import json

import pytest
from django.core import mail

from integrations import services
from integrations.models import Delivery, Endpoint
from meetings.models import Meeting, Summary
from meetings.services import meeting_set_status, task_create, task_update
from tests.factories import MeetingFactory, SegmentFactory
from transcription.summaries import summary_generate
from workspaces.models import Role

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_new_task_reaches_the_receiver_signed(endpoint, receiver, admin_membership, meeting):
    task = task_create(membership=admin_membership, title="Fix the login error", meeting=meeting)

    [request] = receiver.requests
    assert request["signed"] and request["fresh"]
    assert request["headers"]["X-Mina-Event"] == "task.created"
    body = request["body"]
    assert body["type"] == "task.created"
    assert body["workspace"] == meeting.workspace_id
    assert body["data"]["task"]["id"] == task.id
    assert body["data"]["task"]["title"] == "Fix the login error"
    delivery = Delivery.objects.get()
    assert request["headers"]["X-Mina-Delivery"] == str(delivery.event_id) == body["id"]
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("delivered", 1, 200)
    assert delivery.delivered_at is not None and delivery.duration_ms is not None


def test_a_task_update_is_sent_as_task_updated(endpoint, receiver, admin_membership):
    task = task_create(membership=admin_membership, title="Write the survey report")
    task_update(task=task, membership=admin_membership, status="done")
    assert receiver.events() == ["task.created", "task.updated"]
    assert receiver.requests[1]["body"]["data"]["task"]["status"] == "done"
    assert all(r["signed"] for r in receiver.requests)


def test_only_the_events_chosen_are_sent(admin_membership, receiver):
    endpoint = services.endpoint_create(membership=admin_membership, url=receiver.url, events=["meeting.ready"])
    receiver.secret = endpoint.secret
    task_create(membership=admin_membership, title="Not wanted here")
    assert receiver.requests == []
    assert not Delivery.objects.exists()


def test_another_workspaces_events_never_reach_the_endpoint(endpoint, receiver, outsider):
    task_create(membership=outsider.memberships.get(), title="Someone else's task")
    assert receiver.requests == []


def test_a_meeting_that_becomes_ready_is_sent_once(endpoint, receiver, meeting):
    Meeting.objects.filter(pk=meeting.pk).update(status=Meeting.Status.PROCESSING)
    meeting.refresh_from_db()
    meeting_set_status(meeting=meeting, status=Meeting.Status.READY)
    meeting_set_status(meeting=meeting, status=Meeting.Status.READY)
    assert receiver.events() == ["meeting.ready"]
    assert receiver.requests[0]["body"]["data"]["meeting"]["id"] == meeting.id
    assert receiver.requests[0]["signed"]


def test_a_summary_sends_its_tasks_and_each_new_decision(endpoint, receiver, workspace, owner):
    meeting = MeetingFactory(workspace=workspace, organizer=owner)
    SegmentFactory(meeting=meeting, kind="refined", text="We decided to ship the mobile release on Monday.")
    SegmentFactory(meeting=meeting, kind="refined", text="David, please fix the login error before Thursday.")
    summary_generate(meeting=meeting)
    decisions = [r["body"]["data"]["decision"] for r in receiver.requests if r["body"]["type"] == "decision.created"]
    assert len(decisions) == 1 and "mobile release" in decisions[0].lower()
    assert "task.created" in receiver.events()
    # Summarised again: the same decision is not news.
    count = len([e for e in receiver.events() if e == "decision.created"])
    summary_generate(meeting=meeting)
    assert len([e for e in receiver.events() if e == "decision.created"]) == count


def test_the_slack_format_sends_text_only(admin_membership, receiver):
    endpoint = services.endpoint_create(
        membership=admin_membership, url=receiver.url, events=["task.created"], format=Endpoint.Format.SLACK
    )
    receiver.secret = endpoint.secret
    task_create(membership=admin_membership, title="Ship <the> mobile release & more")
    [request] = receiver.requests
    assert request["signed"]
    assert request["body"] == {"text": "New task: Ship &lt;the&gt; mobile release &amp; more (nobody yet)"}


def test_a_failing_receiver_is_retried_then_given_up_and_logged(endpoint, receiver, admin_membership, settings):
    settings.MINA_WEBHOOK_MAX_ATTEMPTS = 3
    receiver.status = 500
    task_create(membership=admin_membership, title="Fix the login error")
    assert len(receiver.requests) == 3
    # The same event each time: receivers drop repeats by its id.
    assert len({r["body"]["id"] for r in receiver.requests}) == 1
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("failed", 3, 500)
    assert "HTTP 500" in delivery.error
    endpoint.refresh_from_db()
    assert endpoint.consecutive_failures == 1 and endpoint.is_active


def test_a_run_of_failures_disables_the_endpoint_and_emails_the_admins(
    endpoint, receiver, admin_membership, workspace, member_of, settings
):
    settings.MINA_WEBHOOK_MAX_ATTEMPTS = 1
    settings.MINA_WEBHOOK_DISABLE_AFTER = 2
    admin = member_of(workspace, Role.ADMIN)
    member = member_of(workspace, Role.MEMBER)
    receiver.status = 503
    task_create(membership=admin_membership, title="One")
    endpoint.refresh_from_db()
    assert endpoint.is_active and mail.outbox == []
    task_create(membership=admin_membership, title="Two")
    endpoint.refresh_from_db()
    assert not endpoint.is_active and "2 deliveries in a row" in endpoint.disabled_reason
    [message] = mail.outbox
    assert sorted(message.to) == sorted([admin_membership.user.email, admin.email])
    assert member.email not in message.to and endpoint.url in message.body
    task_create(membership=admin_membership, title="Three")
    assert len(receiver.requests) == 2  # disabled: nothing more is sent
    # Turned back on by an admin: deliveries resume.
    receiver.status = 200
    services.endpoint_enable(endpoint=endpoint, membership=admin_membership)
    task_create(membership=admin_membership, title="Four")
    assert receiver.requests[-1]["body"]["data"]["task"]["title"] == "Four"
    endpoint.refresh_from_db()
    assert endpoint.is_active and endpoint.consecutive_failures == 0


def test_a_success_resets_the_failure_count(endpoint, receiver, admin_membership, settings):
    settings.MINA_WEBHOOK_MAX_ATTEMPTS = 1
    receiver.status = 500
    task_create(membership=admin_membership, title="One")
    receiver.status = 204
    task_create(membership=admin_membership, title="Two")
    endpoint.refresh_from_db()
    assert endpoint.consecutive_failures == 0


def test_a_slow_receiver_is_cut_off_at_the_timeout(endpoint, receiver, admin_membership, settings):
    settings.MINA_WEBHOOK_MAX_ATTEMPTS = 1
    settings.MINA_WEBHOOK_TIMEOUT_S = 0.5
    receiver.delay_s = 3
    task = task_create(membership=admin_membership, title="Fix the login error")
    delivery = Delivery.objects.get()
    assert delivery.status == "failed"
    assert "No answer within 0.5 s" in delivery.error
    assert delivery.duration_ms < 2000
    task.refresh_from_db()  # the change itself stands
    assert task.title == "Fix the login error"


def test_a_receiver_that_is_down_is_logged_as_not_reachable(endpoint, receiver, admin_membership, settings):
    settings.MINA_WEBHOOK_MAX_ATTEMPTS = 1
    receiver.stop()
    task_create(membership=admin_membership, title="Fix the login error")
    delivery = Delivery.objects.get()
    assert delivery.status == "failed" and delivery.response_code is None
    assert "Could not connect" in delivery.error


def test_an_address_that_turned_private_is_refused_at_delivery(endpoint, receiver, admin_membership, settings):
    settings.MINA_WEBHOOKS_ALLOW_PRIVATE = False  # the operator turned it off since
    settings.MINA_WEBHOOK_MAX_ATTEMPTS = 1
    task_create(membership=admin_membership, title="Fix the login error")
    assert receiver.requests == []
    delivery = Delivery.objects.get()
    assert delivery.status == "failed" and delivery.attempts == 1
    assert "https://" in delivery.error


def test_the_body_sent_is_the_body_stored(endpoint, receiver, admin_membership):
    task_create(membership=admin_membership, title="Fix the login error")
    assert json.loads(Delivery.objects.get().body) == receiver.requests[0]["body"]


def test_a_ready_meeting_sends_its_summary_with_the_open_questions(endpoint, receiver, meeting):
    Summary.objects.create(
        meeting=meeting, overview="We met.", decisions=["ship on Monday"],
        questions=["Do we keep the old app running?"], engine="local",
    )
    Meeting.objects.filter(pk=meeting.pk).update(status=Meeting.Status.PROCESSING)
    meeting.refresh_from_db()
    meeting_set_status(meeting=meeting, status=Meeting.Status.READY)

    summary = receiver.requests[0]["body"]["data"]["summary"]
    assert summary["decisions"] == ["ship on Monday"]
    assert summary["questions"] == ["Do we keep the old app running?"]
