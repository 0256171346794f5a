"""Lists, searches, downloads, snapshots and sockets never show another workspace's data.

Each check first proves that the owner of A does find A's word (so the search, the
list or the download works), then that the owner of B, asking the same way, does not.
"""

from __future__ import annotations

import asyncio

import pytest

from tests.api.helpers import client_for
from tests.factories import MeetingFactory
from tests.security.conftest import ALPHA, BETA
from tests.sockets import access_token, connect, expect_refusal, receive
from tests.streaming import start
from workspaces.models import Role

EXPORTS = ["transcript.txt", "transcript.srt", "transcript.vtt", "summary.md"]


def _word_of(tenant):
    return ALPHA if tenant.workspace.name.lower().startswith(ALPHA) else BETA


def _data_of(tenant):
    """What must never show outside the tenant (its bare word may: a search echoes it)."""
    return [
        tenant.workspace.name,
        tenant.meeting.title,
        tenant.segment.text,
        tenant.summary.overview,
        tenant.task.title,
        tenant.participant.name,
        *[u.display_name for u in tenant.users.values()],
    ]


def _page_reads(tenant, other):
    """Every list, search and download a person of `tenant` can ask for, pointed at `other`'s word."""
    ws, meeting, word = tenant.workspace.id, tenant.meeting.id, _word_of(other)
    return [
        f"/w/{ws}/meetings/",
        f"/w/{ws}/meetings/?q={word}",
        f"/w/{ws}/meetings/?q={word}ette",
        f"/w/{ws}/meetings/?q={word}&status=ready",
        "/tasks/",
        "/tasks/?status=open",
        f"/w/{ws}/members/",
        f"/meetings/{meeting}/",
        *[f"/meetings/{meeting}/export/{name}" for name in EXPORTS],
    ]


def _api_reads(tenant, other):
    meeting, word = tenant.meeting.id, _word_of(other)
    return [
        "/api/v1/me/",
        "/api/v1/workspaces/",
        f"/api/v1/workspaces/{tenant.workspace.id}/members/",
        "/api/v1/meetings/",
        f"/api/v1/meetings/?search={word}",
        f"/api/v1/meetings/?search={word}ette",
        f"/api/v1/meetings/?workspace={other.workspace.id}",
        "/api/v1/tasks/",
        f"/api/v1/tasks/?workspace={other.workspace.id}",
        f"/api/v1/tasks/?meeting={other.meeting.id}",
        f"/api/v1/tasks/?assignee={other.users[Role.OWNER].id}",
        f"/api/v1/meetings/{meeting}/segments/",
        f"/api/v1/meetings/{meeting}/participants/",
        f"/api/v1/meetings/{meeting}/summary/",
        *[f"/api/v1/meetings/{meeting}/export/{name}" for name in EXPORTS],
    ]


@pytest.mark.parametrize("reader", ["a", "b"])
def test_pages_lists_searches_and_downloads_stay_in_the_workspace(reader, tenant_a, tenant_b, client, no_limits):
    me, other = (tenant_a, tenant_b) if reader == "a" else (tenant_b, tenant_a)
    client.force_login(me.users[Role.OWNER])
    # The search works: my own word finds my meeting, in the page and the partial.
    for word in (_word_of(me), f"{_word_of(me)}ette"):  # in the title; only in the transcript
        own = client.get(f"/w/{me.workspace.id}/meetings/?q={word}", HTTP_HX_REQUEST="true").content.decode()
        assert me.meeting.title in own, word
    for url in _page_reads(me, other):
        for headers in ({}, {"HTTP_HX_REQUEST": "true"}):
            response = client.get(url, **headers)
            assert response.status_code == 200, (url, response.status_code)
            body = response.content.decode()
            assert not [leak for leak in _data_of(other) if leak in body], url


@pytest.mark.parametrize("reader", ["a", "b"])
def test_api_lists_searches_and_downloads_stay_in_the_workspace(reader, tenant_a, tenant_b, no_limits):
    me, other = (tenant_a, tenant_b) if reader == "a" else (tenant_b, tenant_a)
    api = client_for(me.users[Role.OWNER])
    for word in (_word_of(me), f"{_word_of(me)}ette"):
        found = api.get(f"/api/v1/meetings/?search={word}").json()["results"]
        assert [m["id"] for m in found] == [me.meeting.id], word
    for url in _api_reads(me, other):
        response = api.get(url)
        assert response.status_code == 200, (url, response.status_code)
        body = response.content.decode()
        assert not [leak for leak in _data_of(other) if leak in body], url
    assert api.get(f"/api/v1/meetings/?workspace={other.workspace.id}").json()["results"] == []
    assert api.get(f"/api/v1/tasks/?meeting={other.meeting.id}").json()["results"] == []


