"""Every door has the one rate limit, and one client's flood never slows or stops another.

Door by door (sign-in, sign-up and password reset pages; the token endpoints; uploads
through the API and the page; the API per user; socket connections): a flooder goes
over a small limit and gets 429 (4429) with a message that says when to try again,
while a second client, from another address or as another user, goes through. Then,
against a real Daphne process, one user floods the API and is cut off while another
user's requests are all served (their speed under a flood is measured by
`benchmarks/flood.py`: timings are not asserted in tests).
"""

from __future__ import annotations

import asyncio
import threading
import time
import urllib.error
import urllib.request
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from tests.api.helpers import error_code
from tests.factories import MeetingFactory, MembershipFactory, UserFactory
from tests.servers import daphne
from tests.sockets import access_token, connect, expect_refusal, receive
from workspaces.models import Role

PASSWORD = "a-strong-pass-123"
FLOODER, OTHER = "10.9.0.1", "10.9.0.2"


def _bad_audio() -> SimpleUploadedFile:
    return SimpleUploadedFile("noise.wav", b"RIFF definitely not audio", content_type="audio/wav")


# A new test client loads the middleware again (WhiteNoise then reads every static
# file): one client per address, with its cookies and credentials reset at each use.
_PAGE = {FLOODER: Client(REMOTE_ADDR=FLOODER), OTHER: Client(REMOTE_ADDR=OTHER)}
_API = {FLOODER: APIClient(REMOTE_ADDR=FLOODER), OTHER: APIClient(REMOTE_ADDR=OTHER)}


def _page(address: str, user: Any = None) -> Client:
    client = _PAGE[address]
    client.cookies.clear()
    if user is not None:
        client.force_login(user)
    return client


def _anon_api(address: str) -> APIClient:
    client = _API[address]
    client.credentials()
    return client


def _user_api(who: str, w: dict[str, Any]) -> APIClient:
    client = _API[FLOODER if who == "flooder" else OTHER]
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(w[who])}")
    return client


# door: (scope, send(who, n, world) -> response, what the other client gets)
DOORS: dict[str, tuple[str, Any, set[int]]] = {
    "sign-in page": (
        "sign_in",
        lambda who, n, w: _page(FLOODER if who == "flooder" else OTHER).post(
            "/accounts/sign-in/",
            {"username": f"guess{n}@example.com", "password": "wrong"}
            if who == "flooder"
            else {"username": w["user"].email, "password": PASSWORD},
        ),
        {302},
    ),
    "sign-up page": (
        "sign_up",
        lambda who, n, w: _page(FLOODER if who == "flooder" else OTHER).post(
            "/accounts/sign-up/",
            {"email": f"{who}{n}@example.com", "display_name": "X", "password1": PASSWORD, "password2": PASSWORD},
        ),
        {302},
    ),
    "password reset page": (
        "password_reset",
        lambda who, n, w: _page(FLOODER if who == "flooder" else OTHER).post(
            "/accounts/password-reset/", {"email": f"{who}{n}@example.com"}
        ),
        {302},
    ),
    "token": (
        "sign_in",
        lambda who, n, w: _anon_api(FLOODER if who == "flooder" else OTHER).post(
            "/api/v1/auth/token/",
            {"email": f"guess{n}@example.com", "password": "wrong"}
            if who == "flooder"
            else {"email": w["user"].email, "password": PASSWORD},
            format="json",
        ),
        {200},
    ),
    "token refresh": (
        "api_anon",
        lambda who, n, w: _anon_api(FLOODER if who == "flooder" else OTHER).post(
            "/api/v1/auth/token/refresh/", {"refresh": "forged"}, format="json"
        ),
        {401},
    ),
    "token verify": (
        "api_anon",
        lambda who, n, w: _anon_api(FLOODER if who == "flooder" else OTHER).post(
            "/api/v1/auth/token/verify/", {"token": str(AccessToken.for_user(w["user"]))}, format="json"
        ),
        {200},
    ),
    "token blacklist": (
        "api_anon",
        lambda who, n, w: _anon_api(FLOODER if who == "flooder" else OTHER).post(
            "/api/v1/auth/token/blacklist/", {"refresh": str(RefreshToken.for_user(w[who]))}, format="json"
        ),
        {200},
    ),
    "API per user": (
        "api_user",
        lambda who, n, w: _user_api(who, w).get("/api/v1/meetings/"),
        {200},
    ),
    "API upload": (
        "upload",
        lambda who, n, w: _user_api(who, w).post(
            f"/api/v1/meetings/{w['meeting'].id}/recordings/", {"file": _bad_audio()}, format="multipart"
        ),
        {400},  # refused as not audio, not as a flood
    ),
    "page upload": (
        "upload",
        lambda who, n, w: _page(FLOODER if who == "flooder" else OTHER, w[who]).post(
            f"/meetings/{w['meeting'].id}/recordings/", {"file": _bad_audio()}, HTTP_HX_REQUEST="true"
        ),
        {400},
    ),
}


