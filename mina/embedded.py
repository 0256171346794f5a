"""The embedded job runner: Celery's worker in a thread on the in-process memory broker,
a timer thread for periodic jobs, and recovery of jobs a restart interrupted.

Started by `manage.py serve` (what `make run` calls), never in AppConfig.ready, which
every management command runs.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from celery.worker import WorkController
from django.conf import settings

from ask.tasks import index_periodic
from core import jobs
from integrations.tasks import mail_periodic
from integrations.tasks import requeue as requeue_webhooks
from mina.celery import app
from transcription.jobs import recover_unfinished
from transcription.tasks import run_periodic

logger = logging.getLogger(__name__)


def start_worker() -> Any:
    app.finalize()
    app.set_current()
    app.set_default()
    worker = WorkController(
        app=app,
        pool="threads",
        # A long careful pass must not block the health ping or an upload.
        concurrency=3,
        queues=jobs.queues(),
        # One worker alone on its memory broker: taking a few jobs ahead robs no other
        # worker, and a burst (a summary's webhooks) drains without a poll between jobs.
        prefetch_multiplier=4,
        without_heartbeat=True,
        without_mingle=True,
        without_gossip=True,
        loglevel="WARNING",
    )
    thread = threading.Thread(target=worker.start, name="mina-jobs", daemon=True)
    thread.start()
    return worker


def start_timer() -> threading.Thread:
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(settings.MINA_UPKEEP_EVERY_S):
            run_periodic.delay()
            requeue_webhooks.delay()  # deliveries whose job was lost (the scaled run's beat does it too)
            mail_periodic.delay()  # digests whose hour has come, mail whose job was lost
            index_periodic.delay()  # Ask indexes whose job was lost

    thread = threading.Thread(target=loop, name="mina-timer", daemon=True)
    thread.start()
    return thread


def recover() -> None:
    count = recover_unfinished()
    if count:
        logger.info("recovered unfinished jobs=%s", count)
