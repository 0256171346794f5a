"""Tasks found in a meeting arrive as suggestions (unless clear and the workspace accepts
those), are accepted or dismissed by the assignee or the organizer, and play their moment:
the real local summary engine, database, pages and API."""

from __future__ import annotations

import pytest

from meetings.models import Participant, Task
from tests.api.helpers import client_for
from tests.factories import SegmentFactory
from transcription.summaries import summary_generate
from workspaces.models import Role, Workspace

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(workspace, meeting, owner, member_of):
    """Ada organises; Ben promises a task, Ada asks Cleo for one nobody answers, Ada offers one."""
    ben = member_of(workspace, Role.MEMBER, display_name="Ben")
    cleo = member_of(workspace, Role.MEMBER, display_name="Cleo")
    owner.display_name = "Ada"
    owner.save()
    said = [
        (owner, 1_000, "Cleo, can you check the invoice totals?"),
        (ben, 4_000, "I will send the release notes on Friday."),
        (owner, 9_000, "I can check the build logs tomorrow."),
    ]
    for user, start_ms, text in said:
        voice, _ = Participant.objects.get_or_create(meeting=meeting, user=user, defaults={"name": user.display_name})
        SegmentFactory(meeting=meeting, participant=voice, kind="refined", text=text, start_ms=start_ms,
                       end_ms=start_ms + 2_500)
    return {"ada": owner, "ben": ben, "cleo": cleo}


@pytest.fixture
def as_user():
    return client_for


@pytest.fixture
def signed_in(client):
    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in


def _tasks(meeting):
    return {t.title: t for t in Task.objects.filter(meeting=meeting)}


def test_clear_tasks_are_accepted_and_doubtful_ones_suggested_with_their_confidence(meeting, team):
    summary_generate(meeting=meeting)

    tasks = _tasks(meeting)
    assert tasks["Send the release notes"].review == Task.Review.ACCEPTED  # "I will ..."
    assert tasks["Send the release notes"].confidence >= 0.75
    # Asked, never answered; and offered, not promised.
    assert tasks["Check the invoice totals"].review == Task.Review.SUGGESTED
    assert tasks["Check the build logs"].review == Task.Review.SUGGESTED
    assert all(t.confidence < 0.75 for t in tasks.values() if t.review == Task.Review.SUGGESTED)


@pytest.mark.parametrize("setting, review", [("never", "suggested"), ("always", "accepted")])
def test_the_workspace_setting_suggests_or_accepts_every_task(meeting, team, setting, review):
    Workspace.objects.filter(pk=meeting.workspace_id).update(accept_tasks=setting)
    meeting.refresh_from_db()

    summary_generate(meeting=meeting)

    assert {t.review for t in _tasks(meeting).values()} == {review}


def test_a_dismissed_suggestion_is_not_suggested_again_and_an_accepted_one_stays(meeting, team, as_user):
    summary_generate(meeting=meeting)
    tasks = _tasks(meeting)
    invoices, notes = tasks["Check the invoice totals"], tasks["Send the release notes"]
    client = as_user(team["ada"])  # the organizer

    response = client.patch(f"/api/v1/tasks/{invoices.id}/", {"review": "dismissed"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["review"] == "dismissed"
    summary_generate(meeting=meeting)  # a re-summary, as after a correction

    invoices.refresh_from_db()
    assert invoices.review == Task.Review.DISMISSED
    assert Task.objects.filter(meeting=meeting, title="Check the invoice totals").count() == 1
    listed = [t["id"] for t in client.get("/api/v1/tasks/", {"meeting": meeting.id}).json()["results"]]
    assert invoices.id not in listed and notes.id in listed
    dismissed = client.get("/api/v1/tasks/", {"meeting": meeting.id, "review": "dismissed"}).json()["results"]
    assert [t["id"] for t in dismissed] == [invoices.id]


def test_the_assignee_accepts_and_others_may_not(meeting, team, as_user, member_of):
    summary_generate(meeting=meeting)
    invoices = _tasks(meeting)["Check the invoice totals"]
    assert invoices.assignee == team["cleo"]
    url = f"/api/v1/tasks/{invoices.id}/"

    bystander = as_user(team["ben"])
    assert bystander.patch(url, {"review": "accepted"}, format="json").status_code == 403
    viewer = as_user(member_of(meeting.workspace, Role.VIEWER))
    assert viewer.patch(url, {"review": "accepted"}, format="json").status_code == 403
    assignee = as_user(team["cleo"])
    assert assignee.patch(url, {"review": "maybe"}, format="json").status_code == 400
    response = assignee.patch(url, {"review": "accepted"}, format="json")

    assert response.status_code == 200, response.content
    invoices.refresh_from_db()
    assert invoices.review == Task.Review.ACCEPTED and invoices.edited


def test_suggestions_wait_on_my_tasks_page_and_one_click_accepts(meeting, team, signed_in):
    summary_generate(meeting=meeting)
    invoices = _tasks(meeting)["Check the invoice totals"]
    client = signed_in(team["cleo"])

    page = client.get("/tasks/").content.decode()
    suggested, _, mine = page.partition('id="task-results"')
    assert "Suggested for you" in suggested and "Check the invoice totals" in suggested
    assert "Check the invoice totals" not in mine  # not hers to do until she accepts it
    assert f"/meetings/{meeting.id}/?t=1#segment-{invoices.source_segment_id}" in suggested

    response = client.post(
        f"/tasks/{invoices.id}/review/", {"review": "accepted", "row": "mine"}, HTTP_HX_REQUEST="true"
    )

    assert response.status_code == 200
    assert "Accepted: it is in your tasks now." in response.content.decode()
    page = client.get("/tasks/").content.decode()
    assert "Suggested for you" not in page
    assert "Check the invoice totals" in page.partition('id="task-results"')[2]


def test_the_meeting_page_marks_suggestions_and_links_each_task_to_its_moment(meeting, team, signed_in):
    summary_generate(meeting=meeting)
    notes = _tasks(meeting)["Send the release notes"]
    client = signed_in(team["ada"])

    page = client.get(f"/meetings/{meeting.id}/").content.decode()

    assert page.count("Suggested ·") == 2
    assert f'data-play-segment="{notes.source_segment_id}"' in page
    assert f"/meetings/{meeting.id}/?t=4#segment-{notes.source_segment_id}" in page

    response = client.post(f"/tasks/{_tasks(meeting)['Check the invoice totals'].id}/review/",
                           {"review": "dismissed"}, HTTP_HX_REQUEST="true")
    assert "Dismissed:" in response.content.decode() and "Undo" in response.content.decode()
    assert "Check the invoice totals" not in client.get(f"/meetings/{meeting.id}/").content.decode()


def test_a_task_of_another_workspace_cannot_be_reviewed(meeting, team, outsider, signed_in, as_user):
    summary_generate(meeting=meeting)
    invoices = _tasks(meeting)["Check the invoice totals"]

    assert signed_in(outsider).post(f"/tasks/{invoices.id}/review/", {"review": "accepted"}).status_code == 404
    assert as_user(outsider).patch(f"/api/v1/tasks/{invoices.id}/", {"review": "accepted"},
                                   format="json").status_code == 404
    invoices.refresh_from_db()
    assert invoices.review == Task.Review.SUGGESTED
