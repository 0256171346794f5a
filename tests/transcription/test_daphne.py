"""Both sockets through a real Daphne process and a real `websockets` client."""

import asyncio
import json

import pytest
import websockets

from tests.conftest import SPEECH
from tests.servers import daphne
from tests.sockets import access_token
from tests.streaming import frames, read_pcm

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


async def _next(ws, kind, timeout=60):
    while True:
        event = json.loads(await asyncio.wait_for(ws.recv(), timeout))
        if event["type"] == kind:
            return event


def test_audio_streamed_to_daphne_reaches_a_watcher(meeting, owner):
    token = access_token(owner)

    async def scenario(address):
        protocols = ["mina.v1", token]
        async with websockets.connect(f"ws://{address}/ws/meetings/{meeting.id}/", subprotocols=protocols) as watch, \
                websockets.connect(f"ws://{address}/ws/meetings/{meeting.id}/audio/", subprotocols=protocols) as mic:
            assert mic.subprotocol == "mina.v1"
            await _next(watch, "snapshot")
            await mic.send(json.dumps({"type": "start", "sample_rate": 16000, "format": "pcm_s16le"}))
            assert (await _next(mic, "ready"))["received_ms"] == 0
            for frame in frames(read_pcm(SPEECH / "short.wav")):
                await mic.send(frame)
            await mic.send(json.dumps({"type": "stop"}))
            final = await _next(watch, "transcript.final")
            await _next(mic, "stopped")
            return final

    with daphne() as address:
        final = asyncio.run(scenario(address))
    assert "quarterly budget" in final["text"].lower()
    assert final["speaker"] == owner.name


def test_daphne_refuses_a_forged_token_with_a_reason(meeting):
    async def scenario(address):
        async with websockets.connect(
            f"ws://{address}/ws/meetings/{meeting.id}/", subprotocols=["mina.v1", "forged"]
        ) as ws:
            event = json.loads(await asyncio.wait_for(ws.recv(), 10))
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await asyncio.wait_for(ws.recv(), 10)
            return event, closed.value.rcvd.code

    with daphne() as address:
        event, code = asyncio.run(scenario(address))
    assert event["code"] == "token_not_valid"
    assert code == 4401
