"""Redis stops in the middle of a live meeting (scaled mode), then starts again."""

import asyncio
import json
import wave

import pytest
from channels.db import database_sync_to_async

from tests.conftest import SPEECH
from tests.faults.clients import Microphone, Watcher, http, wait_until
from tests.faults.conftest import scaled_only
from tests.faults.processes import Redis, daphne, running, server_env
from tests.faults.scenarios import finals_stored, wait_until_stored
from tests.sockets import access_token
from tests.streaming import read_pcm
from transcription.models import Recording

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow, scaled_only]

BEFORE_MS, OUTAGE_END_MS = 11_000, 21_200  # turns 1-2 before, 3-4 during the outage


def test_a_live_meeting_survives_redis_going_away_and_coming_back(meeting, owner):
    token = access_token(owner)
    pcm = read_pcm(SPEECH / "standup.wav")
    redis = Redis()
    # Live audio transcribed in the web process, so finals keep coming while Redis is down
    # and only their events are lost: the resync must bring them. (With the `celery`
    # transcriber no final can be asked for until Redis is back; the careful pass has them.)
    # The periodic re-check is out of the way: the resync comes from the layer's recovery.
    web = daphne(server_env(REDIS_URL=redis.url, MINA_LIVE_TRANSCRIBER="pool", MINA_SOCKET_RECHECK_S="600"))
    finals = database_sync_to_async(finals_stored)

    async def scenario():
        watcher = Watcher(web.address, meeting.id, token)
        mic = Microphone(web.address, meeting.id, token, pcm)
        await watcher.connect()
        await mic.start()
        try:
            await mic.send_until(BEFORE_MS)
            await wait_until(lambda: len(watcher.of_type("transcript.final")) >= 2, 30, "finals before the outage")

            redis.kill()
            await mic.send_until(OUTAGE_END_MS)
            await wait_until_stored(lambda: len(finals_stored(meeting.id)) >= 4, 30, "finals stored during the outage")
            during = await asyncio.to_thread(_outage_checks, web.address, meeting.id, token)
            assert mic.ws.close_code is None and watcher.open, "sockets stay open while Redis is down"
            missed = await finals(meeting.id) - set(watcher.segments)
            assert missed, "events sent while Redis was down cannot have arrived"

            redis.start()
            await wait_until(lambda: missed <= set(watcher.segments), 30, "the resync after Redis came back")
            live_before = len(watcher.of_type("transcript.final"))
            await mic.send_until()
            stopped = await mic.stop()
            await wait_until(lambda: len(watcher.of_type("transcript.final")) > live_before, 30, "live events again")
            await wait_until_stored(lambda: finals_stored(meeting.id) <= set(watcher.segments), 30, "every final")
            return during, stopped
        finally:
            await mic.close()
            await watcher.close()

    with running(web, redis):
        redis.start()
        web.start()
        during, stopped = asyncio.run(scenario())
        health, body = http(web.address, "/health/detailed")
        assert health == 200, f"healthy again once Redis is back: {body!r}"

    recording = Recording.objects.get(meeting=meeting)
    assert stopped["received_ms"] == len(pcm) // 32
    with wave.open(recording.file.path, "rb") as wav:
        kept = wav.readframes(wav.getnframes())
    first = next((i for i, (a, b) in enumerate(zip(kept, pcm, strict=False)) if a != b), None)
    assert kept == pcm, f"audio differs: {len(kept)} vs {len(pcm)} bytes, first difference at byte {first}"
    health_body = json.loads(during["health"])
    assert during["health_status"] == 503 and health_body["status"] == "degraded"
    assert {"channel_layer", "cache"} <= set(health_body["down"])
    assert during["pages"] == [200, 200], "pages and the API keep serving while Redis is down"


def _outage_checks(address, meeting_id, token):
    health_status, health = http(address, "/health/detailed", timeout=20)
    pages = [
        http(address, "/accounts/sign-in/")[0],
        http(address, f"/api/v1/meetings/{meeting_id}/", token=token)[0],
    ]
    return {"health_status": health_status, "health": health, "pages": pages}
