"""My tasks, marking done in place, and a meeting's tasks edited in place."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from meetings.models import Task
from tests.factories import MeetingFactory, MembershipFactory, TaskFactory, WorkspaceFactory
from workspaces.models import Role

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def test_my_tasks_lists_what_is_mine_across_workspaces(signed_in, workspace, owner, meeting, member_of):
    elsewhere = WorkspaceFactory(name="Side project")
    MembershipFactory(workspace=elsewhere, user=owner, role=Role.MEMBER)
    mine = TaskFactory(meeting=meeting, assignee=owner, title="Write the survey report")
    other = TaskFactory(meeting=MeetingFactory(workspace=elsewhere), assignee=owner, title="Ship mobile release")
    TaskFactory(meeting=meeting, assignee=member_of(workspace), title="Not mine")
    body = signed_in(owner).get("/tasks/").content.decode()
    assert mine.title in body and other.title in body and "Side project" in body
    assert "Not mine" not in body


def test_open_tasks_come_first(signed_in, owner, meeting):
    TaskFactory(meeting=meeting, assignee=owner, title="Finished thing", status=Task.Status.DONE)
    TaskFactory(meeting=meeting, assignee=owner, title="Open thing")
    body = signed_in(owner).get("/tasks/").content.decode()
    assert body.index("Open thing") < body.index("Finished thing")


def test_my_tasks_filter_by_status_in_place(signed_in, owner, meeting):
    TaskFactory(meeting=meeting, assignee=owner, title="Open thing")
    TaskFactory(meeting=meeting, assignee=owner, title="Finished thing", status=Task.Status.DONE)
    body = signed_in(owner).get("/tasks/?status=done", **HTMX).content.decode()
    assert body.lstrip().startswith('<section id="task-results"')
    assert "Finished thing" in body and "Open thing" not in body


def test_my_tasks_empty_state_explains_where_tasks_come_from(signed_in, owner):
    body = signed_in(owner).get("/tasks/").content.decode()
    assert "Nothing is assigned to you" in body


def test_my_tasks_needs_sign_in(client):
    assert client.get("/tasks/").url == "/accounts/sign-in/?next=/tasks/"


def test_my_tasks_query_count_does_not_grow_with_rows(signed_in, workspace, owner):
    client = signed_in(owner)
    client.get("/tasks/")  # the first visit makes the member's calendar link, once
    TaskFactory(meeting=MeetingFactory(workspace=workspace), assignee=owner)
    with CaptureQueriesContext(connection) as one:
        assert client.get("/tasks/").status_code == 200
    for _ in range(29):
        TaskFactory(meeting=MeetingFactory(workspace=workspace), assignee=owner, due_date=date(2030, 1, 1))
    with CaptureQueriesContext(connection) as thirty:
        assert client.get("/tasks/").status_code == 200
    assert len(thirty) == len(one)


def test_mark_done_in_place(signed_in, workspace, meeting, member_of):
    member = member_of(workspace)
    task = TaskFactory(meeting=meeting, assignee=member)
    response = signed_in(member).post(f"/tasks/{task.id}/status/", {"status": "done"}, **HTMX)
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith(f'<li class="row task status-done" id="task-{task.id}"')
    assert "Reopen" in body
    task.refresh_from_db()
    assert task.status == Task.Status.DONE and task.edited


def test_mark_done_without_javascript_goes_back_to_the_list(signed_in, workspace, meeting, owner):
    task = TaskFactory(meeting=meeting, assignee=owner)
    response = signed_in(owner).post(f"/tasks/{task.id}/status/", {"status": "done", "next": "/tasks/?status=open"})
    assert response.url == "/tasks/?status=open"


def test_viewer_cannot_mark_a_task_done(signed_in, workspace, meeting, member_of):
    viewer = member_of(workspace, Role.VIEWER)
    task = TaskFactory(meeting=meeting, assignee=viewer)
    assert "Mark done" not in signed_in(viewer).get("/tasks/").content.decode()
    response = signed_in(viewer).post(f"/tasks/{task.id}/status/", {"status": "done"}, **HTMX)
    assert response.status_code == 403
    assert response["HX-Retarget"] == "#flash"
    task.refresh_from_db()
    assert task.status == Task.Status.OPEN


def test_another_workspaces_task_is_not_found(signed_in, meeting, outsider):
    task = TaskFactory(meeting=meeting)
    assert signed_in(outsider).post(f"/tasks/{task.id}/status/", {"status": "done"}).status_code == 404
    assert signed_in(outsider).post(f"/tasks/{task.id}/", {"status": "done"}).status_code == 404


def test_edit_a_meetings_task_in_place(signed_in, workspace, owner, meeting, member_of):
    david = member_of(workspace, display_name="David")
    task = TaskFactory(meeting=meeting, title="Fix the login error")
    data = {"assignee": david.id, "due_date": "2030-05-02", "status": "in_progress"}
    response = signed_in(owner).post(f"/tasks/{task.id}/", data, **HTMX)
    body = response.content.decode()
    assert response.status_code == 200
    assert f'id="task-{task.id}"' in body and "Saved" in body
    assert f'<option value="{david.id}" selected>' in body
    task.refresh_from_db()
    assert (task.assignee, task.due_date, task.status) == (david, date(2030, 5, 2), "in_progress")


def test_a_task_cannot_go_to_someone_outside_the_workspace(signed_in, owner, meeting, outsider):
    task = TaskFactory(meeting=meeting)
    response = signed_in(owner).post(f"/tasks/{task.id}/", {"assignee": outsider.id, "status": "open"}, **HTMX)
    assert response.status_code == 400
    assert response["HX-Retarget"] == "#flash"
    task.refresh_from_db()
    assert task.assignee is None


def test_viewer_cannot_edit_a_meetings_task(signed_in, workspace, meeting, member_of):
    viewer = member_of(workspace, Role.VIEWER)
    task = TaskFactory(meeting=meeting)
    response = signed_in(viewer).post(f"/tasks/{task.id}/", {"status": "done"})
    assert response.status_code == 403
    assert "have permission" in response.content.decode()


def test_a_member_cannot_edit_a_task_that_is_not_theirs(signed_in, workspace, meeting, member_of):
    task = TaskFactory(meeting=meeting)
    response = signed_in(member_of(workspace)).post(f"/tasks/{task.id}/", {"status": "done"}, **HTMX)
    assert response.status_code == 403


def test_editing_without_javascript_goes_back_to_the_meeting(signed_in, owner, meeting):
    task = TaskFactory(meeting=meeting)
    response = signed_in(owner).post(f"/tasks/{task.id}/", {"status": "done"})
    assert response.url == f"/meetings/{meeting.id}/#task-{task.id}"


def test_signed_out_htmx_request_is_sent_to_sign_in(client, meeting):
    task = TaskFactory(meeting=meeting)
    response = client.post(
        f"/tasks/{task.id}/status/", {"status": "done"}, **HTMX, HTTP_HX_CURRENT_URL="http://testserver/tasks/"
    )
    assert response["HX-Redirect"] == "/accounts/sign-in/?next=/tasks/"
