"""Meeting series: the next meeting opens with what the earlier ones left open and decided,
a task said done there is proposed for closing, and every decision is in a searchable log
(the real local summary engine, database, pages and API)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from meetings import services
from meetings.followup import said_done
from meetings.models import Decision, DoneProposal, Meeting, Participant, Task
from tests.api.helpers import client_for
from tests.factories import SegmentFactory
from transcription.summaries import summary_generate
from workspaces.models import Role

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "task, sentence",
    [
        ("Fix the login error", "Good news, the login error is fixed."),
        ("Send the release notes", "I sent the release notes to everyone yesterday."),
        ("Write the migration guide", "The migration guide is done and in the wiki."),
        ("Book the venue for the offsite", "The venue is booked."),
    ],
)
def test_a_task_said_done(task, sentence):
    assert said_done(task, sentence)


@pytest.mark.parametrize(
    "task, sentence",
    [
        ("Fix the login error", "The login error is not fixed yet."),
        ("Fix the login error", "Is the login error fixed?"),
        ("Fix the login error", "The login error will be fixed tomorrow."),
        ("Fix the login error", "The pricing page is done."),
        ("Send the release notes", "I still need to send the release notes."),
        ("Send the release notes", "The release notes are almost done."),
    ],
)
def test_a_task_not_said_done(task, sentence):
    assert not said_done(task, sentence)


def _said(meeting, user, start_ms, text):
    voice, _ = Participant.objects.get_or_create(meeting=meeting, user=user, defaults={"name": user.display_name})
    return SegmentFactory(meeting=meeting, participant=voice, kind="refined", text=text, start_ms=start_ms,
                          end_ms=start_ms + 3_000)


@pytest.fixture
def series(workspace, owner, member_of):
    """Two meetings of "Weekly sync": the first asks David for a fix and decides a date;
    the second hears that the fix is done."""
    owner.display_name = "Ada"
    owner.save()
    david = member_of(workspace, Role.MEMBER, display_name="David")
    membership = owner.memberships.get(workspace=workspace)
    first = services.meeting_create(membership=membership, title="Weekly sync 1", series="Weekly sync")
    Meeting.objects.filter(pk=first.pk).update(created_at=timezone.now() - timedelta(days=7))
    first.refresh_from_db()
    _said(first, owner, 1_000, "David, please fix the login error by Friday.")
    _said(first, david, 4_000, "Sure, I will.")
    decided = _said(first, owner, 8_000, "We decided to move the launch to May.")
    summary_generate(meeting=first)
    second = services.meeting_create(membership=membership, title="Weekly sync 2", series="Weekly sync")
    done = _said(second, david, 2_000, "Good news, the login error is fixed.")
    summary_generate(meeting=second)
    task = Task.objects.get(meeting=first, title="Fix the login error")
    return {"first": first, "second": second, "david": david, "ada": owner, "task": task,
            "decided": decided, "done_line": done}


def test_the_next_meeting_opens_with_open_tasks_decisions_and_a_proposal_to_close(series):
    second, task = series["second"], series["task"]
    assert second.series == series["first"].series
    assert task.review == Task.Review.ACCEPTED and task.assignee == series["david"]

    response = client_for(series["ada"]).get(f"/api/v1/meetings/{second.id}/carry-over/")

    assert response.status_code == 200
    data = response.json()
    assert data["series"]["name"] == "Weekly sync" and data["previous"] == series["first"].id
    assert [t["title"] for t in data["tasks"]] == ["Fix the login error"]
    proposal = data["tasks"][0]["done_proposal"]
    assert proposal["said"] == "Good news, the login error is fixed."
    assert proposal["source_segment"] == series["done_line"].id
    assert [d["text"] for d in data["decisions"]] == ["move the launch to May"]
    assert data["decisions"][0]["source_segment"] == series["decided"].id


def test_confirming_closes_the_task_and_it_no_longer_carries(series):
    proposal = DoneProposal.objects.get(task=series["task"])
    url = f"/api/v1/meetings/{series['second'].id}/done-proposals/{proposal.id}/"
    assert client_for(series["ada"]).post(url, {"done": "maybe"}, format="json").status_code == 400

    response = client_for(series["david"]).post(url, {"done": True}, format="json")

    assert response.status_code == 200 and response.json()["state"] == "confirmed"
    series["task"].refresh_from_db()
    assert series["task"].status == Task.Status.DONE
    carried = client_for(series["ada"]).get(f"/api/v1/meetings/{series['second'].id}/carry-over/").json()
    assert carried["tasks"] == []


def test_turned_down_the_task_stays_open_and_is_not_proposed_again(series):
    proposal = DoneProposal.objects.get(task=series["task"])
    response = client_for(series["ada"]).post(
        f"/api/v1/meetings/{series['second'].id}/done-proposals/{proposal.id}/", {"done": False}, format="json"
    )
    assert response.status_code == 200
    summary_generate(meeting=series["second"])  # a re-summary after a correction

    series["task"].refresh_from_db()
    assert series["task"].status == Task.Status.OPEN
    assert list(DoneProposal.objects.values_list("state", flat=True)) == ["rejected"]


def test_a_member_who_is_neither_assignee_nor_organizer_cannot_close_it(series, member_of):
    proposal = DoneProposal.objects.get(task=series["task"])
    bystander = client_for(member_of(series["first"].workspace, Role.MEMBER))
    url = f"/api/v1/meetings/{series['second'].id}/done-proposals/{proposal.id}/"

    assert bystander.post(url, {"done": True}, format="json").status_code == 403
    series["task"].refresh_from_db()
    assert series["task"].status == Task.Status.OPEN


def test_the_decisions_log_is_searchable_and_scoped_to_my_workspaces(series, outsider):
    ada = client_for(series["ada"])

    found = ada.get("/api/v1/decisions/", {"search": "launch"}).json()["results"]
    assert [(d["text"], d["meeting_title"]) for d in found] == [("move the launch to May", "Weekly sync 1")]
    assert ada.get("/api/v1/decisions/", {"search": "pricing"}).json()["results"] == []
    assert ada.get("/api/v1/decisions/", {"series": series["first"].series_id}).json()["count"] == 1
    stranger = client_for(outsider)
    assert stranger.get("/api/v1/decisions/").json()["results"] == []
    assert stranger.get("/api/v1/decisions/", {"workspace": series["first"].workspace_id}).json()["results"] == []


def test_a_re_summary_rewrites_the_meeting_s_decisions_without_duplicates(series):
    summary_generate(meeting=series["first"])
    assert list(Decision.objects.values_list("text", flat=True)) == ["move the launch to May"]


def test_the_pages_carry_over_close_a_task_and_log_decisions(series, client):
    client.force_login(series["ada"])
    second = series["second"]

    page = client.get(f"/meetings/{second.id}/").content.decode()
    assert "From earlier Weekly sync" in page
    assert "Fix the login error" in page and "Good news, the login error is fixed." in page
    assert "move the launch to May" in page

    proposal = DoneProposal.objects.get(task=series["task"])
    panel = client.post(f"/meetings/{second.id}/proposals/{proposal.id}/", {"done": "yes"}, HTTP_HX_REQUEST="true")
    assert panel.status_code == 200
    assert "Fix the login error" not in panel.content.decode()
    assert "Nothing left open from earlier meetings." in panel.content.decode()

    log = client.get(f"/w/{second.workspace_id}/decisions/", {"q": "launch"}).content.decode()
    assert "<mark>launch</mark>" in log and "Weekly sync 1" in log
    assert f"?t=8#segment-{series['decided'].id}" in log
    assert "No decision matches" in client.get(f"/w/{second.workspace_id}/decisions/", {"q": "pricing"}).content.decode()


def test_a_meeting_joins_a_series_by_name_from_the_form_and_the_api(workspace, owner, client):
    client.force_login(owner)
    response = client.post(f"/w/{workspace.id}/meetings/new/", {"title": "Stand-up", "series": "  Daily   stand-up "})
    assert response.status_code == 302
    meeting = Meeting.objects.get(title="Stand-up")
    assert meeting.series.name == "Daily stand-up"

    api = client_for(owner)
    created = api.post("/api/v1/meetings/", {"workspace": workspace.id, "title": "Stand-up 2",
                                             "series": "Daily stand-up"}, format="json").json()
    assert created["series"] == {"id": meeting.series_id, "name": "Daily stand-up"}
    left = api.patch(f"/api/v1/meetings/{created['id']}/", {"series": ""}, format="json").json()
    assert left["series"] is None and left["title"] == "Stand-up 2"
    assert api.patch(f"/api/v1/meetings/{created['id']}/", {}, format="json").status_code == 400
