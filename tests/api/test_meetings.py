"""Meetings: list (filters, search, ordering, cursor), create, read, update, delete, end;
participants and summaries."""

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from meetings.models import Meeting, Summary
from tests.api.helpers import ROLES, client_for, error_code, queries_for, quick_users
from tests.factories import MeetingFactory, ParticipantFactory, SegmentFactory, WorkspaceFactory
from workspaces.models import Role


def _ids(response):
    assert response.status_code == 200, response.content
    return [m["id"] for m in response.json()["results"]]


def test_list_shows_meetings_of_my_workspaces_newest_first(workspace, owner, outsider, as_user):
    older = MeetingFactory(workspace=workspace, organizer=owner)
    newer = MeetingFactory(workspace=workspace, organizer=owner)
    MeetingFactory(workspace=outsider.memberships.get().workspace)
    assert _ids(as_user(owner).get("/api/v1/meetings/")) == [newer.id, older.id]


def test_list_never_shows_another_workspace(meeting, outsider, as_user):
    SegmentFactory(meeting=meeting, text="the secret launch plan")
    client = as_user(outsider)
    assert _ids(client.get("/api/v1/meetings/")) == []
    assert _ids(client.get("/api/v1/meetings/", {"search": "secret"})) == []
    assert _ids(client.get("/api/v1/meetings/", {"workspace": meeting.workspace_id})) == []


def test_filter_by_status_and_workspace(workspace, owner, as_user):
    live = MeetingFactory(workspace=workspace, organizer=owner, status=Meeting.Status.LIVE)
    MeetingFactory(workspace=workspace, organizer=owner)
    other = WorkspaceFactory()
    other.memberships.create(user=owner, role=Role.OWNER)
    elsewhere = MeetingFactory(workspace=other, organizer=owner)
    client = as_user(owner)
    assert _ids(client.get("/api/v1/meetings/", {"status": "live"})) == [live.id]
    assert _ids(client.get("/api/v1/meetings/", {"workspace": other.id})) == [elsewhere.id]


def test_filter_by_date_range(workspace, owner, as_user):
    now = timezone.now()
    old, recent = MeetingFactory(workspace=workspace), MeetingFactory(workspace=workspace)
    Meeting.objects.filter(pk=old.pk).update(created_at=now - timedelta(days=10))
    Meeting.objects.filter(pk=recent.pk).update(created_at=now - timedelta(days=1))
    client = as_user(owner)
    week_ago = (now - timedelta(days=7)).isoformat()
    assert _ids(client.get("/api/v1/meetings/", {"created_after": week_ago})) == [recent.id]
    assert _ids(client.get("/api/v1/meetings/", {"created_before": week_ago})) == [old.id]


def test_search_finds_title_and_transcript_words(workspace, owner, as_user):
    by_title = MeetingFactory(workspace=workspace, title="Quarterly budget")
    by_text = MeetingFactory(workspace=workspace, title="Standup")
    SegmentFactory(meeting=by_text, text="we must cut the BUDGET")
    MeetingFactory(workspace=workspace, title="Unrelated")
    assert sorted(_ids(as_user(owner).get("/api/v1/meetings/", {"search": "budget"}))) == sorted(
        [by_title.id, by_text.id]
    )


def test_transcript_search_can_use_the_trigram_index_on_postgresql(db):
    """The index must be on the very expression Django's `icontains` produces."""
    from django.db import connection

    from transcription.models import Segment

    if connection.vendor != "postgresql":
        pytest.skip("a PostgreSQL index: runs on the scaled run")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # tiny test tables: force the choice
        plan = Segment.objects.filter(text__icontains="xylophone").explain()
    assert "segment_text_trgm" in plan


def test_ordering_by_title(workspace, owner, as_user):
    b, a = MeetingFactory(workspace=workspace, title="Beta"), MeetingFactory(workspace=workspace, title="Alpha")
    client = as_user(owner)
    assert _ids(client.get("/api/v1/meetings/", {"ordering": "title"})) == [a.id, b.id]
    assert _ids(client.get("/api/v1/meetings/", {"ordering": "-title"})) == [b.id, a.id]


def test_bad_filters_are_400_with_fields(owner, as_user):
    response = as_user(owner).get("/api/v1/meetings/", {"status": "nope", "ordering": "secret_field"})
    assert response.status_code == 400
    assert error_code(response) == "validation_error"
    assert set(response.json()["error"]["fields"]) == {"status", "ordering"}