@pytest.fixture
def world(workspace: Any) -> dict[str, Any]:
    meeting = MeetingFactory(workspace=workspace, status="ready")
    return {
        "user": UserFactory(),
        "flooder": MembershipFactory(workspace=workspace, role=Role.MEMBER).user,
        "other": MembershipFactory(workspace=workspace, role=Role.MEMBER).user,
        "meeting": meeting,
    }


@pytest.mark.parametrize("door", list(DOORS))
def test_a_flood_gets_429_and_the_next_client_goes_through(door, world, settings):
    scope, send, other_gets = DOORS[door]
    settings.MINA_RATE_LIMITS = {**{s: "1000/min" for s in settings.MINA_RATE_LIMITS}, scope: "3/min"}
    statuses = [send("flooder", n, world).status_code for n in range(3)]
    assert 429 not in statuses, statuses
    flooded = send("flooder", 3, world)
    assert flooded.status_code == 429, (door, flooded.status_code)
    assert 1 <= int(flooded["Retry-After"]) <= 60
    if flooded["Content-Type"].startswith("application/json"):
        assert error_code(flooded) == "throttled"
        assert "Try again in" in flooded.json()["error"]["message"]
    else:
        body = flooded.content.decode()
        assert "Too many" in body and "Try again in" in body
    other = send("other", 0, world)
    assert other.status_code in other_gets, (door, other.status_code, other.content[:300])


@pytest.mark.django_db(transaction=True)
async def test_a_socket_connection_flood_leaves_other_users_alone(settings):
    settings.MINA_RATE_LIMITS = {**settings.MINA_RATE_LIMITS, "socket_connect": "2/min"}
    flooder, other, meeting = await database_sync_to_async(_socket_world)()
    path = f"/ws/meetings/{meeting.id}/"
    opened = []
    try:
        for _ in range(2):
            ws, _, _ = await connect(path, token=access_token(flooder), origin=None)
            opened.append(ws)
            assert (await receive(ws))["type"] == "snapshot"
        ws, _, _ = await connect(path, token=access_token(flooder), origin=None)
        opened.append(ws)
        assert "Try again in" in (await expect_refusal(ws, 4429))["message"]
        ws, _, _ = await connect(path, token=access_token(other), origin=None)
        opened.append(ws)
        assert (await receive(ws))["type"] == "snapshot"
    finally:
        await asyncio.gather(*(ws.disconnect() for ws in opened))


def _socket_world() -> tuple[Any, Any, Any]:
    membership = MembershipFactory(role=Role.MEMBER)
    other = MembershipFactory(workspace=membership.workspace, role=Role.MEMBER).user
    return membership.user, other, MeetingFactory(workspace=membership.workspace)


# --- Two clients against a real server ------------------------------------------------


def _get(base: str, token: str) -> int:
    request = urllib.request.Request(f"http://{base}/api/v1/meetings/", headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (loopback only)
            response.read()
            return int(response.status)
    except urllib.error.HTTPError as error:
        error.read()
        return error.code


@pytest.mark.django_db(transaction=True)
def test_one_users_flood_is_cut_while_another_user_is_served(workspace, member_of):
    flooder, victim = member_of(workspace), member_of(workspace)
    for n in range(5):
        MeetingFactory(workspace=workspace, organizer=victim, title=f"Meeting {n}")
    flood_token, victim_token = access_token(flooder), access_token(victim)
    with daphne(MINA_RATE_API_USER="50/min") as base:
        stop, flood_statuses = threading.Event(), []

        def flood() -> None:
            while not stop.is_set():
                flood_statuses.append(_get(base, flood_token))

        threads = [threading.Thread(target=flood) for _ in range(2)]
        for thread in threads:
            thread.start()
        try:
            deadline = time.monotonic() + 20
            while 429 not in flood_statuses and time.monotonic() < deadline:
                time.sleep(0.01)
            victim_statuses = [_get(base, victim_token) for _ in range(15)]
        finally:
            stop.set()
            for thread in threads:
                thread.join()
    throttled = flood_statuses.count(429)
    assert throttled >= 20, f"the flood was not cut: {throttled} of {len(flood_statuses)}"
    assert victim_statuses == [200] * 15
