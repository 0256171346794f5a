"""Another workspace's objects are NotFound; a role too low is Forbidden."""

import pytest

from core.errors import Forbidden, Invalid, NotFound
from meetings import selectors, services
from tests.factories import MeetingFactory, SegmentFactory, TaskFactory
from transcription import selectors as transcript_selectors
from workspaces import services as workspace_services
from workspaces.models import Role


def test_another_workspaces_meeting_is_not_found(meeting, outsider):
    with pytest.raises(NotFound):
        selectors.meeting_get(user=outsider, meeting_id=meeting.id)


def test_a_missing_meeting_looks_the_same(owner, db):
    with pytest.raises(NotFound):
        selectors.meeting_get(user=owner, meeting_id=999999)


def test_viewer_reads_but_cannot_create_meetings(workspace, meeting, member_of):
    viewer = member_of(workspace, Role.VIEWER)
    found, membership = selectors.meeting_get(user=viewer, meeting_id=meeting.id)
    assert found == meeting
    with pytest.raises(Forbidden):
        services.meeting_create(membership=membership, title="Mine")
    with pytest.raises(Forbidden):
        selectors.meeting_get(user=viewer, meeting_id=meeting.id, min_role=Role.MEMBER)


def test_member_edits_only_meetings_it_organises(workspace, meeting, member_of):
    member = member_of(workspace, Role.MEMBER)
    _, membership = selectors.meeting_get(user=member, meeting_id=meeting.id)
    with pytest.raises(Forbidden):
        services.meeting_update(meeting=meeting, membership=membership, title="Hijacked")
    own = services.meeting_create(membership=membership, title="Mine")
    assert services.meeting_update(meeting=own, membership=membership, title="Renamed").title == "Renamed"


def test_lists_never_show_another_workspace(meeting, outsider):
    MeetingFactory()  # a third workspace
    assert list(selectors.meeting_list(user=outsider)) == []
    SegmentFactory(meeting=meeting, text="the secret launch plan")
    assert list(transcript_selectors.meeting_list(user=outsider, search="secret")) == []


def test_another_workspaces_task_is_not_found(meeting, outsider):
    task = TaskFactory(meeting=meeting)
    with pytest.raises(NotFound):
        selectors.task_get(user=outsider, task_id=task.id)


def test_another_workspaces_segment_cannot_be_edited(meeting, outsider):
    segment = SegmentFactory(meeting=meeting)
    with pytest.raises(NotFound):
        selectors.meeting_get(user=outsider, meeting_id=segment.meeting_id, min_role=Role.MEMBER)


def test_another_workspaces_membership_cannot_be_changed(workspace, owner, outsider):
    target = owner.memberships.get()
    actor = outsider.memberships.get()
    from workspaces.selectors import membership_get

    with pytest.raises(NotFound):
        membership_get(user=outsider, workspace_id=workspace.id)
    assert actor.workspace_id != target.workspace_id


def test_a_task_cannot_be_assigned_to_a_non_member(workspace, owner, outsider, meeting):
    membership = owner.memberships.get()
    with pytest.raises(Invalid) as info:
        services.task_create(membership=membership, title="Fix it", meeting=meeting, assignee=outsider)
    assert "assignee" in info.value.fields


def test_a_task_cannot_point_at_another_workspaces_meeting(owner, outsider, db):
    foreign = MeetingFactory(workspace=outsider.memberships.get().workspace)
    with pytest.raises(Invalid):
        services.task_create(membership=owner.memberships.get(), title="x", meeting=foreign)


def test_workspace_update_needs_admin(workspace, member_of):
    member = member_of(workspace, Role.MEMBER)
    with pytest.raises(Forbidden):
        workspace_services.workspace_update(membership=member.memberships.get(), name="New")
