"""The OpenAPI schema, the Swagger UI under the CSP, and Schemathesis against the API."""

import re
import socket

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, seed
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from integrations.models import Endpoint
from meetings.models import DoneProposal, Summary
from tests.api.helpers import client_for
from tests.factories import MeetingFactory, MembershipFactory, ParticipantFactory, SegmentFactory, TaskFactory
from transcription.models import Recording
from workspaces.models import GlossaryTerm, Invitation, Role

EXPECTED_PATHS = {
    "/api/v1/auth/token/", "/api/v1/auth/token/refresh/", "/api/v1/auth/token/verify/",
    "/api/v1/auth/token/blacklist/", "/api/v1/me/",
    "/api/v1/workspaces/", "/api/v1/workspaces/{workspace_id}/", "/api/v1/workspaces/{workspace_id}/members/",
    "/api/v1/workspaces/{workspace_id}/members/{member_id}/", "/api/v1/workspaces/{workspace_id}/invitations/",
    "/api/v1/workspaces/{workspace_id}/invitations/{invitation_id}/",
    "/api/v1/invitations/accept/",
    "/api/v1/meetings/", "/api/v1/meetings/{meeting_id}/", "/api/v1/meetings/{meeting_id}/end/",
    "/api/v1/meetings/{meeting_id}/participants/", "/api/v1/meetings/{meeting_id}/participants/{participant_id}/",
    "/api/v1/meetings/{meeting_id}/participants/{participant_id}/suggestion/", "/api/v1/meetings/{meeting_id}/talk-time/",
    "/api/v1/meetings/{meeting_id}/summary/", "/api/v1/meetings/{meeting_id}/summary/regenerate/",
    "/api/v1/meetings/{meeting_id}/segments/", "/api/v1/meetings/{meeting_id}/segments/{segment_id}/",
    "/api/v1/meetings/{meeting_id}/recordings/", "/api/v1/meetings/{meeting_id}/recordings/{recording_id}/",
    "/api/v1/meetings/{meeting_id}/export/transcript.txt", "/api/v1/meetings/{meeting_id}/export/transcript.srt",
    "/api/v1/meetings/{meeting_id}/export/transcript.vtt", "/api/v1/meetings/{meeting_id}/export/summary.md",
    "/api/v1/tasks/", "/api/v1/tasks/{task_id}/", "/api/v1/decisions/",
    "/api/v1/meetings/{meeting_id}/carry-over/", "/api/v1/meetings/{meeting_id}/done-proposals/{proposal_id}/",
    "/api/v1/workspaces/{workspace_id}/glossary/", "/api/v1/workspaces/{workspace_id}/glossary/{term_id}/",
    "/api/v1/meetings/{meeting_id}/transcript/replace/",
    "/api/v1/workspaces/{workspace_id}/webhooks/", "/api/v1/workspaces/{workspace_id}/webhooks/{endpoint_id}/",
    "/api/v1/workspaces/{workspace_id}/webhooks/{endpoint_id}/deliveries/",
    "/api/v1/ask/", "/api/v1/me/calendar/",
}


@pytest.fixture
def openapi(api, db):
    response = api.get("/api/schema/?format=json")
    assert response.status_code == 200
    return response.json()


def test_the_schema_is_openapi_3_with_every_endpoint(openapi):
    assert openapi["openapi"].startswith("3.")
    assert set(openapi["paths"]) == EXPECTED_PATHS


