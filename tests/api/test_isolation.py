"""No cross-tenant access: every object endpoint answers 404 to another workspace's ids.

The endpoints come from the OpenAPI schema, so a new endpoint is covered the day it is
added.
"""

import pytest
from drf_spectacular.generators import SchemaGenerator

from integrations.models import Endpoint
from meetings.models import DoneProposal, Meeting, Summary, Task
from tests.api.helpers import error_code
from tests.factories import MembershipFactory, ParticipantFactory, SegmentFactory, TaskFactory
from transcription.models import Recording, Segment
from workspaces.models import GlossaryTerm, Invitation, Membership, Role

WRITE_BODY = {"title": "x", "name": "x", "text": "x", "role": "viewer", "email": "x@example.com", "status": "done"}


def _object_operations():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return [
        (method.upper(), path)
        for path, operations in schema["paths"].items()
        if "{" in path
        for method in operations
        if method in {"get", "post", "patch", "put", "delete"}
    ]


OPERATIONS = _object_operations()


@pytest.fixture
def tenant(meeting, owner):
    """One of everything in the owner's workspace."""
    participant = ParticipantFactory(meeting=meeting, user=owner)
    return {
        "workspace_id": meeting.workspace_id,
        "member_id": MembershipFactory(workspace=meeting.workspace, role=Role.MEMBER).id,
        "invitation_id": Invitation.objects.create(workspace=meeting.workspace, email="new@example.com").id,
        "term_id": GlossaryTerm.objects.create(workspace=meeting.workspace, term="Kubelet").id,
        "endpoint_id": Endpoint.objects.create(workspace=meeting.workspace, url="https://hooks.example.com/m").id,
        "meeting_id": meeting.id,
        "participant_id": participant.id,
        "segment_id": SegmentFactory(meeting=meeting, participant=participant).id,
        "recording_id": Recording.objects.create(meeting=meeting, source=Recording.Source.UPLOAD).id,
        "task_id": TaskFactory(meeting=meeting, assignee=owner).id,
        "summary": Summary.objects.create(meeting=meeting, overview="secret", engine="local"),
        "proposal_id": DoneProposal.objects.create(
            task=TaskFactory(meeting=meeting, assignee=owner), meeting=meeting, said="it is done"
        ).id,
    }


def _state():
    return (
        list(Meeting.objects.values_list("id", "title", "status")),
        list(Membership.objects.values_list("id", "role")),
        list(Segment.objects.values_list("id", "text")),
        list(Task.objects.values_list("id", "title", "status")),
        Recording.objects.count(),
        list(Invitation.objects.values_list("id", flat=True)),
    )


def test_the_schema_lists_every_object_endpoint():
    paths = {path for _, path in OPERATIONS}
    assert len(paths) >= 15, paths


@pytest.mark.parametrize("method,path", OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_another_workspaces_ids_are_not_found(tenant, outsider, as_user, method, path):
    url = path.format(**tenant)
    before = _state()
    client = as_user(outsider)
    send = getattr(client, method.lower())
    response = send(url, WRITE_BODY, format="multipart") if method in {"POST", "PATCH", "PUT"} else send(url)
    assert response.status_code == 404, (url, response.content)
    assert error_code(response) == "not_found"
    assert b"secret" not in response.content
    assert _state() == before


def test_lists_never_contain_another_workspaces_rows(tenant, outsider, as_user):
    client = as_user(outsider)
    workspaces = client.get("/api/v1/workspaces/").json()["results"]
    assert [w["id"] for w in workspaces] == [outsider.memberships.get().workspace_id]
    for url in ["/api/v1/meetings/", "/api/v1/meetings/?search=sentence", "/api/v1/tasks/",
                f"/api/v1/tasks/?meeting={tenant['meeting_id']}", f"/api/v1/meetings/?workspace={tenant['workspace_id']}"]:
        response = client.get(url)
        assert response.status_code == 200
        assert response.json()["results"] == [], url
