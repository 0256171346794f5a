"""The meeting socket: who may watch, and what they get."""

import asyncio
import threading
import time
from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from rest_framework_simplejwt.tokens import AccessToken

from meetings import events
from tests.factories import SegmentFactory
from tests.sockets import access_token, connect, expect_refusal, receive
from workspaces.models import Role

pytestmark = pytest.mark.django_db(transaction=True)


async def test_session_cookie_opens_the_socket_and_gets_a_snapshot(meeting, owner):
    await database_sync_to_async(SegmentFactory)(meeting=meeting, text="hello there")
    ws, connected, _ = await connect(f"/ws/meetings/{meeting.id}/", user=owner)
    try:
        assert connected
        snapshot = await receive(ws)
        assert snapshot["type"] == "snapshot"
        assert [s["text"] for s in snapshot["segments"]] == ["hello there"]
    finally:
        await ws.disconnect()


async def test_jwt_subprotocol_opens_the_socket_without_origin(meeting, owner):
    ws, connected, subprotocol = await connect(f"/ws/meetings/{meeting.id}/", token=access_token(owner), origin=None)
    try:
        assert subprotocol == "mina.v1"
        assert (await receive(ws))["type"] == "snapshot"
    finally:
        await ws.disconnect()


async def test_token_in_the_first_message(meeting, owner):
    ws, connected, _ = await connect(f"/ws/meetings/{meeting.id}/", origin=None)
    try:
        await ws.send_json_to({"type": "auth", "token": access_token(owner)})
        assert (await receive(ws))["type"] == "snapshot"
    finally:
        await ws.disconnect()


async def test_snapshot_after_an_id(meeting, owner):
    first = await database_sync_to_async(SegmentFactory)(meeting=meeting, text="one")
    await database_sync_to_async(SegmentFactory)(meeting=meeting, text="two")
    ws, _, _ = await connect(f"/ws/meetings/{meeting.id}/?after={first.id}", user=owner)
    try:
        assert [s["text"] for s in (await receive(ws))["segments"]] == ["two"]
        await ws.send_json_to({"type": "sync", "after": 0})
        assert [s["text"] for s in (await receive(ws))["segments"]] == ["one", "two"]
    finally:
        await ws.disconnect()


async def test_signed_out_is_4401(meeting):
    ws, _, _ = await connect(f"/ws/meetings/{meeting.id}/", origin=None)
    try:
        event = await expect_refusal(ws, 4401, timeout=3)
        assert event["code"] == "not_authenticated"
    finally:
        await ws.disconnect()


async def test_expired_token_is_4401_token_expired(meeting, owner):
    token = AccessToken.for_user(owner)
    token.set_exp(lifetime=-timedelta(seconds=5))
    ws, _, _ = await connect(f"/ws/meetings/{meeting.id}/", token=str(token), origin=None)
    try:
        assert (await expect_refusal(ws, 4401))["code"] == "token_expired"
    finally:
        await ws.disconnect()


async def test_forged_token_is_4401(meeting):
    ws, _, _ = await connect(f"/ws/meetings/{meeting.id}/", token="forged.token.value", origin=None)
    try:
        assert (await expect_refusal(ws, 4401))["code"] == "token_not_valid"
    finally:
        await ws.disconnect()


async def test_cookie_from_another_origin_is_refused(meeting, owner):
    ws, _, _ = await connect(f"/ws/meetings/{meeting.id}/", user=owner, origin="https://evil.example")
    try:
        assert (await expect_refusal(ws, 4403))["code"] == "origin_not_allowed"
    finally:
        await ws.disconnect()


@pytest.mark.parametrize("path", ["/ws/meetings/{id}/", "/ws/meetings/{id}/audio/"])
async def test_a_cookie_without_an_origin_is_not_a_browser_and_is_refused(meeting, owner, path):
    ws, _, _ = await connect(path.format(id=meeting.id), user=owner, origin=None)
    try:
        event = await expect_refusal(ws, 4403)
        assert event["code"] == "origin_missing" and "token" in event["message"]
    finally:
        await ws.disconnect()


