"""Tasks: filtered lists, create, read, update, delete, with the role rules of DESIGN.md."""

from datetime import date

import pytest

from meetings.models import Task
from tests.api.helpers import ROLES, client_for, error_code, queries_for, quick_users
from tests.factories import MeetingFactory, TaskFactory
from workspaces.models import Membership, Role


def _ids(response):
    assert response.status_code == 200, response.content
    return [t["id"] for t in response.json()["results"]]


def test_filters_assignee_me_status_due_before_and_meeting(workspace, meeting, owner, member_of, as_user):
    other = member_of(workspace, Role.MEMBER)
    mine = TaskFactory(meeting=meeting, assignee=owner, due_date=date(2030, 1, 10))
    done = TaskFactory(meeting=meeting, assignee=owner, status=Task.Status.DONE)
    theirs = TaskFactory(meeting=meeting, assignee=other, due_date=date(2030, 3, 1))
    elsewhere = TaskFactory(meeting=MeetingFactory(workspace=workspace), assignee=other)
    client = as_user(owner)
    assert sorted(_ids(client.get("/api/v1/tasks/", {"assignee": "me"}))) == sorted([mine.id, done.id])
    assert _ids(client.get("/api/v1/tasks/", {"assignee": other.id, "meeting": meeting.id})) == [theirs.id]
    assert _ids(client.get("/api/v1/tasks/", {"status": "done"})) == [done.id]
    assert _ids(client.get("/api/v1/tasks/", {"due_before": "2030-02-01"})) == [mine.id]
    assert elsewhere.id in _ids(client.get("/api/v1/tasks/", {"workspace": workspace.id}))


def test_open_tasks_come_first_soonest_due_first(meeting, owner, as_user):
    done = TaskFactory(meeting=meeting, status=Task.Status.DONE, due_date=date(2030, 1, 1))
    later = TaskFactory(meeting=meeting, due_date=date(2030, 6, 1))
    undated = TaskFactory(meeting=meeting)
    sooner = TaskFactory(meeting=meeting, due_date=date(2030, 2, 1))
    assert _ids(as_user(owner).get("/api/v1/tasks/")) == [sooner.id, later.id, undated.id, done.id]


def test_list_never_shows_another_workspace(meeting, outsider, as_user):
    TaskFactory(meeting=meeting, assignee=None)
    client = as_user(outsider)
    assert _ids(client.get("/api/v1/tasks/")) == []
    assert _ids(client.get("/api/v1/tasks/", {"meeting": meeting.id})) == []
    assert _ids(client.get("/api/v1/tasks/", {"workspace": meeting.workspace_id})) == []


def test_bad_filters_are_400(owner, as_user):
    response = as_user(owner).get("/api/v1/tasks/", {"assignee": "someone", "due_before": "soon"})
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"assignee", "due_before"}


@pytest.mark.parametrize("role,status", list(zip(ROLES, [403, 201, 201, 201], strict=True)))
def test_create_needs_member(meeting, member_of, as_user, role, status):
    user = member_of(meeting.workspace, role)
    response = as_user(user).post(
        "/api/v1/tasks/",
        {"meeting": meeting.id, "title": "Fix the login error", "assignee": user.id, "due_date": "2030-01-02"},
        format="json",
    )
    assert response.status_code == status, response.content
    if status == 201:
        body = response.json()
        assert body["assignee"]["id"] == user.id and body["workspace"] == meeting.workspace_id
        assert body["due_date"] == "2030-01-02" and body["created_by"] == user.id
    assert Task.objects.filter(title="Fix the login error").exists() == (status == 201)


def test_create_without_a_meeting_needs_a_workspace(workspace, owner, as_user):
    client = as_user(owner)
    response = client.post("/api/v1/tasks/", {"title": "Loose end"}, format="json")
    assert response.status_code == 400
    assert "workspace" in response.json()["error"]["fields"]
    response = client.post("/api/v1/tasks/", {"title": "Loose end", "workspace": workspace.id}, format="json")
    assert response.status_code == 201
    assert response.json()["meeting"] is None


