"""/metrics: who may scrape, and the numbers right while a live stream runs."""

import asyncio
import json
import time
import urllib.error
import urllib.request

import pytest
import websockets
from celery import Celery
from django.conf import settings
from prometheus_client.parser import text_string_to_metric_families

from core.jobs import QUEUES, enqueue
from mina.celery import app
from tests.conftest import SPEECH
from tests.servers import daphne, redis_server
from tests.sockets import access_token
from tests.streaming import frames, read_pcm
from transcription.transcribers import _enqueue

pytestmark = pytest.mark.django_db

TOKEN = "a-long-random-scrape-token"


def samples(text):
    """{(name, ((label, value), ...)): value} of a scrape."""
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(scraped, name, **labels):
    return scraped.get((name, tuple(sorted(labels.items()))))


@pytest.fixture
def metrics_on(settings):
    settings.MINA_METRICS = True
    settings.MINA_METRICS_TOKEN = ""
    return settings


def test_metrics_are_not_found_unless_enabled(client, settings):
    settings.MINA_METRICS = False
    assert client.get("/metrics").status_code == 404


def test_without_a_token_this_machine_may_scrape(client, metrics_on):
    response = client.get("/metrics")  # the test client comes from 127.0.0.1
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    scraped = samples(response.content.decode())
    assert value(scraped, "mina_source_up", source="database") == 1
    assert ("process_resident_memory_bytes", ()) in scraped


def test_without_a_token_another_address_or_a_proxied_request_is_not_found(client, metrics_on):
    assert client.get("/metrics", REMOTE_ADDR="192.0.2.7").status_code == 404
    # Through a reverse proxy on this machine every request comes from loopback.
    assert client.get("/metrics", headers={"X-Forwarded-For": "192.0.2.7"}).status_code == 404


def test_with_a_token_only_the_token_may_scrape(client, metrics_on):
    metrics_on.MINA_METRICS_TOKEN = TOKEN
    assert client.get("/metrics").status_code == 404  # loopback is not enough any more
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 404
    assert client.get("/metrics", headers={"Authorization": TOKEN}).status_code == 404
    allowed = client.get("/metrics", REMOTE_ADDR="192.0.2.7", headers={"Authorization": f"Bearer {TOKEN}"})
    assert allowed.status_code == 200


def test_a_plain_http_scrape_is_not_redirected_to_https(client, metrics_on):
    metrics_on.SECURE_SSL_REDIRECT = True
    assert client.get("/metrics").status_code == 200


@app.task(name="tests.operators.fine")
def fine():
    return 1


@app.task(name="tests.operators.broken", autoretry_for=(ValueError,), max_retries=1, default_retry_delay=0)
def broken():
    raise ValueError("always")


def test_jobs_are_timed_and_failures_and_retries_counted(client, metrics_on):
    before = samples(client.get("/metrics").content.decode())
    fine.apply()
    broken.apply()
    after = samples(client.get("/metrics").content.decode())

    def grew(name, **labels):
        return (value(after, name, **labels) or 0) - (value(before, name, **labels) or 0)

    assert grew("mina_job_duration_seconds_count", task="tests.operators.fine", state="SUCCESS") == 1
    assert grew("mina_job_failures_total", task="tests.operators.broken") == 1
    assert grew("mina_job_retries_total", task="tests.operators.broken") == 1
    assert grew("mina_job_failures_total", task="tests.operators.fine") == 0
    assert grew("mina_job_duration_seconds_count", task="tests.operators.broken", state="RETRY") == 1
    assert value(after, "mina_jobs_running", task="tests.operators.broken") == 0


@pytest.mark.skipif(settings.SCALED, reason="the embedded runner's memory broker (the scaled run's is Redis)")
def test_queue_depth_counts_the_jobs_waiting_in_the_embedded_runner(client, metrics_on,
                                                                     django_capture_on_commit_callbacks):
    app.conf.task_always_eager = False  # queued for the runner, as `manage.py serve` does
    try:
        with django_capture_on_commit_callbacks(execute=True):
            for n in range(3):
                enqueue("transcription.tasks.ping", f"nonce-{n}")
        _enqueue("job", "reply-channel", "final", b"\0\0", None)
        scraped = samples(client.get("/metrics").content.decode())
    finally:
        app.conf.task_always_eager = settings.CELERY_TASK_ALWAYS_EAGER
        with app.connection_for_write() as connection:
            for queue in QUEUES:
                connection.default_channel.queue_purge(queue)
    assert value(scraped, "mina_queue_depth", queue="default") == 3
    assert value(scraped, "mina_queue_depth", queue="realtime") == 1
    assert value(scraped, "mina_source_up", source="broker") == 1