# --- Sockets --------------------------------------------------------------------------


async def _socket_case(path, who, a, b):
    """Open `path` as `who` and return (first event, close code or None)."""
    if who == "anonymous":
        ws, _, _ = await connect(path, origin=None)
        await ws.send_json_to({"type": "start", "sample_rate": 16000, "format": "pcm_s16le"})
    elif who == "outsider-cookie":
        ws, _, _ = await connect(path, user=b.users[Role.OWNER])
    else:
        user = b.users[Role.OWNER] if who == "outsider" else a.users[who]
        ws, _, _ = await connect(path, token=access_token(user), origin=None)
    try:
        if await ws.receive_nothing(timeout=0.3):
            return None, None  # accepted and waiting (the audio socket waits for `start`)
        event = await receive(ws)
        if event["type"] == "error":
            output = await ws.receive_output(timeout=2)
            return event, output.get("code")
        return event, None
    finally:
        await ws.disconnect()


@pytest.mark.django_db(transaction=True)
def test_both_sockets_for_every_role(tenant_a, tenant_b):
    expected = {
        # who: (meeting socket, audio socket); a number is the close code.
        "anonymous": (4401, 4401),
        "outsider": (4404, 4404),
        "outsider-cookie": (4404, 4404),
        Role.VIEWER: ("snapshot", 4403),
        Role.MEMBER: ("snapshot", "waiting"),
        Role.ADMIN: ("snapshot", "waiting"),
        Role.OWNER: ("snapshot", "waiting"),
    }

    async def run():
        seen = {}
        for who in expected:
            outcome = []
            for path in (f"/ws/meetings/{tenant_a.meeting.id}/", f"/ws/meetings/{tenant_a.meeting.id}/audio/"):
                event, code = await _socket_case(path, who, tenant_a, tenant_b)
                if code is not None:
                    assert event["meeting"] == tenant_a.meeting.id and ALPHA not in str(event), event
                    outcome.append(code)
                elif event is None:
                    outcome.append("waiting")
                else:
                    assert event["type"] == "snapshot" and BETA not in str(event)
                    assert ALPHA in event["segments"][0]["text"]
                    outcome.append("snapshot")
            seen[who] = tuple(outcome)
        return seen

    assert asyncio.run(run()) == expected


@pytest.mark.django_db(transaction=True)
def test_a_snapshot_holds_only_its_own_meeting(tenant_a, tenant_b):
    async def run():
        ws, _, _ = await connect(
            f"/ws/meetings/{tenant_b.meeting.id}/?after=0", token=access_token(tenant_b.users[Role.OWNER]), origin=None
        )
        try:
            snapshot = await receive(ws)
            await ws.send_json_to({"type": "sync", "after": 0})
            resync = await receive(ws)
        finally:
            await ws.disconnect()
        return snapshot, resync

    for event in asyncio.run(run()):
        assert event["type"] == "snapshot" and [s["id"] for s in event["segments"]] == [tenant_b.segment.id]
        assert ALPHA not in str(event)


@pytest.mark.django_db(transaction=True)
def test_a_removed_member_loses_the_socket(tenant_a, settings):
    """A membership ends while the socket is open: it closes at the next re-check."""
    settings.MINA_SOCKET_RECHECK_S = 0.2
    member = tenant_a.users[Role.MEMBER]

    async def run():
        from channels.db import database_sync_to_async

        ws, _, _ = await connect(f"/ws/meetings/{tenant_a.meeting.id}/", token=access_token(member), origin=None)
        try:
            assert (await receive(ws))["type"] == "snapshot"
            await database_sync_to_async(lambda: member.memberships.all().delete())()
            return await expect_refusal(ws, 4404)
        finally:
            await ws.disconnect()

    assert asyncio.run(run())["code"] == "not_found"


@pytest.mark.django_db(transaction=True)
def test_a_member_demoted_to_viewer_loses_the_microphone(tenant_a, settings):
    """Viewers may watch but not speak: the audio socket closes at the next re-check."""
    settings.MINA_SOCKET_RECHECK_S = 0.2
    member = tenant_a.users[Role.MEMBER]
    meeting = MeetingFactory(workspace=tenant_a.workspace, organizer=member)

    async def run():
        from channels.db import database_sync_to_async

        ws, _, _ = await connect(
            f"/ws/meetings/{meeting.id}/audio/", token=access_token(member), origin=None
        )
        try:
            await start(ws)
            await database_sync_to_async(lambda: member.memberships.update(role=Role.VIEWER))()
            return await expect_refusal(ws, 4403)
        finally:
            await ws.disconnect()

    assert asyncio.run(run())["code"] == "forbidden"