def test_a_task_cannot_go_to_another_workspaces_meeting_or_member(meeting, owner, outsider, as_user):
    client = as_user(owner)
    foreign = MeetingFactory(workspace=outsider.memberships.get().workspace)
    assert client.post("/api/v1/tasks/", {"meeting": foreign.id, "title": "x"}, format="json").status_code == 404
    response = client.post(
        "/api/v1/tasks/", {"meeting": meeting.id, "title": "x", "assignee": outsider.id}, format="json"
    )
    assert response.status_code == 400
    assert "assignee" in response.json()["error"]["fields"]
    missing = client.post("/api/v1/tasks/", {"meeting": meeting.id, "title": "x", "assignee": 999999}, format="json")
    assert missing.json()["error"]["fields"] == response.json()["error"]["fields"]
    assert not Task.objects.exists()


def test_retrieve(meeting, member_of, as_user):
    task = TaskFactory(meeting=meeting)
    response = as_user(member_of(meeting.workspace, Role.VIEWER)).get(f"/api/v1/tasks/{task.id}/")
    assert response.status_code == 200
    assert response.json()["title"] == task.title


# A task someone else made, in a meeting someone else organised.
OTHERS_TASK = list(zip(ROLES, [403, 403, 200, 200], strict=True))


@pytest.mark.parametrize("role,status", OTHERS_TASK)
def test_updating_someone_elses_task_needs_admin(meeting, member_of, as_user, role, status):
    task = TaskFactory(meeting=meeting)
    response = as_user(member_of(meeting.workspace, role)).patch(
        f"/api/v1/tasks/{task.id}/", {"status": "done"}, format="json"
    )
    assert response.status_code == status, response.content
    task.refresh_from_db()
    assert (task.status == Task.Status.DONE) == (status == 200)


def test_the_assignee_updates_its_task_and_it_is_marked_edited(meeting, member_of, as_user):
    member = member_of(meeting.workspace, Role.MEMBER)
    task = TaskFactory(meeting=meeting, assignee=member)
    response = as_user(member).patch(
        f"/api/v1/tasks/{task.id}/", {"status": "in_progress", "due_date": None, "title": "Better"}, format="json"
    )
    assert response.status_code == 200, response.content
    task.refresh_from_db()
    assert (task.status, task.title, task.due_date, task.edited) == ("in_progress", "Better", None, True)


def test_reassigning_to_a_non_member_is_refused(meeting, owner, outsider, as_user):
    task = TaskFactory(meeting=meeting)
    response = as_user(owner).patch(f"/api/v1/tasks/{task.id}/", {"assignee": outsider.id}, format="json")
    assert response.status_code == 400
    task.refresh_from_db()
    assert task.assignee is None


@pytest.mark.parametrize("role,status", list(zip(ROLES, [403, 403, 204, 204], strict=True)))
def test_deleting_someone_elses_task_needs_admin(meeting, member_of, as_user, role, status):
    task = TaskFactory(meeting=meeting)
    response = as_user(member_of(meeting.workspace, role)).delete(f"/api/v1/tasks/{task.id}/")
    assert response.status_code == status, response.content
    assert Task.objects.filter(pk=task.pk).exists() == (status == 403)


def test_the_creator_deletes_its_task(meeting, member_of, as_user):
    member = member_of(meeting.workspace, Role.MEMBER)
    task = TaskFactory(meeting=meeting, created_by=member)
    assert as_user(member).delete(f"/api/v1/tasks/{task.id}/").status_code == 204


def test_another_workspaces_task_is_not_found(meeting, outsider, as_user):
    task = TaskFactory(meeting=meeting)
    client = as_user(outsider)
    assert error_code(client.get(f"/api/v1/tasks/{task.id}/")) == "not_found"
    assert client.patch(f"/api/v1/tasks/{task.id}/", {"status": "done"}, format="json").status_code == 404
    assert client.delete(f"/api/v1/tasks/{task.id}/").status_code == 404
    assert Task.objects.get(pk=task.pk).status == Task.Status.OPEN


@pytest.mark.parametrize("rows", [1, 50])
def test_task_list_runs_constant_queries(rows, meeting, owner):
    users = quick_users(rows)
    Membership.objects.bulk_create([Membership(workspace=meeting.workspace, user=u) for u in users])
    Task.objects.bulk_create(
        [Task(workspace=meeting.workspace, meeting=meeting, title=f"t{n}", assignee=u, created_by=u)
         for n, u in enumerate(users)]
    )
    # user, workspace ids, count, page
    assert queries_for(client_for(owner), "/api/v1/tasks/?limit=100") == 4
