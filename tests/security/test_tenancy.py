"""Tenancy, door by door: every page, HTMX partial, API endpoint and download, as everyone.

The routes come from Django's resolver (pages, partials, downloads) and the OpenAPI
schema (the API), so a new route is in the matrix the day it is added. Each is asked
for with workspace A's ids by: nobody, the owner of workspace B, and a viewer, member,
admin and owner of A. The rules (docs: DESIGN.md, "Access rules"):

- nobody: sent to sign in (302, or HX-Redirect for a partial) or 401 on the API;
- B's owner: 404, exactly as for an id that does not exist;
- A's roles: the role the route needs, or 403; never 404, never a server error.

Every answer is also searched for the other tenant's words: A's never reach nobody or
B, B's never reach A. Writes run in a savepoint that is rolled back, so each request
sees the same world.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from rest_framework.test import APIClient

from tests.api.helpers import client_for, error_code
from tests.responses import content_of
from tests.security.conftest import ALPHA, BETA, ROLES, workspace_of_every_row
from tests.security.routes import api_operations, page_routes, page_url, params, walk
from workspaces.models import ROLE_RANK, Role

# /metrics: no tenant data (counts by state, never a workspace); its own access rule (tests/operators).
PUBLIC_PAGES = {"health", "health-detailed", "metrics", "api-schema", "api-docs"}  # plus accounts:*
PUBLIC_API = ("/api/v1/auth/",)
# Which role a page needs, per method; a method not listed answers 405. A route not listed
# here still gets every other check (and its own workspace's roles never get a 404).
PAGE_POLICY: dict[str, dict[str, str]] = {
    "meetings:list": {"GET": Role.VIEWER, "POST": Role.VIEWER},
    "meetings:create": {"GET": Role.MEMBER, "POST": Role.MEMBER},
    "meetings:detail": {"GET": Role.VIEWER, "POST": Role.VIEWER},
    "meetings:panels": {"GET": Role.VIEWER},
    "meetings:export": {"GET": Role.VIEWER},
    "meetings:segment": {"GET": Role.VIEWER, "POST": Role.MEMBER},
    "meetings:segment-edit": {"GET": Role.MEMBER},
    "meetings:participant-rename": {"POST": Role.MEMBER},
    "meetings:resummarize": {"POST": Role.MEMBER},
    "meetings:upload": {"POST": Role.MEMBER},
    # The meeting and its task belong to A's owner: a plain member may not touch them.
    "meetings:end": {"POST": Role.ADMIN},
    "meetings:task-edit": {"POST": Role.ADMIN},
    "meetings:task-status": {"POST": Role.ADMIN},
    "meetings:done-proposal": {"POST": Role.ADMIN},
    "workspaces:settings": {"GET": Role.ADMIN, "POST": Role.ADMIN},
    "workspaces:switch": {"POST": Role.VIEWER},
    "workspaces:members": {"GET": Role.VIEWER, "POST": Role.VIEWER},
    "workspaces:invite": {"POST": Role.ADMIN},
    "workspaces:member-role": {"POST": Role.ADMIN},
    "workspaces:member-remove": {"POST": Role.ADMIN},
    "workspaces:invitation-revoke": {"POST": Role.ADMIN},
    "transcription:recording-audio": {"GET": Role.VIEWER, "POST": Role.VIEWER},
    "workspaces:glossary": {"GET": Role.VIEWER, "POST": Role.MEMBER},
    "workspaces:glossary-remove": {"POST": Role.ADMIN},
    "meetings:glossary-add": {"POST": Role.MEMBER},
    "meetings:replace": {"POST": Role.MEMBER},
    "integrations:webhooks": {"GET": Role.ADMIN, "POST": Role.ADMIN},
    "integrations:deliveries": {"GET": Role.ADMIN},
    "integrations:delete": {"POST": Role.ADMIN},
    "integrations:enable": {"POST": Role.ADMIN},
}
API_POLICY: dict[tuple[str, str], str] = {
    ("PATCH", "/api/v1/workspaces/{workspace_id}/"): Role.ADMIN,
    ("PATCH", "/api/v1/workspaces/{workspace_id}/members/{member_id}/"): Role.ADMIN,
    ("DELETE", "/api/v1/workspaces/{workspace_id}/members/{member_id}/"): Role.ADMIN,
    ("POST", "/api/v1/workspaces/{workspace_id}/invitations/"): Role.ADMIN,
    ("GET", "/api/v1/workspaces/{workspace_id}/invitations/"): Role.ADMIN,
    ("DELETE", "/api/v1/workspaces/{workspace_id}/invitations/{invitation_id}/"): Role.ADMIN,
    ("PATCH", "/api/v1/meetings/{meeting_id}/"): Role.ADMIN,
    ("DELETE", "/api/v1/meetings/{meeting_id}/"): Role.ADMIN,
    ("POST", "/api/v1/meetings/{meeting_id}/end/"): Role.ADMIN,
    ("PATCH", "/api/v1/meetings/{meeting_id}/participants/{participant_id}/"): Role.MEMBER,
    ("POST", "/api/v1/meetings/{meeting_id}/summary/regenerate/"): Role.MEMBER,
    ("PATCH", "/api/v1/meetings/{meeting_id}/segments/{segment_id}/"): Role.MEMBER,
    ("POST", "/api/v1/meetings/{meeting_id}/recordings/"): Role.MEMBER,
    ("POST", "/api/v1/workspaces/{workspace_id}/glossary/"): Role.MEMBER,
    ("DELETE", "/api/v1/workspaces/{workspace_id}/glossary/{term_id}/"): Role.ADMIN,
    ("POST", "/api/v1/meetings/{meeting_id}/transcript/replace/"): Role.MEMBER,
    ("GET", "/api/v1/workspaces/{workspace_id}/webhooks/"): Role.ADMIN,
    ("POST", "/api/v1/workspaces/{workspace_id}/webhooks/"): Role.ADMIN,
    ("GET", "/api/v1/workspaces/{workspace_id}/webhooks/{endpoint_id}/"): Role.ADMIN,
    ("DELETE", "/api/v1/workspaces/{workspace_id}/webhooks/{endpoint_id}/"): Role.ADMIN,
    ("GET", "/api/v1/workspaces/{workspace_id}/webhooks/{endpoint_id}/deliveries/"): Role.ADMIN,
    ("PATCH", "/api/v1/tasks/{task_id}/"): Role.ADMIN,
    ("POST", "/api/v1/meetings/{meeting_id}/done-proposals/{proposal_id}/"): Role.ADMIN,
    ("DELETE", "/api/v1/tasks/{task_id}/"): Role.ADMIN,
    # No id in the path, but the body names workspace A.
    ("POST", "/api/v1/meetings/"): Role.MEMBER,
    ("POST", "/api/v1/tasks/"): Role.MEMBER,
}
SCOPED_BY_BODY = {("POST", "/api/v1/meetings/"), ("POST", "/api/v1/tasks/")}
# Allowed, and then it may still be refused for what was sent (a non-audio upload, a
# meeting that is not live): anything but 403, 404 or a server error.
ALLOWED = {200, 201, 202, 204, 302, 400, 409}
WHO = ["anonymous", "outsider", *ROLES]


# --- The routes -----------------------------------------------------------------------


PAGES = page_routes()
OPERATIONS = api_operations()


def test_the_matrix_covers_every_route():
    api_routes = {
        re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", "/" + route) for route, _ in walk() if route.startswith("api/v1/")
    }
    assert api_routes == {path for _, path in OPERATIONS}, "an API route is missing from the OpenAPI schema"
    assert len(PAGES) >= 25 and len(OPERATIONS) >= 35, (len(PAGES), len(OPERATIONS))


# --- Sending --------------------------------------------------------------------------


def rolled_back(send: Any, *args: Any, **kwargs: Any) -> Any:
    """One request in a savepoint that is undone: every request meets the same world."""
    with transaction.atomic():
        response = send(*args, **kwargs)
        body = content_of(response)
        transaction.set_rollback(True)
    return response, body.decode(errors="replace")


def user_for(who: str, a: Any, b: Any) -> Any:
    return None if who == "anonymous" else b.users[Role.OWNER] if who == "outsider" else a.users[who]


# A new test client loads the middleware again, and WhiteNoise then looks at every
# static file: one page client per person and one API client serve the whole module.
_PAGE_CLIENTS: dict[str, Client] = {}
_API_CLIENT = APIClient()


def page_client(who: str, user: Any) -> Client:
    client = _PAGE_CLIENTS.setdefault(who, Client())
    if user is None:
        client.cookies.clear()
    elif client.session.get("_auth_user_id") != str(user.pk):  # a new test's user, or signed out
        client.force_login(user)
    return client


def api_client(user: Any) -> APIClient:
    _API_CLIENT.cookies.clear()
    _API_CLIENT.credentials(**client_for(user)._credentials) if user is not None else _API_CLIENT.credentials()
    return _API_CLIENT


def check_words(who: str, body: str, where: str) -> None:
    if who in ROLES:
        assert BETA not in body, f"{who} of A saw B's data at {where}"
    else:
        assert ALPHA not in body, f"{who} saw A's data at {where}"


def check_role(who: str, needs: str, status: int, where: str) -> None:
    if ROLE_RANK[Role(who)] >= ROLE_RANK[Role(needs)]:
        assert status in ALLOWED, f"{who} should be allowed {where}: {status}"
    else:
        assert status == 403, f"{who} should get 403 at {where}: {status}"


# --- Pages, partials and downloads ----------------------------------------------------

PAGE_DATA = {"title": "x", "name": "x", "email": "new@example.com", "role": Role.VIEWER, "status": "done"}
HX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_CURRENT_URL": "http://testserver/"}


def _is_public(name: str) -> bool:
    return name.startswith("accounts:") or name in PUBLIC_PAGES


@pytest.mark.parametrize("name,route", PAGES, ids=[name for name, _ in PAGES])
def test_page(name, route, tenant_a, tenant_b, no_limits):
    url = page_url(name, route, tenant_a.ids)
    scoped = bool(params(route)) and not _is_public(name)
    policy = PAGE_POLICY.get(name, {})
    if _is_public(name):  # no tenant data behind these: nobody, and one signed-in person
        cases = [(method, False, who) for method in ("GET", "POST") for who in ("anonymous", Role.OWNER)]
    else:
        cases = [(method, hx, who) for method in ("GET", "POST") for hx in (False, True) for who in WHO]
    for method, hx, who in cases:
        client = page_client(who, user_for(who, tenant_a, tenant_b))
        send = client.get if method == "GET" else client.post
        extra = HX if hx else {}
        response, body = rolled_back(send, url, PAGE_DATA if method == "POST" else None, **extra)
        where = f"{method} {url}{' (htmx)' if hx else ''}"
        status = response.status_code
        assert status < 500, f"{who}: {where} -> {status}"
        check_words(who, body, where)
        if _is_public(name):
            continue
        if name == "meetings:calendar":  # the link is the key; an invitation's token opens no feed
            assert status in (404, 405), f"{who}: {where} -> {status}"
            continue
        if who != "anonymous" and status == 302:
            assert not response["Location"].startswith("/accounts/sign-in/"), f"{who} sent to sign in at {where}"
        if who == "anonymous":
            if name == "workspaces:invitation":
                assert status == 200, where  # "sign in or sign up to accept"
                continue
            location = response.headers.get("HX-Redirect") if status == 200 else response.headers.get("Location")
            assert status in (200, 302) and location and location.startswith("/accounts/sign-in/"), (where, status)
        elif name == "workspaces:invitation":
            assert status == 404, f"{who} is not the invited person: {where} -> {status}"
        elif not scoped:
            continue
        elif who == "outsider":
            assert status in (404, 405), f"B's owner must get 404 at {where}: {status}"
        elif method in policy:
            check_role(who, policy[method], status, f"{where} ({name})")
        elif name in PAGE_POLICY:
            assert status == 405, f"{where} -> {status}"
        else:
            assert status != 404, f"{who}: {where} -> 404 for its own workspace"


# --- The API --------------------------------------------------------------------------


def _api_body(a: Any) -> dict[str, Any]:
    upload = SimpleUploadedFile("x.wav", b"RIFF not audio at all", content_type="audio/wav")
    return {
        "title": "x",
        "name": "x",
        "text": "x",
        "role": Role.VIEWER,
        "email": "new@example.com",
        "status": "done",
        "workspace": a.workspace.id,
        "meeting": a.meeting.id,
        "token": a.invitation.token,
        "file": upload,
    }


@pytest.mark.parametrize("method,path", OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_api(method, path, tenant_a, tenant_b, no_limits):
    url = path.format(**tenant_a.ids)
    scoped = "{" in path or (method, path) in SCOPED_BY_BODY
    needs = API_POLICY.get((method, path), Role.VIEWER if method == "GET" else None)
    for who in WHO:
        client = api_client(user_for(who, tenant_a, tenant_b))
        send = getattr(client, method.lower())
        if method in {"POST", "PATCH", "PUT"}:
            response, body = rolled_back(send, url, _api_body(tenant_a), format="multipart")
        else:
            response, body = rolled_back(send, url)
        where = f"{method} {url}"
        status = response.status_code
        assert status < 500, f"{who}: {where} -> {status}"
        check_words(who, body, where)
        if path.startswith(PUBLIC_API):
            continue
        if who == "anonymous":
            assert status == 401 and error_code(response) == "not_authenticated", (where, status)
        elif path == "/api/v1/invitations/accept/":
            assert status == 404, f"{who} is not the invited person: {status}"
        elif not scoped:
            continue
        elif who == "outsider":
            assert status == 404 and error_code(response) == "not_found", f"B's owner at {where}: {status}"
        elif needs is not None:
            check_role(who, needs, status, where)
        else:
            assert status not in (404, 405), f"{who}: {where} -> {status}"


def test_refused_requests_change_nothing(tenant_a, tenant_b, no_limits):
    """B's owner sends every write at A's ids, for real (no savepoint): nothing moves."""
    before = workspace_of_every_row()
    client = api_client(tenant_b.users[Role.OWNER])
    for method, path in OPERATIONS:
        if method in {"POST", "PATCH", "PUT", "DELETE"} and ("{" in path or (method, path) in SCOPED_BY_BODY):
            getattr(client, method.lower())(path.format(**tenant_a.ids), _api_body(tenant_a), format="multipart")
    assert workspace_of_every_row() == before
    tenant_a.meeting.refresh_from_db()
    tenant_a.task.refresh_from_db()
    assert ALPHA in tenant_a.meeting.title and ALPHA in tenant_a.task.title
