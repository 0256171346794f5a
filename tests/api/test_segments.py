"""The transcript over the API: time order, incremental with `after`, refined first; edits."""

import pytest

from tests.api.helpers import ROLES, client_for, error_code, queries_for
from tests.factories import MeetingFactory, ParticipantFactory, SegmentFactory
from transcription.models import Segment


def _segments(client, meeting, **params):
    response = client.get(f"/api/v1/meetings/{meeting.id}/segments/", params)
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_segments_come_in_time_order_with_speakers(meeting, owner, as_user):
    alice = ParticipantFactory(meeting=meeting, name="Alice")
    late = SegmentFactory(meeting=meeting, start_ms=5000, end_ms=6000, participant=alice, text="later")
    early = SegmentFactory(meeting=meeting, start_ms=1000, end_ms=2000, text="first")
    rows = _segments(as_user(owner), meeting)
    assert [s["id"] for s in rows] == [early.id, late.id]
    assert rows[1] == {**rows[1], "speaker": "Alice", "participant": alice.id, "text": "later", "kind": "final"}
    assert rows[0]["speaker"] is None


def test_after_returns_only_newer_ids(meeting, owner, as_user):
    first = SegmentFactory(meeting=meeting)
    second = SegmentFactory(meeting=meeting)
    third = SegmentFactory(meeting=meeting)
    client = as_user(owner)
    assert [s["id"] for s in _segments(client, meeting, after=first.id)] == [second.id, third.id]
    assert _segments(client, meeting, after=third.id) == []


def test_refined_segments_replace_finals_when_present(meeting, owner, as_user):
    final = SegmentFactory(meeting=meeting, kind=Segment.Kind.FINAL)
    client = as_user(owner)
    assert [s["id"] for s in _segments(client, meeting)] == [final.id]
    refined = SegmentFactory(meeting=meeting, kind=Segment.Kind.REFINED)
    assert [s["id"] for s in _segments(client, meeting)] == [refined.id]
    assert [s["id"] for s in _segments(client, meeting, kind="final")] == [final.id]
    assert [s["id"] for s in _segments(client, meeting, kind="refined")] == [refined.id]


def test_bad_parameters_are_400(meeting, owner, as_user):
    response = as_user(owner).get(f"/api/v1/meetings/{meeting.id}/segments/", {"after": "x", "kind": "partial"})
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"after", "kind"}


def test_another_workspace_cannot_read_the_transcript(meeting, outsider, as_user):
    SegmentFactory(meeting=meeting)
    response = as_user(outsider).get(f"/api/v1/meetings/{meeting.id}/segments/")
    assert response.status_code == 404
    assert error_code(response) == "not_found"


@pytest.mark.parametrize("role,status", list(zip(ROLES, [403, 200, 200, 200], strict=True)))
def test_editing_a_segment_needs_member_and_marks_it_edited(meeting, member_of, as_user, role, status):
    segment = SegmentFactory(meeting=meeting, text="the logan error")
    response = as_user(member_of(meeting.workspace, role)).patch(
        f"/api/v1/meetings/{meeting.id}/segments/{segment.id}/", {"text": "the login error"}, format="json"
    )
    assert response.status_code == status, response.content
    segment.refresh_from_db()
    assert (segment.text, segment.edited) == (("the login error", True) if status == 200 else ("the logan error", False))
    if status == 200:
        assert response.json()["edited"] is True


def test_an_empty_edit_is_refused(meeting, owner, as_user):
    segment = SegmentFactory(meeting=meeting)
    response = as_user(owner).patch(
        f"/api/v1/meetings/{meeting.id}/segments/{segment.id}/", {"text": "   "}, format="json"
    )
    assert response.status_code == 400
    assert "text" in response.json()["error"]["fields"]


def test_a_segment_of_another_meeting_is_not_found(meeting, owner, as_user):
    elsewhere = SegmentFactory(meeting=MeetingFactory(workspace=meeting.workspace))
    response = as_user(owner).patch(
        f"/api/v1/meetings/{meeting.id}/segments/{elsewhere.id}/", {"text": "x"}, format="json"
    )
    assert response.status_code == 404
    elsewhere.refresh_from_db()
    assert elsewhere.text != "x"


@pytest.mark.parametrize("rows", [1, 50])
def test_segment_list_runs_constant_queries(rows, meeting, owner):
    speakers = [ParticipantFactory(meeting=meeting) for _ in range(3)]
    Segment.objects.bulk_create(
        [
            Segment(meeting=meeting, participant=speakers[n % 3], start_ms=n * 1000, end_ms=n * 1000 + 900,
                    text=f"s{n}", kind=Segment.Kind.FINAL, words=[{"start_ms": 0, "end_ms": 1, "word": "s", "p": 1}])
            for n in range(rows)
        ]
    )
    # user, meeting with membership, count, page
    assert queries_for(client_for(owner), f"/api/v1/meetings/{meeting.id}/segments/") == 4
