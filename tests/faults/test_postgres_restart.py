"""PostgreSQL drops every connection (as in a restart or a failover) during traffic."""

import asyncio
import json
import threading
import time

import pytest
from django.db import connection

from meetings.models import Meeting
from tests.conftest import SPEECH
from tests.faults.clients import Watcher, http, multipart, wait_until
from tests.faults.conftest import scaled_only
from tests.faults.processes import Redis, celery_worker, daphne, running, server_env, wait_for
from tests.sockets import access_token

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow, scaled_only]


def _terminate_other_connections():
    """Every connection to the test database but this one: the web process's, the worker's."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return len(cursor.fetchall())


def _upload(address, meeting_id, token):
    body, content_type = multipart("file", "short.wav", (SPEECH / "short.wav").read_bytes())
    status, _ = http(address, f"/api/v1/meetings/{meeting_id}/recordings/", token=token, method="POST",
                     body=body, content_type=content_type)
    assert status == 201


def _meeting_status(meeting_id):
    return Meeting.objects.values_list("status", flat=True).get(pk=meeting_id)


class Traffic(threading.Thread):
    """API requests one after another until stopped: (started at, status)."""

    def __init__(self, address, path, token):
        super().__init__(daemon=True)
        self.address, self.path, self.token = address, path, token
        self.results, self.stopped = [], threading.Event()

    def run(self):
        while not self.stopped.is_set():
            started = time.monotonic()
            self.results.append((started, http(self.address, self.path, token=self.token, timeout=15)[0]))


def test_requests_sockets_and_jobs_succeed_after_postgres_drops_every_connection(meeting, owner):
    token = access_token(owner)
    redis = Redis()
    env = server_env(REDIS_URL=redis.url, MINA_JOBS_EAGER="0")
    web, worker = daphne(env), celery_worker(env)

    async def watch_across(terminate):
        watcher = Watcher(web.address, meeting.id, token)
        await watcher.connect()
        try:
            await asyncio.to_thread(terminate)
            await watcher.ws.send(json.dumps({"type": "sync", "after": 0}))
            await wait_until(lambda: len(watcher.of_type("snapshot")) == 2, 15, "a snapshot after the outage")
            fresh = Watcher(web.address, meeting.id, token)
            await fresh.connect()
            await fresh.close()
            return watcher.of_type("snapshot")[-1]
        finally:
            await watcher.close()

    with running(web, worker, redis):
        redis.start()
        worker.start()
        web.start()
        _upload(web.address, meeting.id, token)  # every process now holds pooled connections
        wait_for(lambda: _meeting_status(meeting.id) == Meeting.Status.READY, 90, "the first job")
        traffic = Traffic(web.address, f"/api/v1/meetings/{meeting.id}/", token)
        traffic.start()
        time.sleep(0.5)
        terminated_at = []

        def terminate():
            assert _terminate_other_connections() > 0
            terminated_at.append(time.monotonic())
            connection.close()

        snapshot = asyncio.run(watch_across(terminate))
        connection.close()  # this test's own connection was cut too
        wait_for(lambda: sum(started > terminated_at[0] for started, _ in traffic.results) >= 10, 30,
                 "requests after the outage")
        traffic.stopped.set()
        traffic.join(20)
        health, _ = http(web.address, "/health/detailed")
        _upload(web.address, meeting.id, token)
        wait_for(lambda: _meeting_status(meeting.id) != Meeting.Status.PROCESSING, 90, "a job after the outage")

    after = [status for started, status in traffic.results if started > terminated_at[0]]
    assert after and set(after) == {200}, traffic.results
    assert snapshot["segments"], "the socket read the database again"
    assert health == 200
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.READY, meeting.error
    assert meeting.recordings.filter(status="done").count() == 2
