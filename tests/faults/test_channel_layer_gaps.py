"""Traps of the channel layer: it delivers at most once, drops what a socket's channel
cannot hold, and forgets a group membership after `group_expiry`. The meeting socket
resyncs from the database and renews its membership (transcription/consumers/meeting.py)."""

import asyncio
from unittest import mock

import pytest
from channels.db import database_sync_to_async
from channels.exceptions import ChannelFull
from channels.layers import get_channel_layer

from meetings import events
from tests.factories import SegmentFactory
from tests.faults.processes import Redis, running
from tests.sockets import connect, receive

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def production_layer(settings):
    """This run's channel layer as configured for production; channels_redis on a private
    Redis (a busy shared one would make timings flaky). Call it with config to override."""
    layer = settings.CHANNEL_LAYERS["default"]
    redis = Redis() if "Redis" in layer["BACKEND"] else None

    def configure(**config):
        merged = {**layer["CONFIG"], **config}
        if redis is not None:
            merged["hosts"] = [{**layer["CONFIG"]["hosts"][0], "address": redis.url}]
        settings.CHANNEL_LAYERS = {"default": {"BACKEND": layer["BACKEND"], "CONFIG": merged}}

    if redis is None:
        yield configure
        return
    with running(redis):
        redis.start()
        yield configure


async def _collect(ws, until, timeout=10):
    """Events until `until(seen)` is true."""
    seen = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not until(seen):
        seen.append(await receive(ws, timeout=max(0.1, deadline - loop.time())))
    return seen


def _ids(seen):
    ids = set()
    for event in seen:
        if event["type"] == "snapshot":
            ids |= {s["id"] for s in event["segments"]}
        elif event["type"] == "transcript.final":
            ids.add(event["id"])
    return ids


async def test_events_dropped_past_the_capacity_come_back_in_a_resync(meeting, owner, settings):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer",
                                           "CONFIG": {"capacity": 5}}}
    settings.MINA_SOCKET_RECHECK_S = 1
    ws, _, _ = await connect(f"/ws/meetings/{meeting.id}/", user=owner)
    try:
        assert (await receive(ws))["type"] == "snapshot"
        segments = await database_sync_to_async(lambda: [SegmentFactory(meeting=meeting) for _ in range(20)])()
        layer = get_channel_layer()
        (channel,) = layer.groups[events.group_name(meeting.id)]
        dropped = 0
        for segment in segments:  # a burst, as group_send delivers it: a full channel drops
            try:
                await layer.send(channel, {"type": "meeting.event", "event": events.transcript_segment(segment)})
            except ChannelFull:
                dropped += 1
        assert dropped == 15
        late = await database_sync_to_async(SegmentFactory)(meeting=meeting)
        await asyncio.sleep(0.05)
        await events.asend(meeting.id, events.transcript_segment(late))  # delivered after the gap
        seen = await _collect(ws, lambda seen: _ids(seen) >= {s.id for s in [*segments, late]})
        while not await ws.receive_nothing(timeout=0.5):
            seen.append(await receive(ws))
    finally:
        await ws.disconnect()
    assert len([e for e in seen if e["type"] == "transcript.final"]) == 6, "15 events were lost in the burst"
    assert any(e["type"] == "snapshot" for e in seen), "the socket resynced what was dropped"


async def test_a_watcher_stays_in_its_group_past_the_group_expiry(meeting, owner, settings, production_layer):
    production_layer(group_expiry=1)
    settings.MINA_SOCKET_RECHECK_S = 0.3
    ws, _, _ = await connect(f"/ws/meetings/{meeting.id}/", user=owner)
    try:
        assert (await receive(ws))["type"] == "snapshot"
        await asyncio.sleep(3)  # three times the group expiry
        segment = await database_sync_to_async(SegmentFactory)(meeting=meeting)
        await events.asend(meeting.id, events.transcript_segment(segment))
        event = await receive(ws, timeout=10)
    finally:
        await ws.disconnect()
    assert event["type"] == "transcript.final" and event["id"] == segment.id, "delivered live, not resynced"


