"""Scaled mode: two Daphne processes and a Celery worker on Redis.

The web processes get an unusable speech model: if either transcribed anything itself,
no final would come. Every process (and the private Redis) is stopped by its id.
"""

import asyncio
import json

import pytest
import websockets
from django.conf import settings

from tests.conftest import SPEECH
from tests.servers import celery_worker, daphne, redis_server
from tests.sockets import access_token
from tests.streaming import frames, read_pcm
from transcription.models import Recording

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.slow,
    pytest.mark.redis,
    pytest.mark.skipif(not settings.SCALED, reason="the scaled run (REDIS_URL set) only"),
]

NO_MODEL = "/nonexistent/whisper-model"


async def _next(ws, kind, timeout=120):
    while True:
        event = json.loads(await asyncio.wait_for(ws.recv(), timeout))
        if event["type"] == kind:
            return event


def test_audio_sent_to_one_daphne_reaches_a_watcher_on_another_transcribed_by_a_worker(meeting, owner):
    token = access_token(owner)
    protocols = ["mina.v1", token]

    async def scenario(mic_host, watch_host):
        async with websockets.connect(f"ws://{watch_host}/ws/meetings/{meeting.id}/", subprotocols=protocols) as watch, \
                websockets.connect(f"ws://{mic_host}/ws/meetings/{meeting.id}/audio/", subprotocols=protocols) as mic:
            await _next(watch, "snapshot")
            await mic.send(json.dumps({"type": "start", "sample_rate": 16000, "format": "pcm_s16le"}))
            await _next(mic, "ready")
            for frame in frames(read_pcm(SPEECH / "short.wav")):
                await mic.send(frame)
            await mic.send(json.dumps({"type": "stop"}))
            final = await _next(watch, "transcript.final")
            await _next(mic, "stopped")
            return final

    with redis_server() as redis_url:
        scaled = {"REDIS_URL": redis_url, "MINA_JOBS_EAGER": "0"}
        web = {**scaled, "MINA_WHISPER_MODEL": NO_MODEL}
        with celery_worker("realtime", **scaled) as worker_log, daphne(**web) as mic_host, daphne(**web) as watch_host:
            try:
                final = asyncio.run(scenario(mic_host, watch_host))
            except TimeoutError:
                pytest.fail(f"no final; the worker said:\n{worker_log.read_text()[-3000:]}")

    assert "quarterly budget" in final["text"].lower()
    assert final["speaker"] == owner.name
    stats = Recording.objects.get(meeting=meeting).stats
    assert stats["finals"] == 1
    assert stats["processing_ms"] > 0  # reported by the worker
    assert stats["final_latency_ms"]["median"] is not None
