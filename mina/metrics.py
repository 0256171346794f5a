"""Prometheus metrics at /metrics: off unless MINA_METRICS is set.

What this process counted (core/metrics.py: sockets, live streams, finals' latency, the
real-time factor, jobs; plus prometheus-client's process metrics), and what is read at
scrape time and so is right across every process: recordings and meetings by state from
the database, jobs waiting per queue from the broker.

Who may scrape: with MINA_METRICS_TOKEN, whoever sends it as a Bearer token; without
one, this machine only (a loopback address, not through a proxy). Everyone else gets 404,
as when metrics are off: a scanner learns nothing, and the log says why a scrape failed.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
from collections.abc import Iterator

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from core.ratelimit import client_address
from mina import broker
from transcription import usage

logger = logging.getLogger(__name__)

# A reverse proxy adds these: through one, every request would come from loopback.
FORWARDED = ("HTTP_X_FORWARDED_FOR", "HTTP_FORWARDED", "HTTP_X_REAL_IP")


@never_cache
def serve(request: HttpRequest) -> HttpResponse:
    if not settings.MINA_METRICS:
        raise Http404
    refused = _refusal(request)
    if refused:
        logger.warning("metrics scrape refused from=%s (%s)", client_address(request), refused)
        raise Http404
    return HttpResponse(generate_latest(REGISTRY), content_type=CONTENT_TYPE_LATEST)


def _refusal(request: HttpRequest) -> str:
    """Why this request may not scrape, or "" when it may."""
    token = settings.MINA_METRICS_TOKEN
    if token:
        given = request.headers.get("Authorization", "")
        return "" if hmac.compare_digest(given.encode(), f"Bearer {token}".encode()) else "wrong or missing token"
    if any(name in request.META for name in FORWARDED):
        return "no token set, and the request came through a proxy"
    try:
        local = ipaddress.ip_address(client_address(request)).is_loopback
    except ValueError:
        local = False
    return "" if local else "no token set, and not from a loopback address"


def queue_depths() -> dict[str, int]:
    """Jobs waiting in each queue, as the broker holds them: the embedded runner's memory
    broker in this process, or Redis (its lists' lengths, every priority summed)."""
    with broker.connected() as connection:
        return broker.waiting(connection, broker.queues())


class AcrossProcesses(Collector):
    """Read at each scrape; a source that is down reads as `mina_source_up 0`."""

    def describe(self) -> list[GaugeMetricFamily]:
        return []  # registering must not read the database (too early, at import)

    def collect(self) -> Iterator[GaugeMetricFamily]:
        up = GaugeMetricFamily("mina_source_up", "Whether a scrape-time source answered.", labels=["source"])
        recordings = GaugeMetricFamily(
            "mina_recordings", "Recordings by source and status (live and receiving: streams open or resumable).",
            labels=["source", "status"],
        )
        meetings = GaugeMetricFamily("mina_meetings", "Meetings by status.", labels=["status"])
        try:
            for (source, status), count in usage.recording_counts().items():
                recordings.add_metric([source, status], count)
            for status, count in usage.meeting_counts().items():
                meetings.add_metric([status], count)
            up.add_metric(["database"], 1)
        except Exception as exc:
            logger.warning("metrics: database not read (%s)", type(exc).__name__)
            up.add_metric(["database"], 0)
        queues = GaugeMetricFamily("mina_queue_depth", "Jobs waiting in each queue (the broker's).", labels=["queue"])
        try:
            for queue, depth in queue_depths().items():
                queues.add_metric([queue], depth)
            up.add_metric(["broker"], 1)
        except Exception as exc:
            logger.warning("metrics: broker not read (%s)", type(exc).__name__)
            up.add_metric(["broker"], 0)
        yield from (up, recordings, meetings, queues)


REGISTRY.register(AcrossProcesses())
