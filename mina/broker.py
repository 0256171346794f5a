"""The job queues as the broker holds them, for operators (`/metrics`, the operations page).

Waiting jobs are counted in the broker itself. Jobs a worker has taken are counted where
they are: embedded, the job runner is Celery's worker in this process, so its own
records say what runs and what waits for a retry's countdown; scaled, Redis keeps every
job a worker took and has not acknowledged in its `unacked` hash (meeting and upload
jobs are acknowledged when they end, so they stay there while they run).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from celery.worker import state
from django.conf import settings
from django.utils import timezone
from kombu import Connection
from kombu.exceptions import ChannelError

from core import jobs
from mina.celery import app


@dataclass
class Held:
    """Jobs of one queue taken by a worker: started, not started yet (a worker takes a
    job ahead, embedded only: in Redis the two look alike), or held for a retry's countdown."""

    running: int = 0
    taken: int = 0
    retrying: int = 0


def queues() -> list[str]:
    """Every queue a job may go to."""
    return jobs.queues()


def in_process() -> bool:
    """The embedded job runner's memory broker: it lives in this process."""
    return settings.CELERY_BROKER_URL.startswith("memory://")


@contextmanager
def connected() -> Iterator[Connection]:
    # The broker of the settings as they are now (a test may point it elsewhere); one
    # attempt, no retry: a broker that is down must not hold up the page or the scrape.
    with app.connection_for_read(url=settings.CELERY_BROKER_URL) as connection:
        connection.ensure_connection(max_retries=0)
        yield connection


def waiting(connection: Connection, names: Iterable[str]) -> dict[str, int]:
    """Jobs waiting in each queue (Redis: its lists' lengths, every priority summed)."""
    depths = {}
    channel = connection.default_channel
    for queue in names:
        try:
            depths[queue] = channel.queue_declare(queue=queue, passive=True).message_count
        except ChannelError:  # never declared, or emptied and gone (Redis): nothing waits
            depths[queue] = 0
    return depths


def held(connection: Connection, names: Iterable[str]) -> dict[str, Held]:
    """Jobs of each queue that a worker has taken and not finished."""
    found = {queue: Held() for queue in names}
    if in_process():
        _held_by_this_process(found)
    else:
        _held_in_redis(connection, found)
    return found


def _held_by_this_process(found: dict[str, Held]) -> None:
    active = _copy(state.active_requests)
    for request in active:
        if (queue := _queue_of(request)) in found:
            found[queue].running += 1
    for request in _copy(state.reserved_requests):
        if request not in active and (queue := _queue_of(request)) in found:
            found[queue].taken += 1
    for request in _copy(state.scheduled_requests):
        if (queue := _queue_of(request)) in found:
            found[queue].retrying += 1


def _queue_of(request: Any) -> str | None:
    return (request.delivery_info or {}).get("routing_key")


def _copy(requests: Any) -> list[Any]:
    """The worker's threads change these sets while we read them."""
    for _ in range(10):
        try:
            return list(requests)
        except RuntimeError:  # changed size during iteration
            continue
    return []


def _held_in_redis(connection: Connection, found: dict[str, Held]) -> None:
    channel: Any = connection.default_channel  # kombu's Redis channel: its client and key names
    now = timezone.now()
    for raw in channel.client.hvals(channel.unacked_key):
        message, _exchange, queue = json.loads(raw)
        if queue not in found:
            continue
        eta = (message.get("headers") or {}).get("eta")
        if eta and _aware(datetime.fromisoformat(eta)) > now:
            found[queue].retrying += 1
        else:
            found[queue].running += 1


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if timezone.is_naive(moment) else moment
