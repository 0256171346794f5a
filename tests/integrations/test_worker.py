"""Nothing lost while the receiver is down, or when the job was lost with a worker:
a real Celery worker (the embedded runner's thread) retries with back-off."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from integrations import services, tasks
from integrations.models import Delivery
from meetings.services import task_create
from mina import embedded
from mina.celery import app

pytestmark = pytest.mark.django_db(transaction=True)


def _wait_for(condition, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError("timed out")


def test_events_sent_while_the_receiver_is_down_arrive_once_it_is_back(
    worker, endpoint, receiver, admin_membership, settings
):
    settings.MINA_WEBHOOK_RETRY_BASE_S = 1  # 1 s, 2 s, 4 s … between attempts
    receiver.stop()
    for title in ("Fix the login error", "Write the survey report"):
        task_create(membership=admin_membership, title=title)
    _wait_for(lambda: Delivery.objects.filter(attempts__gte=2).count() == 2)
    assert Delivery.objects.filter(status="pending").count() == 2
    receiver.start()  # back on the same port
    _wait_for(lambda: Delivery.objects.filter(status="delivered").count() == 2)
    titles = sorted(r["body"]["data"]["task"]["title"] for r in receiver.requests)
    assert titles == ["Fix the login error", "Write the survey report"]
    assert all(r["signed"] for r in receiver.requests)
    waits = [d.last_attempt_at - d.created_at for d in Delivery.objects.all()]
    assert all(w.total_seconds() >= 2 for w in waits)  # backed off, not hammered


def test_a_delivery_whose_job_was_lost_is_sent_when_a_worker_starts(endpoint, receiver, admin_membership, settings):
    # As if the process died with the job in its queue: the row is pending, no job exists.
    settings.CELERY_TASK_ALWAYS_EAGER = False
    app.conf.task_always_eager = False
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(services, "enqueue", lambda *args, **kwargs: None)
            task_create(membership=admin_membership, title="Fix the login error")
        assert Delivery.objects.get().status == "pending" and receiver.requests == []
        worker = embedded.start_worker()  # worker_init queues every pending delivery
        try:
            _wait_for(lambda: Delivery.objects.filter(status="delivered").exists())
        finally:
            worker.stop(in_sighandler=False)
    finally:
        app.conf.task_always_eager = True
    assert receiver.requests[0]["body"]["data"]["task"]["title"] == "Fix the login error"
    assert receiver.requests[0]["signed"]


def test_the_periodic_job_queues_again_only_deliveries_whose_job_was_lost(endpoint, receiver, admin_membership):
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(services, "enqueue", lambda *args, **kwargs: None)
        task_create(membership=admin_membership, title="Lost")
        task_create(membership=admin_membership, title="Waiting for its retry")
    lost, waiting = Delivery.objects.order_by("id")
    Delivery.objects.filter(pk=lost.pk).update(next_attempt_at=timezone.now() - timedelta(minutes=10))
    Delivery.objects.filter(pk=waiting.pk).update(next_attempt_at=timezone.now() + timedelta(minutes=1))
    tasks.requeue()
    assert [r["body"]["data"]["task"]["title"] for r in receiver.requests] == ["Lost"]
    assert Delivery.objects.get(pk=waiting.pk).status == "pending"
