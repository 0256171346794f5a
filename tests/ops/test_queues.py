"""The job queues on the operations page: what waits, runs and waits for a retry, read from
the embedded job runner, and from Redis when scaled."""

from __future__ import annotations

import re
import threading
import time

import pytest
from celery import Celery
from django.conf import settings
from kombu import Connection

from core.jobs import QUEUES
from mina import embedded
from mina.celery import app
from tests.servers import redis_server

PAGE = "/admin/ops/queues/"
released = threading.Event()


@app.task(name="tests.ops.hold")
def hold():
    released.wait(30)


@app.task(name="tests.ops.always_later", bind=True, max_retries=3)
def always_later(self):
    raise self.retry(countdown=600)


def counts(client):
    """{queue: [waiting, running, retrying, failed]} as the page shows them."""
    html = client.get(PAGE).content.decode()
    rows = re.findall(r'<tr id="queue-(\w+)">(.*?)</tr>', html, re.S)
    return {name: re.sub(r"<[^>]+>", " ", cells).split()[1:] for name, cells in rows}


def wait_for(client, expected, timeout=15):
    deadline = time.monotonic() + timeout
    while (found := counts(client)) != expected and time.monotonic() < deadline:
        time.sleep(0.1)
    return found


@pytest.fixture
def runner(settings):
    """The embedded job runner in this process, as `manage.py serve` starts it."""
    if settings.SCALED:
        pytest.skip("the embedded runner is for the embedded mode")
    app.conf.task_always_eager = False
    released.clear()
    worker = embedded.start_worker()
    try:
        yield worker
    finally:
        released.set()
        worker.stop(in_sighandler=False)
        app.conf.task_always_eager = True
        with app.connection_for_write() as connection:
            for queue in QUEUES:
                connection.default_channel.queue_purge(queue)


@pytest.mark.django_db(transaction=True)
def test_embedded_the_runner_says_what_runs_and_what_waits_for_a_retry(runner, operator_client):
    always_later.delay()
    assert wait_for(operator_client, {"default": ["0", "0", "1", "0"], "realtime": ["0", "0", "0", "—"], "outbound": ["0", "0", "0", "0"]}) == {
        "default": ["0", "0", "1", "0"],
        "realtime": ["0", "0", "0", "—"],
        "outbound": ["0", "0", "0", "0"],
    }
    # Three threads take three jobs; the fourth waits in the queue.
    for _ in range(4):
        hold.delay()
    expected = {"default": ["1", "3", "1", "0"], "realtime": ["0", "0", "0", "—"], "outbound": ["0", "0", "0", "0"]}
    assert wait_for(operator_client, expected) == expected
    released.set()
    expected = {"default": ["0", "0", "1", "0"], "realtime": ["0", "0", "0", "—"], "outbound": ["0", "0", "0", "0"]}
    assert wait_for(operator_client, expected) == expected


@pytest.mark.slow
@pytest.mark.redis
@pytest.mark.django_db
@pytest.mark.skipif(not settings.SCALED, reason="the scaled run (REDIS_URL set) only")
def test_scaled_the_numbers_come_from_redis(operator_client, settings):
    with redis_server() as redis_url:
        settings.CELERY_BROKER_URL = redis_url
        sender = Celery("sender", broker=redis_url, set_as_current=False)
        # Jobs as web processes queue them: a retry first (held until its countdown), three
        # meeting jobs, and a live final at its priority.
        sender.send_task("transcription.tasks.process_meeting", args=[1], queue="default", countdown=600)
        for meeting_id in (2, 3, 4):
            sender.send_task("transcription.tasks.process_meeting", args=[meeting_id], queue="default")
        sender.send_task("transcription.tasks.transcribe_realtime", args=[], queue="realtime", priority=9)
        assert counts(operator_client) == {"default": ["4", "0", "0", "0"], "realtime": ["1", "0", "0", "—"],
                                           "outbound": ["0", "0", "0", "0"]}

        # A worker takes the retry (to wait out its countdown) and two meeting jobs, and
        # acknowledges none of them yet: meeting jobs are acknowledged when they end.
        with Connection(redis_url) as worker:
            taken = worker.SimpleQueue("default", no_ack=False)
            for _ in range(3):
                taken.get(timeout=5)
            assert counts(operator_client) == {
                "default": ["1", "2", "1", "0"], "realtime": ["1", "0", "0", "—"], "outbound": ["0", "0", "0", "0"],
            }
            taken.close()
