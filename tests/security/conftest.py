"""Two tenants with one of everything, for the security tests.

Workspace A has a user of every role plus a member to act on; every object in A carries
the word ALPHA (titles, transcript, summary, names), every object in B the word BETA,
so a leak shows up as a word in a response.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from django.core.files.base import ContentFile

from integrations.models import Endpoint
from meetings.models import DoneProposal, Meeting, Summary
from tests.factories import (
    MeetingFactory,
    MembershipFactory,
    ParticipantFactory,
    SegmentFactory,
    TaskFactory,
    UserFactory,
    WorkspaceFactory,
)
from transcription.models import Recording
from workspaces.models import GlossaryTerm, Invitation, Membership, Role

ALPHA = "zebracorn"  # only ever in workspace A
BETA = "quokkafish"  # only ever in workspace B
# `<word>ette` is said in the tenant's meeting and written nowhere else: a search for it
# can only match the transcript.
ROLES = [Role.VIEWER, Role.MEMBER, Role.ADMIN, Role.OWNER]


@dataclass
class Tenant:
    workspace: Any
    users: dict[str, Any]  # role -> user
    meeting: Any
    participant: Any
    segment: Any
    summary: Any
    task: Any
    recording: Any
    invitation: Any
    target: Any  # a plain member's membership, for role changes and removal
    ids: dict[str, Any] = field(default_factory=dict)


def build_tenant(word: str, roles: list[str]) -> Tenant:
    workspace = WorkspaceFactory(name=f"{word.title()} workspace")
    users = {
        role: MembershipFactory(
            workspace=workspace, role=role, user=UserFactory(display_name=f"{word.title()} {role}")
        ).user
        for role in roles
    }
    owner = users[Role.OWNER]
    meeting = MeetingFactory(
        workspace=workspace, organizer=owner, title=f"{word} planning", status=Meeting.Status.READY
    )
    participant = ParticipantFactory(meeting=meeting, user=owner, name=f"{word.title()} speaker")
    segment = SegmentFactory(
        meeting=meeting, participant=participant, text=f"the {word} budget is approved by {word}ette"
    )
    summary = Summary.objects.create(
        meeting=meeting,
        overview=f"We agreed on the {word} budget.",
        key_points=[f"{word} point"],
        decisions=[f"{word} decision"],
        engine="local",
    )
    task = TaskFactory(meeting=meeting, assignee=owner, title=f"Write the {word} report")
    recording = Recording(meeting=meeting, source=Recording.Source.UPLOAD, status=Recording.Status.DONE)
    recording.file.save("talk.ogg", ContentFile(b"OggS not really audio"), save=True)
    invitation = Invitation.objects.create(workspace=workspace, email=f"invitee-{word}@example.com", invited_by=owner)
    target = MembershipFactory(
        workspace=workspace, role=Role.MEMBER, user=UserFactory(display_name=f"{word.title()} target")
    )
    term = GlossaryTerm.objects.create(workspace=workspace, term=f"{word.title()}net")
    endpoint = Endpoint.objects.create(workspace=workspace, url=f"https://{word}.example.com/hook")
    proposal = DoneProposal.objects.create(task=task, meeting=meeting, said=f"the {word} report is done")
    tenant = Tenant(workspace, users, meeting, participant, segment, summary, task, recording, invitation, target)
    tenant.ids = {
        "workspace_id": workspace.id,
        "meeting_id": meeting.id,
        "participant_id": participant.id,
        "segment_id": segment.id,
        "recording_id": recording.id,
        "task_id": task.id,
        "member_id": target.id,
        "membership_id": target.id,
        "invitation_id": invitation.id,
        "token": invitation.token,
        "term_id": term.id,
        "endpoint_id": endpoint.id,
        "proposal_id": proposal.id,
    }
    return tenant


@pytest.fixture
def tenant_a(db: Any) -> Tenant:
    return build_tenant(ALPHA, ROLES)


@pytest.fixture
def tenant_b(db: Any) -> Tenant:
    return build_tenant(BETA, [Role.OWNER])


@pytest.fixture
def no_limits(settings: Any) -> None:
    """The matrix sends hundreds of requests; the rate limits have their own tests."""
    settings.MINA_RATE_LIMITS = {scope: "100000/min" for scope in settings.MINA_RATE_LIMITS}


def workspace_of_every_row() -> dict[str, list[tuple[int, int]]]:
    """(id, workspace id) of every row that belongs to a team, to compare before and after."""
    from meetings.models import Participant, Task
    from transcription.models import Segment

    return {
        "meetings": list(Meeting.objects.values_list("id", "workspace_id").order_by("id")),
        "tasks": list(Task.objects.values_list("id", "workspace_id").order_by("id")),
        "segments": list(Segment.objects.values_list("id", "meeting__workspace_id").order_by("id")),
        "participants": list(Participant.objects.values_list("id", "meeting__workspace_id").order_by("id")),
        "recordings": list(Recording.objects.values_list("id", "meeting__workspace_id").order_by("id")),
        "memberships": list(Membership.objects.values_list("id", "workspace_id").order_by("id")),
    }
