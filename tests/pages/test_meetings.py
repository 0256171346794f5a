"""The meetings list, the new meeting form and a meeting's page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from meetings.models import Meeting, Summary
from tests.factories import MeetingFactory, ParticipantFactory, SegmentFactory, TaskFactory
from transcription.models import Segment
from workspaces.models import Role

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def _list(client, workspace, query="", **extra):
    return client.get(f"/w/{workspace.id}/meetings/{query}", **extra)


def test_meeting_list_shows_the_workspaces_meetings(signed_in, workspace, owner, meeting, outsider):
    foreign = MeetingFactory(workspace=outsider.memberships.get().workspace, title="Their secret")
    body = _list(signed_in(owner), workspace).content.decode()
    assert meeting.title in body
    assert foreign.title not in body
    assert 'id="meeting-results"' in body
    assert "New meeting" in body


def test_empty_meeting_list_says_what_to_do_first(signed_in, workspace, owner):
    body = _list(signed_in(owner), workspace).content.decode()
    assert "No meetings yet" in body
    assert "press <strong>New meeting</strong>" in body
    assert 'role="search"' not in body  # nothing to search yet


def test_viewer_gets_no_new_meeting_form(signed_in, workspace, member_of):
    body = _list(signed_in(member_of(workspace, Role.VIEWER)), workspace).content.decode()
    assert "New meeting" not in body
    assert "When your team records a meeting" in body


def test_another_workspaces_list_is_not_found(signed_in, workspace, outsider):
    assert _list(signed_in(outsider), workspace).status_code == 404


def test_a_workspace_that_does_not_exist_is_not_found(signed_in, owner):
    assert signed_in(owner).get("/w/999999/meetings/").status_code == 404


def test_meeting_list_needs_sign_in(client, workspace):
    assert _list(client, workspace).url.startswith("/accounts/sign-in/?next=")


def test_htmx_filter_returns_only_the_results(signed_in, workspace, owner, meeting):
    response = _list(signed_in(owner), workspace, "?q=", **HTMX)
    body = response.content.decode()
    assert body.lstrip().startswith('<section id="meeting-results"')
    assert "<html" not in body
    assert "HX-Request" in response["Vary"]


def test_history_restore_gets_the_whole_page(signed_in, workspace, owner):
    response = _list(signed_in(owner), workspace, **HTMX, HTTP_HX_HISTORY_RESTORE_REQUEST="true")
    assert "<html" in response.content.decode()


def test_search_finds_titles_and_words_said(signed_in, workspace, owner):
    standup = MeetingFactory(workspace=workspace, title="Weekly standup")
    review = MeetingFactory(workspace=workspace, title="Design review")
    SegmentFactory(meeting=review, text="We ship the mobile release on Monday")
    client = signed_in(owner)
    by_title = _list(client, workspace, "?q=standup", **HTMX).content.decode()
    assert standup.title in by_title and review.title not in by_title
    by_words = _list(client, workspace, "?q=MOBILE+release", **HTMX).content.decode()
    assert review.title in by_words and standup.title not in by_words
    assert "1 meeting matches" in by_words


def test_filter_by_status_and_date(signed_in, workspace, owner):
    ready = MeetingFactory(workspace=workspace, title="Done one", status=Meeting.Status.READY)
    MeetingFactory(workspace=workspace, title="Later one")
    old = MeetingFactory(workspace=workspace, title="Old one", status=Meeting.Status.READY)
    Meeting.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=40))
    client = signed_in(owner)
    body = _list(client, workspace, "?status=ready", **HTMX).content.decode()
    assert ready.title in body and old.title in body and "Later one" not in body
    since = (timezone.now() - timedelta(days=7)).date().isoformat()
    body = _list(client, workspace, f"?status=ready&since={since}", **HTMX).content.decode()
    assert ready.title in body and old.title not in body


def test_a_bad_date_is_ignored_and_flagged(signed_in, workspace, owner, meeting):
    body = _list(signed_in(owner), workspace, "?since=not-a-date").content.decode()
    assert meeting.title in body
    assert "Enter a valid date" in body


def test_no_match_says_how_to_widen_the_search(signed_in, workspace, owner, meeting):
    body = _list(signed_in(owner), workspace, "?q=zebra", **HTMX).content.decode()
    assert "No meetings match" in body
    assert "Clear the filters" in body


def test_meeting_list_is_paginated_keeping_the_filters(signed_in, workspace, owner):
    MeetingFactory.create_batch(25, workspace=workspace, status=Meeting.Status.READY)
    body = _list(signed_in(owner), workspace, "?status=ready").content.decode()
    assert "Page 1 of 2" in body
    assert "?status=ready&amp;page=2" in body
    second = _list(signed_in(owner), workspace, "?status=ready&page=2", **HTMX).content.decode()
    assert second.count('class="row meeting"') == 5


def test_meeting_list_query_count_does_not_grow_with_rows(signed_in, workspace, owner):
    client = signed_in(owner)
    MeetingFactory(workspace=workspace, organizer=owner)
    _list(client, workspace)  # the first visit remembers the workspace in the session
    with CaptureQueriesContext(connection) as one:
        assert _list(client, workspace).status_code == 200
    MeetingFactory.create_batch(29, workspace=workspace)  # each with its own organizer
    with CaptureQueriesContext(connection) as thirty:
        assert _list(client, workspace, "?q=Meeting").status_code == 200
    assert len(thirty) == len(one)


def test_member_creates_a_meeting(signed_in, workspace, member_of):
    member = member_of(workspace, Role.MEMBER)
    response = signed_in(member).post(f"/w/{workspace.id}/meetings/new/", {"title": "Planning"})
    created = Meeting.objects.get(title="Planning")
    assert response.url == f"/meetings/{created.id}/"
    assert created.organizer == member


def test_viewer_cannot_create_a_meeting(signed_in, workspace, member_of):
    viewer = member_of(workspace, Role.VIEWER)
    response = signed_in(viewer).post(f"/w/{workspace.id}/meetings/new/", {"title": "Nope"})
    assert response.status_code == 403
    assert "ask a workspace admin" in response.content.decode()
    assert not Meeting.objects.exists()


def test_a_meeting_needs_a_title(signed_in, workspace, owner):
    response = signed_in(owner).post(f"/w/{workspace.id}/meetings/new/", {"title": " "})
    assert response.status_code == 400
    assert "errorlist" in response.content.decode()


def test_creating_in_another_workspace_is_not_found(signed_in, workspace, outsider):
    response = signed_in(outsider).post(f"/w/{workspace.id}/meetings/new/", {"title": "x"})
    assert response.status_code == 404


def test_meeting_page_has_the_shell_the_room_hooks_onto(signed_in, owner, meeting):
    body = signed_in(owner).get(f"/meetings/{meeting.id}/").content.decode()
    assert f'data-meeting-id="{meeting.id}"' in body
    for hook in ('id="transcript"', 'id="summary"', 'id="tasks"', 'id="participants"', 'id="meeting-status"'):
        assert hook in body
    assert "Nobody has spoken yet" in body
    assert "The summary is written when the meeting ends." in body


def test_meeting_page_prefers_the_refined_transcript(signed_in, owner, meeting):
    carol = ParticipantFactory(meeting=meeting, name="Carol")
    SegmentFactory(meeting=meeting, participant=carol, text="live draft words", kind=Segment.Kind.FINAL)
    SegmentFactory(meeting=meeting, participant=carol, text="I will write the survey report", kind=Segment.Kind.REFINED)
    body = signed_in(owner).get(f"/meetings/{meeting.id}/").content.decode()
    assert "I will write the survey report" in body
    assert "live draft words" not in body
    assert 'id="participant-' in body and "Carol" in body


def test_meeting_page_shows_the_summary(signed_in, owner, meeting):
    Summary.objects.create(
        meeting=meeting,
        overview="We planned the release.",
        key_points=["Login error"],
        decisions=["Ship Monday"],
        questions=["Do we keep the old app running during the redesign?"],
        engine="local",
    )
    body = signed_in(owner).get(f"/meetings/{meeting.id}/").content.decode()
    assert "We planned the release." in body
    assert "Login error" in body and "Ship Monday" in body
    assert "Open questions" in body and "Do we keep the old app running during the redesign?" in body


def test_meeting_tasks_are_editable_only_for_those_allowed(signed_in, workspace, owner, meeting, member_of):
    task = TaskFactory(meeting=meeting, title="Fix the login error")
    editor_body = signed_in(owner).get(f"/meetings/{meeting.id}/").content.decode()
    assert f'hx-post="/tasks/{task.id}/"' in editor_body
    assert f'for="task-{task.id}-assignee"' in editor_body
    viewer = member_of(workspace, Role.VIEWER)
    viewer_body = signed_in(viewer).get(f"/meetings/{meeting.id}/").content.decode()
    assert "Fix the login error" in viewer_body
    assert f'/tasks/{task.id}/"' not in viewer_body


def test_another_workspaces_meeting_is_not_found(signed_in, meeting, outsider):
    response = signed_in(outsider).get(f"/meetings/{meeting.id}/")
    assert response.status_code == 404
    assert meeting.title not in response.content.decode()


def test_meeting_page_needs_sign_in(client, meeting):
    assert client.get(f"/meetings/{meeting.id}/").url == f"/accounts/sign-in/?next=/meetings/{meeting.id}/"


def test_organizer_ends_a_live_meeting(signed_in, owner, meeting):
    Meeting.objects.filter(pk=meeting.pk).update(status=Meeting.Status.LIVE, started_at=timezone.now())
    client = signed_in(owner)
    assert "End meeting" in client.get(f"/meetings/{meeting.id}/").content.decode()
    response = client.post(f"/meetings/{meeting.id}/end/")
    assert response.url == f"/meetings/{meeting.id}/"
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.PROCESSING


def test_viewer_cannot_end_a_meeting(signed_in, workspace, meeting, member_of):
    Meeting.objects.filter(pk=meeting.pk).update(status=Meeting.Status.LIVE)
    viewer = member_of(workspace, Role.VIEWER)
    assert "End meeting" not in signed_in(viewer).get(f"/meetings/{meeting.id}/").content.decode()
    assert signed_in(viewer).post(f"/meetings/{meeting.id}/end/").status_code == 403
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.LIVE


def test_a_member_cannot_end_someone_elses_meeting(signed_in, workspace, meeting, member_of):
    Meeting.objects.filter(pk=meeting.pk).update(status=Meeting.Status.LIVE)
    assert signed_in(member_of(workspace)).post(f"/meetings/{meeting.id}/end/").status_code == 403


def test_ending_a_meeting_that_is_not_live_explains_why(signed_in, owner, meeting):
    response = signed_in(owner).post(f"/meetings/{meeting.id}/end/")
    assert response.status_code == 400
    assert "Only a live meeting can be ended" in response.content.decode()
