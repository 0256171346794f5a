"""What operators do from the admin, each written to the audit log: re-transcribe,
re-summarise, end a meeting stuck live, purge a workspace's expired meetings now."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import AuditEvent
from ask.models import MeetingIndex
from meetings.models import Meeting
from tests.factories import MeetingFactory, UserFactory, WorkspaceFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def operator(client):
    user = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(user)
    return user


def _act(client, url, action, *objects):
    response = client.post(url, {"action": action, "_selected_action": [o.pk for o in objects]})
    assert response.status_code == 302, response.content[:500]
    return response


def test_a_meeting_stuck_live_is_ended_and_only_live_ones(operator, client, workspace, owner):
    stuck = MeetingFactory(workspace=workspace, organizer=owner, status=Meeting.Status.LIVE,
                           started_at=timezone.now() - timedelta(hours=3))
    ready = MeetingFactory(workspace=workspace, organizer=owner, status=Meeting.Status.READY)
    _act(client, "/admin/meetings/meeting/", "end_stuck", stuck, ready)
    stuck.refresh_from_db()
    ready.refresh_from_db()
    assert stuck.status != Meeting.Status.LIVE and stuck.ended_at is not None
    assert ready.status == Meeting.Status.READY
    event = AuditEvent.objects.get(action="admin_end_meeting")
    assert event.actor == operator and event.target == f"meeting:{stuck.pk}"


def test_resummarising_writes_a_summary_again_and_is_audited(operator, client, workspace, owner):
    meeting = MeetingFactory(workspace=workspace, organizer=owner, status=Meeting.Status.READY)
    live = MeetingFactory(workspace=workspace, organizer=owner, status=Meeting.Status.LIVE)
    _act(client, "/admin/meetings/meeting/", "resummarize", meeting, live)
    meeting.refresh_from_db()
    assert hasattr(meeting, "summary")  # the job ran (inline in tests)
    assert list(AuditEvent.objects.filter(action="admin_resummarize").values_list("target", flat=True)) == [
        f"meeting:{meeting.pk}"
    ]


def test_a_failed_meeting_is_retried_where_it_stopped_and_only_failed_ones(operator, client, workspace, owner):
    failed = MeetingFactory(workspace=workspace, organizer=owner, status=Meeting.Status.FAILED, error="summary: boom")
    ready = MeetingFactory(workspace=workspace, organizer=owner, status=Meeting.Status.READY)
    _act(client, "/admin/meetings/meeting/", "retry_failed", failed, ready)
    failed.refresh_from_db()
    assert failed.status == Meeting.Status.READY  # the job ran again (inline in tests) and finished
    assert list(AuditEvent.objects.filter(action="admin_retry_meeting").values_list("target", flat=True)) == [
        f"meeting:{failed.pk}"
    ]


def test_a_meetings_ask_index_is_built_again_from_its_admin(operator, client, workspace, owner):
    meeting = MeetingFactory(workspace=workspace, organizer=owner, status=Meeting.Status.READY)
    index = MeetingIndex.objects.create(meeting=meeting, workspace=workspace, status=MeetingIndex.Status.FAILED,
                                        error="MemoryError")
    _act(client, "/admin/ask/meetingindex/", "reindex", index)
    index.refresh_from_db()
    assert index.status == MeetingIndex.Status.DONE  # the index job ran inline
    assert AuditEvent.objects.get(action="admin_reindex").target == f"meeting:{meeting.pk}"


def test_purge_now_deletes_only_that_workspaces_expired_meetings(operator, client):
    kept_short, other = WorkspaceFactory(retention_days=30), WorkspaceFactory(retention_days=30)
    old = MeetingFactory(workspace=kept_short)
    Meeting.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=40))
    recent = MeetingFactory(workspace=kept_short)
    elsewhere = MeetingFactory(workspace=other)
    Meeting.objects.filter(pk=elsewhere.pk).update(created_at=timezone.now() - timedelta(days=40))
    _act(client, "/admin/workspaces/workspace/", "purge_now", kept_short)
    assert set(Meeting.objects.values_list("pk", flat=True)) == {recent.pk, elsewhere.pk}
    event = AuditEvent.objects.get(action="admin_purge_expired")
    assert event.workspace == kept_short and event.details["meetings"] == 1


def test_people_who_are_not_staff_get_no_actions(client, owner, meeting):
    client.force_login(owner)
    response = client.post("/admin/meetings/meeting/", {"action": "end_stuck", "_selected_action": [meeting.pk]})
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert not AuditEvent.objects.filter(action__startswith="admin_").exists()