async def test_an_idle_watcher_outlives_the_redis_read_timeout(meeting, owner, settings, production_layer, caplog):
    """channels_redis blocks up to 5 s reading: with redis-py's default 5 s socket timeout
    every socket idle for 5 s would fail (stock channels_redis then ends the consumer)."""
    if "Redis" not in settings.CHANNEL_LAYERS["default"]["BACKEND"]:
        pytest.skip("channels_redis only: runs on the scaled run")
    production_layer()
    ws, _, _ = await connect(f"/ws/meetings/{meeting.id}/", user=owner)
    try:
        assert (await receive(ws))["type"] == "snapshot"
        assert await ws.receive_nothing(timeout=7, interval=0.5)
        segment = await database_sync_to_async(SegmentFactory)(meeting=meeting)
        await events.asend(meeting.id, events.transcript_segment(segment))
        event = await receive(ws, timeout=10)
    finally:
        await ws.disconnect()
    assert event["type"] == "transcript.final"
    assert "channel layer unreachable" not in caplog.text, "an idle read is not an outage"


async def test_a_cancelled_receive_leaves_no_buffer_behind(settings, production_layer):
    """A socket that closes while its receive holds channels_redis's read lock."""
    if "Redis" not in settings.CHANNEL_LAYERS["default"]["BACKEND"]:
        pytest.skip("channels_redis only: runs on the scaled run")
    production_layer()
    layer = get_channel_layer()
    channel = await layer.new_channel()
    reading = asyncio.ensure_future(layer.receive(channel))
    await asyncio.sleep(0.3)  # in BZPOPMIN, holding the lock
    reading.cancel()
    with pytest.raises(asyncio.CancelledError):
        await reading
    assert channel not in layer.receive_buffer


async def test_a_cancel_that_redis_reports_as_a_lost_connection_still_cancels(monkeypatch):
    """redis-py can end a read cancelled mid-command with ConnectionError: waiting that out
    as an outage kept the reader alive past its socket (and hung the event loop's close)."""
    from channels_redis.core import RedisChannelLayer as Stock
    from redis.exceptions import ConnectionError as RedisConnectionError

    from core.layers import RedisChannelLayer

    async def cancelled_mid_read(self, channel):
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            raise RedisConnectionError("Connection closed by server.") from None

    monkeypatch.setattr(Stock, "receive", cancelled_mid_read)
    layer = RedisChannelLayer(hosts=["redis://127.0.0.1:1"])  # never reached
    reading = asyncio.ensure_future(layer.receive("specific.a!b"))
    await asyncio.sleep(0.05)
    reading.cancel()
    await asyncio.wait([reading], timeout=2)
    assert reading.cancelled(), "the read went on waiting for Redis"


async def test_a_read_that_loses_its_cancel_still_lets_its_socket_close(monkeypatch):
    """A cancel lost under channels_redis (the read goes on as if never cancelled) used to
    hang the socket's close for ever; the caller ends at once and the read is asked again."""
    from channels_redis.core import RedisChannelLayer as Stock

    from core.layers import RedisChannelLayer

    cancels = []

    async def deaf_to_one_cancel(self, channel):
        while True:
            try:
                await asyncio.Event().wait()
            except asyncio.CancelledError:
                cancels.append(channel)
                if len(cancels) > 1:
                    raise

    monkeypatch.setattr(Stock, "receive", deaf_to_one_cancel)
    layer = RedisChannelLayer(hosts=["redis://127.0.0.1:1"])  # never reached
    reading = asyncio.ensure_future(layer.receive("specific.a!b"))
    await asyncio.sleep(0.05)
    reading.cancel()
    await asyncio.wait([reading], timeout=0.5)
    assert reading.cancelled(), "the caller waited on the read"
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 3
    while len(cancels) < 2 and loop.time() < deadline:
        await asyncio.sleep(0.05)
    assert cancels == ["specific.a!b", "specific.a!b"], "the read was not asked to stop again"


async def test_the_hub_reader_ends_once_its_last_watcher_leaves(meeting):
    """Even when the layer answers the reader's cancel with a message (as core.layers does
    after an outage) instead of CancelledError."""
    from meetings.hub import Hub

    class Layer:
        async def new_channel(self):
            return "specific.hub!1"

        async def group_add(self, group, channel):
            pass

        async def group_discard(self, group, channel):
            pass

        async def receive(self, channel):
            try:
                await asyncio.Event().wait()
            except asyncio.CancelledError:
                return {"type": "layer.recovered"}

    hub, layer = Hub(), Layer()
    with mock.patch("meetings.hub.get_channel_layer", return_value=layer):
        watcher = object()
        await hub.join(meeting.id, watcher)
        reader = hub.reader
        await asyncio.sleep(0.05)
        await hub.leave(meeting.id, watcher)
        await asyncio.wait([reader], timeout=2)
    assert reader.done(), "the reader went on reading"
    assert hub.reader is None