def test_cursor_pagination_walks_every_meeting_once(workspace, owner, as_user):
    created = {MeetingFactory(workspace=workspace).id for _ in range(7)}
    client, seen, url = as_user(owner), [], "/api/v1/meetings/?limit=3"
    while url:
        body = client.get(url).json()
        assert len(body["results"]) <= 3
        seen += [m["id"] for m in body["results"]]
        url = body["next"]
    assert sorted(seen) == sorted(created) and len(seen) == len(created)
    assert "cursor" in parse_qs(urlsplit(client.get("/api/v1/meetings/?limit=3").json()["next"]).query)


def test_a_forged_cursor_is_not_found(owner, as_user):
    response = as_user(owner).get("/api/v1/meetings/", {"cursor": "cD1nYXJiYWdl"})  # "p=garbage"
    assert response.status_code == 404
    assert error_code(response) == "not_found"


@pytest.mark.parametrize("rows", [1, 50])
def test_meeting_list_runs_constant_queries(rows, workspace, owner):
    organizers = quick_users(rows)
    Meeting.objects.bulk_create([Meeting(workspace=workspace, title="m", organizer=u) for u in organizers])
    # user, workspace ids, page (no join on memberships: the page is read in index order)
    assert queries_for(client_for(owner), "/api/v1/meetings/?limit=100") == 3


@pytest.mark.parametrize("role,status", list(zip(ROLES, [403, 201, 201, 201], strict=True)))
def test_create_needs_member(workspace, member_of, as_user, role, status):
    user = member_of(workspace, role)
    response = as_user(user).post(
        "/api/v1/meetings/", {"workspace": workspace.id, "title": "Planning"}, format="json"
    )
    assert response.status_code == status, response.content
    if status == 201:
        body = response.json()
        assert body["status"] == "scheduled" and body["organizer"]["id"] == user.id
    assert Meeting.objects.filter(title="Planning").exists() == (status == 201)


def test_creating_in_another_workspace_is_not_found(workspace, outsider, as_user):
    response = as_user(outsider).post(
        "/api/v1/meetings/", {"workspace": workspace.id, "title": "Sneaky"}, format="json"
    )
    assert response.status_code == 404
    assert not Meeting.objects.filter(title="Sneaky").exists()


def test_retrieve(meeting, member_of, as_user):
    viewer = member_of(meeting.workspace, Role.VIEWER)
    response = as_user(viewer).get(f"/api/v1/meetings/{meeting.id}/")
    assert response.status_code == 200
    assert response.json()["title"] == meeting.title


def test_a_missing_meeting_is_not_found(owner, as_user):
    response = as_user(owner).get("/api/v1/meetings/999999/")
    assert response.status_code == 404
    assert error_code(response) == "not_found"


# Who may change a meeting someone else organised: admins and owners only.
OTHERS_MEETING = list(zip(ROLES, [403, 403, 200, 200], strict=True))


@pytest.mark.parametrize("role,status", OTHERS_MEETING)
def test_update_someone_elses_meeting_needs_admin(meeting, member_of, as_user, role, status):
    response = as_user(member_of(meeting.workspace, role)).patch(
        f"/api/v1/meetings/{meeting.id}/", {"title": "Renamed"}, format="json"
    )
    assert response.status_code == status, response.content
    meeting.refresh_from_db()
    assert (meeting.title == "Renamed") == (status == 200)


def test_a_member_updates_and_deletes_its_own_meeting(workspace, member_of, as_user):
    member = member_of(workspace, Role.MEMBER)
    own = MeetingFactory(workspace=workspace, organizer=member)
    client = as_user(member)
    assert client.patch(f"/api/v1/meetings/{own.id}/", {"title": "Mine"}, format="json").json()["title"] == "Mine"
    assert client.delete(f"/api/v1/meetings/{own.id}/").status_code == 204
    assert not Meeting.objects.filter(pk=own.pk).exists()


@pytest.mark.parametrize("role,status", list(zip(ROLES, [403, 403, 204, 204], strict=True)))
def test_delete_someone_elses_meeting_needs_admin(meeting, member_of, as_user, role, status):
    response = as_user(member_of(meeting.workspace, role)).delete(f"/api/v1/meetings/{meeting.id}/")
    assert response.status_code == status, response.content
    assert Meeting.objects.filter(pk=meeting.pk).exists() == (status == 403)


@pytest.mark.parametrize("role,status", OTHERS_MEETING)
def test_ending_someone_elses_live_meeting_needs_admin(meeting, member_of, as_user, role, status):
    Meeting.objects.filter(pk=meeting.pk).update(status=Meeting.Status.LIVE, started_at=timezone.now())
    response = as_user(member_of(meeting.workspace, role)).post(f"/api/v1/meetings/{meeting.id}/end/")
    assert response.status_code == status, response.content
    meeting.refresh_from_db()
    assert meeting.status == (Meeting.Status.PROCESSING if status == 200 else Meeting.Status.LIVE)