def test_every_operation_documents_its_success_and_error_bodies(openapi):
    error = {"$ref": "#/components/schemas/Error"}
    for path, operations in openapi["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            assert any(code.startswith("2") for code in responses), (method, path)
            for code in ("401", "429"):
                assert responses[code]["content"]["application/json"]["schema"] == error, (method, path, code)
            if method in {"post", "patch"} and "requestBody" in operation:
                assert responses["400"]["content"]["application/json"]["schema"] == error, (method, path)
            if "{" in path:
                assert "404" in responses, (method, path)
    upload = openapi["paths"]["/api/v1/meetings/{meeting_id}/recordings/"]["post"]
    assert "413" in upload["responses"] and set(upload["requestBody"]["content"]) == {"multipart/form-data"}


def test_the_schema_describes_jwt_bearer_auth(openapi):
    assert openapi["components"]["securitySchemes"]["jwtAuth"] == {
        "type": "http", "scheme": "bearer", "bearerFormat": "JWT"
    }


def test_swagger_ui_runs_from_local_files_without_inline_code(api, db):
    response = api.get("/api/docs/")
    assert response.status_code == 200
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    html = response.content.decode()
    assert "<style" not in html
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    assert scripts and all('src="' in attrs and not body.strip() for attrs, body in scripts)
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert all(src.startswith("/") for src in sources), sources  # nothing from a CDN
    init = next(src for src in sources if "script" in src)
    script = api.get(init.replace("&amp;", "&"))
    assert script.status_code == 200 and script["Content-Type"].startswith("application/javascript")
    assert b"SwaggerUIBundle" in script.content
    for asset in (s for s in sources if s.startswith("/static/")):
        assert api.get(asset).status_code == 200, asset


# --- Schemathesis ---------------------------------------------------------------------

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES = 8


@pytest.fixture
def wsgi_app():
    """Django's WSGI app inside the test's transaction: like Django's test client, it must
    not close the connection at the end of each request."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield get_wsgi_application()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def world(workspace, owner, settings):
    """One of everything the owner can reach, so generated requests hit real rows."""
    settings.MINA_RATE_LIMITS = {**settings.MINA_RATE_LIMITS, "api_user": "100000/min", "upload": "100000/h"}
    meeting = MeetingFactory(workspace=workspace, organizer=owner)
    participant = ParticipantFactory(meeting=meeting, user=owner)
    SegmentFactory(meeting=meeting, participant=participant)
    Summary.objects.create(meeting=meeting, overview="o", key_points=["k"], decisions=["d"], engine="local")
    return {
        "workspace_id": workspace.id,
        "meeting_id": meeting.id,
        "participant_id": participant.id,
        "segment_id": meeting.segments.get().id,
        "recording_id": Recording.objects.create(meeting=meeting, source=Recording.Source.UPLOAD).id,
        "task_id": TaskFactory(meeting=meeting, assignee=owner).id,
        "member_id": MembershipFactory(workspace=workspace, role=Role.MEMBER).id,
        "invitation_id": Invitation.objects.create(workspace=workspace, email="new@example.com").id,
        "term_id": GlossaryTerm.objects.create(workspace=workspace, term="Kubelet").id,
        "endpoint_id": Endpoint.objects.create(workspace=workspace, url="https://hooks.example.com/mina").id,
        "proposal_id": DoneProposal.objects.create(
            task=TaskFactory(meeting=meeting, assignee=owner), meeting=meeting, said="it is done"
        ).id,
    }


def _throwaway(world, workspace, owner):
    """Fresh rows for a DELETE, so the rest of the run keeps its meeting and members."""
    meeting = MeetingFactory(workspace=workspace, organizer=owner)
    return {
        **world,
        "meeting_id": meeting.id,
        "task_id": TaskFactory(meeting=meeting).id,
        "member_id": MembershipFactory(workspace=workspace, role=Role.VIEWER).id,
        "invitation_id": Invitation.objects.create(workspace=workspace, email="other@example.com").id,
        "term_id": GlossaryTerm.objects.create(workspace=workspace, term=f"Term {meeting.id}").id,
        "endpoint_id": Endpoint.objects.create(workspace=workspace, url="https://other.example.com/mina").id,
    }


def _no_name_resolves(*args, **kwargs):
    raise socket.gaierror(socket.EAI_NONAME, "no network in tests")


def test_no_request_breaks_the_server_or_the_schema(wsgi_app, world, workspace, owner, monkeypatch):
    # Generated webhook addresses must not reach the network: no name resolves here.
    monkeypatch.setattr(socket, "getaddrinfo", _no_name_resolves)
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", wsgi_app)
    auth = {"Authorization": client_for(owner)._credentials["HTTP_AUTHORIZATION"]}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 58
    for operation in operations:
        names = {p.name for p in operation.path_parameters}
        ids = _throwaway(world, workspace, owner) if operation.method.upper() == "DELETE" else world
        strategy = operation.as_strategy(path_parameters={n: ids[n] for n in names}, headers=auth)

        @seed(20261129)
        @hypothesis_settings(
            max_examples=EXAMPLES, deadline=None, database=None, phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=strategy)
        def run(case):
            case.call_and_validate(checks=CHECKS)

        run()
