"""A workspace's usage in the admin: staff see it and download it; nobody else does."""

import csv
import io

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from accounts.models import User
from tests.factories import MeetingFactory, MembershipFactory, ParticipantFactory
from transcription.models import Recording

pytestmark = pytest.mark.django_db


@pytest.fixture
def used(workspace, owner):
    """Today: a meeting with 12 minutes of the owner's live audio, transcribed."""
    meeting = MeetingFactory(workspace=workspace, organizer=owner)
    Recording.objects.create(
        meeting=meeting, source="live", status="done", duration_ms=12 * 60_000,
        participant=ParticipantFactory(meeting=meeting, user=owner),
    )
    return workspace


@pytest.fixture
def staff_client(client):
    client.force_login(User.objects.create_superuser("root@example.com", "a-strong-pass-123"))
    return client


def change_url(workspace):
    return f"/admin/workspaces/workspace/{workspace.pk}/change/"


def csv_url(workspace, by):
    return f"/admin/workspaces/workspace/{workspace.pk}/usage.csv?by={by}"


def test_the_change_page_shows_this_months_and_todays_usage(staff_client, used):
    page = staff_client.get(change_url(used)).content.decode()
    today = timezone.localdate()
    assert "By month, the last 12 months" in page
    assert f"<td>{today:%Y-%m}</td><td>12.00</td><td>0.00</td><td>12.00</td><td>1</td><td>1</td>" in page
    assert f"<td>{today.isoformat()}</td><td>12.00</td>" in page
    assert csv_url(used, "day") in page


def test_staff_download_the_usage_as_csv(staff_client, used):
    response = staff_client.get(csv_url(used, "day"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert f'filename="usage-{used.slug}-by-day.csv"' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[1] == [used.slug, timezone.localdate().isoformat(), "12.00", "0.00", "12.00", "1", "1"]


def test_a_new_workspace_is_added_without_a_usage_section(staff_client):
    page = staff_client.get("/admin/workspaces/workspace/add/")
    assert page.status_code == 200
    assert "By month" not in page.content.decode()


def test_a_signed_in_member_who_is_not_staff_is_sent_to_the_admin_sign_in(client, used, owner):
    client.force_login(owner)
    for url in (change_url(used), csv_url(used, "month")):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")


def test_staff_without_permission_to_view_workspaces_are_refused_the_csv(client, used):
    clerk = User.objects.create_user("clerk@example.com", "a-strong-pass-123", is_staff=True)
    client.force_login(clerk)
    assert client.get(csv_url(used, "month")).status_code == 403
    clerk.user_permissions.add(Permission.objects.get(codename="view_workspace"))
    assert client.get(csv_url(used, "month")).status_code == 200


def test_a_missing_workspace_is_not_found(staff_client):
    assert staff_client.get("/admin/workspaces/workspace/999999/usage.csv").status_code == 404


def test_a_member_who_did_nothing_is_not_active(staff_client, used):
    MembershipFactory(workspace=used)  # a member who did nothing
    rows = list(csv.reader(io.StringIO(staff_client.get(csv_url(used, "month")).content.decode())))
    assert rows[1][-1] == "1"


def test_the_change_page_charts_each_of_the_last_31_days(staff_client, used):
    page = staff_client.get(change_url(used)).content.decode()
    today = timezone.localdate()

    start = page.index('<svg class="usage-chart"')
    chart = page[start:page.index("</svg>", start)]
    assert chart.count("<title>") == 31  # a bar for every day, used or not
    assert f"<title>{today.isoformat()}: 12.00 min recorded, 0.00 uploaded</title>" in chart
    # Today's 12 minutes are the most in a day: its blue bar is the chart's full height.
    assert 'y="0" width="12" height="80" fill="#2563eb"' in chart
