"""A webhook delivery whose Celery worker is killed mid-request (scaled mode): the job was
never acknowledged, and the next worker to start sends it; the receiver sees one event."""

import pytest
import redis as redis_client
from celery import Celery

from integrations import services
from integrations.models import Delivery
from meetings.services import task_create
from tests.faults.conftest import scaled_only
from tests.faults.processes import Redis, celery_worker, running, server_env, wait_for
from tests.integrations.conftest import Receiver

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow, scaled_only]

STALL_S = 20  # the receiver's first answer: far longer than the test waits to kill


def _send_queued(broker_url, queued):
    """What `enqueue` does on commit in a web process of the scaled mode."""
    # Not the current app: tasks after this test must keep using Mina's own app.
    app = Celery("faults", broker=broker_url, set_as_current=False)
    try:
        for name, args, options in queued:
            app.send_task(name, args=list(args), **options)
    finally:
        app.close()


def _unacked_jobs(redis):
    client = redis_client.Redis.from_url(redis.url)
    try:
        return client.hlen("unacked")  # kombu's Redis transport keeps jobs taken, not acknowledged, here
    finally:
        client.close()


def test_a_delivery_whose_worker_is_killed_mid_request_is_sent_once_a_worker_starts(workspace, owner, settings):
    settings.MINA_WEBHOOKS_ALLOW_PRIVATE = True
    receiver = Receiver()
    receiver.delay_s = STALL_S
    receiver.start()
    redis = Redis()
    # The production visibility timeout (an hour): the job comes back through the
    # starting worker's requeue of pending deliveries, not through Redis' restore.
    env = server_env(
        REDIS_URL=redis.url, MINA_JOBS_EAGER="0", MINA_WEBHOOKS_ALLOW_PRIVATE="1", MINA_WEBHOOK_TIMEOUT_S="30"
    )
    first, second = celery_worker(env), celery_worker(env)
    membership = owner.memberships.get(workspace=workspace)
    try:
        with running(first, second, redis):
            redis.start()
            first.start().wait_for_log("ready", timeout=60)
            endpoint = services.endpoint_create(membership=membership, url=receiver.url, events=["task.created"])
            receiver.secret = endpoint.secret
            queued = []
            with pytest.MonkeyPatch.context() as patch:
                patch.setattr(services, "enqueue", lambda name, *args, **options: queued.append((name, args, options)))
                task_create(membership=membership, title="Fix the login error")
            _send_queued(redis.url, queued)

            wait_for(lambda: receiver.requests, 30, "the first worker's request")
            first.kill()  # mid-request: the receiver has not answered
            delivery = Delivery.objects.get()
            assert (delivery.status, delivery.attempts) == ("pending", 0)
            # acks_late: the dead worker's job is still unacknowledged in the broker.
            assert _unacked_jobs(redis) == 1

            receiver.delay_s = 0  # the receiver answers again
            second.start()
            wait_for(lambda: Delivery.objects.filter(status="delivered").exists(), 60, "the delivery")
    finally:
        receiver.stop()

    delivery.refresh_from_db()
    assert delivery.attempts == 1 and delivery.response_code == 200
    # Twice on the wire (the first never answered), one event: the receiver drops the
    # repeat by X-Mina-Delivery, as docs/api.md tells it to.
    assert [r["headers"]["X-Mina-Delivery"] for r in receiver.requests] == [str(delivery.event_id)] * 2
    assert all(r["signed"] for r in receiver.requests)
    assert receiver.requests[0]["body"]["data"]["task"]["title"] == "Fix the login error"