def test_the_organizer_ends_its_live_meeting(meeting, owner, as_user):
    Meeting.objects.filter(pk=meeting.pk).update(status=Meeting.Status.LIVE, started_at=timezone.now())
    response = as_user(owner).post(f"/api/v1/meetings/{meeting.id}/end/")
    assert response.status_code == 200
    assert response.json()["status"] == "processing" and response.json()["ended_at"]


def test_only_a_live_meeting_can_be_ended(meeting, owner, as_user):
    response = as_user(owner).post(f"/api/v1/meetings/{meeting.id}/end/")
    assert response.status_code == 400
    assert error_code(response) == "not_live"


# --- Participants ---------------------------------------------------------------------


def test_participants_are_listed(meeting, owner, as_user):
    alice = ParticipantFactory(meeting=meeting, name="Alice", user=owner)
    guest = ParticipantFactory(meeting=meeting, name="Guest")
    response = as_user(owner).get(f"/api/v1/meetings/{meeting.id}/participants/")
    assert [(p["id"], p["name"], p["user"]) for p in response.json()["results"]] == [
        (alice.id, "Alice", owner.id),
        (guest.id, "Guest", None),
    ]


@pytest.mark.parametrize("role,status", list(zip(ROLES, [403, 200, 200, 200], strict=True)))
def test_renaming_a_participant_needs_member(meeting, member_of, as_user, role, status):
    participant = ParticipantFactory(meeting=meeting, name="Speaker 1")
    response = as_user(member_of(meeting.workspace, role)).patch(
        f"/api/v1/meetings/{meeting.id}/participants/{participant.id}/", {"name": "Carol"}, format="json"
    )
    assert response.status_code == status, response.content
    participant.refresh_from_db()
    assert (participant.name == "Carol") == (status == 200)


def test_a_participant_of_another_meeting_is_not_found(meeting, owner, as_user):
    elsewhere = ParticipantFactory(meeting=MeetingFactory(workspace=meeting.workspace))
    response = as_user(owner).patch(
        f"/api/v1/meetings/{meeting.id}/participants/{elsewhere.id}/", {"name": "X"}, format="json"
    )
    assert response.status_code == 404


@pytest.mark.parametrize("rows", [1, 50])
def test_participant_list_runs_constant_queries(rows, meeting, owner):
    users = quick_users(rows)
    for user in users:
        ParticipantFactory(meeting=meeting, user=user)
    # user, meeting with membership, count, page
    assert queries_for(client_for(owner), f"/api/v1/meetings/{meeting.id}/participants/?limit=100") == 4


# --- Summary --------------------------------------------------------------------------


def test_summary_is_not_found_until_written(meeting, owner, as_user):
    client = as_user(owner)
    response = client.get(f"/api/v1/meetings/{meeting.id}/summary/")
    assert response.status_code == 404
    Summary.objects.create(
        meeting=meeting, overview="We met.", key_points=["a"], decisions=["b"], questions=["c?"], engine="local"
    )
    body = client.get(f"/api/v1/meetings/{meeting.id}/summary/").json()
    assert body["overview"] == "We met." and body["key_points"] == ["a"] and body["decisions"] == ["b"]
    assert body["questions"] == ["c?"]


@pytest.mark.parametrize("role,status", list(zip(ROLES, [403, 202, 202, 202], strict=True)))
def test_resummarize_needs_member(meeting, member_of, as_user, role, status):
    Meeting.objects.filter(pk=meeting.pk).update(status=Meeting.Status.READY)
    response = as_user(member_of(meeting.workspace, role)).post(f"/api/v1/meetings/{meeting.id}/summary/regenerate/")
    assert response.status_code == status, response.content
    if status == 202:
        assert response.json() == {"status": "queued"}


def test_resummarize_waits_for_processing(meeting, owner, as_user):
    Meeting.objects.filter(pk=meeting.pk).update(status=Meeting.Status.PROCESSING)
    response = as_user(owner).post(f"/api/v1/meetings/{meeting.id}/summary/regenerate/")
    assert response.status_code == 400
    assert error_code(response) == "busy"


def test_resummarize_writes_the_summary_with_jobs_inline(meeting, owner, as_user, django_capture_on_commit_callbacks):
    Meeting.objects.filter(pk=meeting.pk).update(status=Meeting.Status.READY)
    SegmentFactory(meeting=meeting, text="We decided to ship the mobile release on Monday.")
    with django_capture_on_commit_callbacks(execute=True):
        response = as_user(owner).post(f"/api/v1/meetings/{meeting.id}/summary/regenerate/")
    assert response.status_code == 202
    assert Summary.objects.filter(meeting=meeting).exists()