def scrape(address, token=None):
    request = urllib.request.Request(f"http://{address}/metrics")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=20) as response:  # noqa: S310 (loopback)
        return samples(response.read().decode())


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_scrape_while_a_live_stream_runs_counts_the_stream_and_its_finals(meeting, owner):
    token = access_token(owner)
    protocols = ["mina.v1", token]
    # One sentence, then a second of silence: the voice detector ends it while the stream stays open.
    pcm = read_pcm(SPEECH / "short.wav") + b"\0" * 32000

    async def next_event(ws, kind):
        while True:
            event = json.loads(await asyncio.wait_for(ws.recv(), 60))
            if event["type"] == kind:
                return event

    async def scenario(address):
        base = f"ws://{address}/ws/meetings/{meeting.id}"
        async with websockets.connect(f"{base}/", subprotocols=protocols) as watch, \
                websockets.connect(f"{base}/audio/", subprotocols=protocols) as mic:
            await next_event(watch, "snapshot")
            await mic.send(json.dumps({"type": "start", "sample_rate": 16000, "format": "pcm_s16le"}))
            await next_event(mic, "ready")
            for frame in frames(pcm):
                await mic.send(frame)
            await next_event(watch, "transcript.final")
            during = await asyncio.to_thread(scrape, address, TOKEN)
            await mic.send(json.dumps({"type": "stop"}))
            await next_event(mic, "stopped")
        # The server sees the sockets close a moment after the client.
        deadline = time.monotonic() + 10
        while True:
            after = await asyncio.to_thread(scrape, address, TOKEN)
            if value(after, "mina_sockets_open", socket="audio") == 0 or time.monotonic() > deadline:
                return during, after

    with daphne(MINA_METRICS="1", MINA_METRICS_TOKEN=TOKEN, MINA_LIVE_TRANSCRIBER="pool") as address:
        during, after = asyncio.run(scenario(address))
        with pytest.raises(urllib.error.HTTPError) as refused:
            scrape(address, "a-wrong-token")
    assert refused.value.code == 404

    assert value(during, "mina_live_streams") == 1
    assert value(during, "mina_sockets_open", socket="audio") == 1
    assert value(during, "mina_sockets_open", socket="meeting") == 1
    assert value(during, "mina_live_final_latency_seconds_count") == 1
    assert 0 < value(during, "mina_live_final_latency_seconds_sum") < 30
    assert value(during, "mina_live_audio_seconds_total") == pytest.approx(len(pcm) / 32000, abs=0.11)
    assert value(during, "mina_live_processing_seconds_total", kind="final") > 0
    # Read from the database: right whichever process holds the stream.
    assert value(during, "mina_recordings", source="live", status="receiving") == 1
    assert value(during, "mina_meetings", status="live") == 1

    assert value(after, "mina_live_streams") == 0
    assert value(after, "mina_sockets_open", socket="audio") == 0
    assert value(after, "mina_sockets_open", socket="meeting") == 0
    assert value(after, "mina_live_final_latency_seconds_count") == 1
    assert value(after, "mina_recordings", source="live", status="receiving") is None
    assert value(after, "mina_recordings", source="live", status="queued") == 1


@pytest.mark.slow
@pytest.mark.redis
@pytest.mark.skipif(not settings.SCALED, reason="the scaled run (REDIS_URL set) only")
def test_queue_depth_in_scaled_mode_is_read_from_redis_and_a_broker_down_reads_as_down():
    with redis_server() as redis_url:
        # Jobs as the web processes queue them, finals and drafts at their priorities; no worker takes them.
        sender = Celery("sender", broker=redis_url, set_as_current=False)
        for _ in range(2):
            sender.send_task("transcription.tasks.process_meeting", args=[1], queue="default")
        for priority in (0, 5, 9):
            sender.send_task("transcription.tasks.transcribe_realtime", args=[], queue="realtime", priority=priority)
        with daphne(REDIS_URL=redis_url, MINA_METRICS="1", MINA_METRICS_TOKEN=TOKEN) as address:
            scraped = scrape(address, TOKEN)
            assert value(scraped, "mina_queue_depth", queue="default") == 2
            assert value(scraped, "mina_queue_depth", queue="realtime") == 3
            assert value(scraped, "mina_source_up", source="broker") == 1

            sender.connection_for_write().default_channel.client.shutdown(nosave=True)
            started = time.monotonic()
            scraped = scrape(address, TOKEN)
            assert time.monotonic() - started < 5
            assert value(scraped, "mina_source_up", source="broker") == 0
            assert value(scraped, "mina_queue_depth", queue="default") is None
            assert value(scraped, "mina_source_up", source="database") == 1

