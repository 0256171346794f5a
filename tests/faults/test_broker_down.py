"""A meeting ended while Redis (the broker) is down, in scaled mode: the request still
succeeds, and the upkeep job queues the careful pass once Redis is back."""

import asyncio
import time

import pytest

from meetings.models import Meeting, Summary
from tests.conftest import SPEECH
from tests.faults.clients import Microphone, http
from tests.faults.conftest import scaled_only
from tests.faults.processes import Redis, celery_worker, daphne, running, server_env, wait_for
from tests.sockets import access_token
from tests.streaming import read_pcm

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow, scaled_only]


def test_a_meeting_ended_while_the_broker_is_down_is_processed_once_it_is_back(meeting, owner, tmp_path):
    token = access_token(owner)
    redis = Redis()
    env = server_env(
        REDIS_URL=redis.url, MINA_JOBS_EAGER="0", MINA_LIVE_TRANSCRIBER="pool",
        MINA_UPKEEP_EVERY_S="1", MINA_JOB_STALLED_S="3",
    )
    web = daphne(env)
    # The worker runs beat too (-B): the upkeep job comes from the broker, as in production.
    worker = celery_worker(env, "-B", "--schedule", str(tmp_path / "beat-schedule"))

    async def stream():
        mic = Microphone(web.address, meeting.id, token, read_pcm(SPEECH / "short.wav"))
        await mic.start()
        try:
            await mic.send_until()
            await mic.stop()
        finally:
            await mic.close()

    with running(web, worker, redis):
        redis.start()
        web.start()
        asyncio.run(stream())

        redis.kill()
        started = time.monotonic()
        status, body = http(web.address, f"/api/v1/meetings/{meeting.id}/end/", token=token, method="POST")
        took = time.monotonic() - started
        assert status == 200, body
        assert took < 20, f"ending took {took:.1f} s with the broker down"
        meeting.refresh_from_db()
        assert meeting.status == Meeting.Status.PROCESSING

        redis.start()
        worker.start()
        wait_for(lambda: Meeting.objects.get(pk=meeting.pk).status == Meeting.Status.READY, 120,
                 f"the careful pass queued again\n{worker.log()[-3000:]}")
        assert "job not queued" in web.log()
        assert "stalled job queued again" in worker.log()
    assert meeting.segments.filter(kind="refined").exists()
    assert Summary.objects.filter(meeting=meeting).exists()
