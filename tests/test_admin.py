import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from tests.factories import MeetingFactory, MembershipFactory, SegmentFactory, TaskFactory


@pytest.fixture
def staff_client(client, db):
    user = User.objects.create_superuser("root@example.com", "a-strong-pass-123")
    client.force_login(user)
    return client


def _changelist_url(model):
    return f"/admin/{model._meta.app_label}/{model._meta.model_name}/"


def _make_rows(n):
    for _ in range(n):
        meeting = MeetingFactory()
        MembershipFactory(workspace=meeting.workspace)
        SegmentFactory(meeting=meeting)
        TaskFactory(meeting=meeting)


def test_every_model_is_in_the_admin():
    names = {m._meta.label for m in admin.site._registry}
    for label in [
        "accounts.User", "workspaces.Workspace", "workspaces.Membership", "workspaces.Invitation",
        "meetings.Meeting", "meetings.Participant", "meetings.Summary", "meetings.Task",
        "transcription.Recording", "transcription.Segment",
    ]:
        assert label in names


def test_list_pages_run_a_constant_number_of_queries(staff_client):
    _make_rows(2)
    counts = {}
    for model in admin.site._registry:
        with CaptureQueriesContext(connection) as ctx:
            assert staff_client.get(_changelist_url(model)).status_code == 200
        counts[model] = len(ctx)
    _make_rows(8)
    for model in admin.site._registry:
        with CaptureQueriesContext(connection) as ctx:
            assert staff_client.get(_changelist_url(model)).status_code == 200
        assert len(ctx) == counts[model], model


def test_meeting_change_page_shows_its_inlines(staff_client):
    segment = SegmentFactory(text="the login error")
    response = staff_client.get(f"/admin/meetings/meeting/{segment.meeting_id}/change/")
    assert response.status_code == 200
    assert "the login error" in response.content.decode()
