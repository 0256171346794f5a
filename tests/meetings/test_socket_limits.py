"""Floods on sockets: connections per user, open sockets per user, messages per socket."""

import pytest
from django.core.cache import cache

from tests.sockets import abandon, access_token, connect, expect_refusal, receive, tasks_left

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def fresh_counters():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def rates(settings):
    settings.MINA_RATE_LIMITS = dict(settings.MINA_RATE_LIMITS)
    return settings.MINA_RATE_LIMITS


async def test_too_many_connections_per_minute_get_4429(meeting, owner, rates):
    rates["socket_connect"] = "2/min"
    token = access_token(owner)
    opened = []
    try:
        for _ in range(2):
            ws, _, _ = await connect(f"/ws/meetings/{meeting.id}/", token=token, origin=None)
            assert (await receive(ws))["type"] == "snapshot"
            opened.append(ws)
        ws, _, _ = await connect(f"/ws/meetings/{meeting.id}/", token=token, origin=None)
        opened.append(ws)
        event = await expect_refusal(ws, 4429)
        assert event["code"] == "throttled" and "Try again" in event["message"]
    finally:
        for ws in opened:
            await ws.disconnect()


async def test_a_cap_on_open_sockets_per_user_leaves_others_alone(workspace, meeting, owner, member_of, settings):
    from channels.db import database_sync_to_async

    settings.MINA_MAX_SOCKETS_PER_USER = 1
    other = await database_sync_to_async(member_of)(workspace)
    first, _, _ = await connect(f"/ws/meetings/{meeting.id}/", token=access_token(owner), origin=None)
    second, _, _ = await connect(f"/ws/meetings/{meeting.id}/", token=access_token(owner), origin=None)
    third, _, _ = await connect(f"/ws/meetings/{meeting.id}/", token=access_token(other), origin=None)
    try:
        assert (await receive(first))["type"] == "snapshot"
        assert (await expect_refusal(second, 4429))["code"] == "too_many_sockets"
        assert (await receive(third))["type"] == "snapshot"
    finally:
        for ws in (first, second, third):
            await ws.disconnect()
    again, _, _ = await connect(f"/ws/meetings/{meeting.id}/", token=access_token(owner), origin=None)
    try:
        assert (await receive(again))["type"] == "snapshot"  # closing one frees its place
    finally:
        await again.disconnect()


async def test_a_socket_the_server_gave_up_on_frees_its_place(meeting, owner, settings):
    """A server that stops waiting for a closing socket cancels it, maybe before its
    disconnect handler ran: its place among the user's sockets is freed all the same,
    and nothing of it runs on."""
    settings.MINA_MAX_SOCKETS_PER_USER = 1
    first, _, _ = await connect(f"/ws/meetings/{meeting.id}/", token=access_token(owner), origin=None)
    assert (await receive(first))["type"] == "snapshot"
    await abandon(first)
    assert await tasks_left("MinaConsumer._recheck_access", "Hub._read") == []
    again, _, _ = await connect(f"/ws/meetings/{meeting.id}/", token=access_token(owner), origin=None)
    try:
        assert (await receive(again))["type"] == "snapshot"
    finally:
        await again.disconnect()


async def test_a_message_flood_on_one_socket_is_cut(meeting, owner, rates):
    rates["socket_messages"] = "3/min"
    ws, _, _ = await connect(f"/ws/meetings/{meeting.id}/", token=access_token(owner), origin=None)
    try:
        await receive(ws)
        for _ in range(3):
            await ws.send_json_to({"type": "sync", "after": 0})
            assert (await receive(ws))["type"] == "snapshot"
        await ws.send_json_to({"type": "sync", "after": 0})
        assert (await expect_refusal(ws, 4429))["code"] == "throttled"
    finally:
        await ws.disconnect()