async def test_another_workspace_is_4404(meeting, outsider):
    ws, _, _ = await connect(f"/ws/meetings/{meeting.id}/", token=access_token(outsider), origin=None)
    try:
        assert (await expect_refusal(ws, 4404))["code"] == "not_found"
    finally:
        await ws.disconnect()


async def test_a_meeting_that_does_not_exist_is_4404(owner):
    ws, _, _ = await connect("/ws/meetings/987654/", token=access_token(owner), origin=None)
    try:
        await expect_refusal(ws, 4404)
    finally:
        await ws.disconnect()


async def test_a_viewer_may_watch(workspace, meeting, member_of):
    viewer = await database_sync_to_async(member_of)(workspace, Role.VIEWER)
    ws, _, _ = await connect(f"/ws/meetings/{meeting.id}/", user=viewer)
    try:
        assert (await receive(ws))["type"] == "snapshot"
    finally:
        await ws.disconnect()


async def test_malformed_json_gets_an_error_and_the_socket_stays(meeting, owner):
    ws, _, _ = await connect(f"/ws/meetings/{meeting.id}/", user=owner)
    try:
        await receive(ws)
        await ws.send_to(text_data="{not json")
        assert (await receive(ws))["code"] == "malformed_json"
        await ws.send_json_to({"type": "sync", "after": 0})
        assert (await receive(ws))["type"] == "snapshot"
    finally:
        await ws.disconnect()


async def test_an_event_sent_from_a_job_thread_arrives_within_200_ms(meeting, owner):
    ws, _, _ = await connect(f"/ws/meetings/{meeting.id}/", user=owner)
    try:
        await receive(ws)
        sent_at = {}

        def job():
            sent_at["t"] = time.monotonic()
            events.send(meeting.id, events.job_progress(meeting.id, recording_id=None, stage="transcribing", percent=42))

        thread = threading.Thread(target=job)
        thread.start()
        event = await receive(ws, timeout=2)
        arrived = time.monotonic()
        thread.join()
        assert event["type"] == "job.progress" and event["percent"] == 42
        assert arrived - sent_at["t"] < 0.2
    finally:
        await ws.disconnect()
    await asyncio.sleep(0)


async def test_watchers_of_one_process_share_one_group_membership(meeting, owner):
    """Each event goes through the channel layer once per process, not once per watcher."""
    from channels.layers import get_channel_layer

    group = events.group_name(meeting.id)
    watchers = [(await connect(f"/ws/meetings/{meeting.id}/", user=owner))[0] for _ in range(3)]
    try:
        for ws in watchers:
            assert (await receive(ws))["type"] == "snapshot"
        layer = get_channel_layer()
        members = await _group_members(layer, group)
        assert len(members) == 1
        segment = await database_sync_to_async(SegmentFactory)(meeting=meeting, text="for everyone")
        await events.asend(meeting.id, events.transcript_segment(segment))
        for ws in watchers:
            event = await receive(ws)
            assert event["type"] == "transcript.final" and event["text"] == "for everyone"
    finally:
        for ws in watchers:
            await ws.disconnect()
    assert await _group_members(layer, group) == [], "the last watcher to leave takes the process out"
    from meetings.hub import hub

    assert hub().reader is None, "and leaves no read pending on the channel layer"


async def _group_members(layer, group):
    if hasattr(layer, "groups"):  # in memory
        return list(layer.groups.get(group, {}))
    connection = layer.connection(layer.consistent_hash(group))
    return await connection.zrange(layer._group_key(group), 0, -1)


async def test_a_renamed_speaker_is_announced_to_every_watcher(meeting, owner):
    from meetings.services import participant_rename
    from tests.factories import ParticipantFactory

    carol = await database_sync_to_async(ParticipantFactory)(meeting=meeting, name="Carol")
    ws, _, _ = await connect(f"/ws/meetings/{meeting.id}/", user=owner)
    try:
        assert (await receive(ws))["type"] == "snapshot"
        await database_sync_to_async(
            lambda: participant_rename(participant=carol, membership=owner.memberships.get(), name="Carol Diaz")
        )()
        event = await receive(ws)
    finally:
        await ws.disconnect()
    assert event == {"type": "participant.renamed", "meeting": meeting.id, "participant": carol.id, "name": "Carol Diaz"}
