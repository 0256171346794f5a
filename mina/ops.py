"""What the operations page in the admin shows (mina/ops_views.py): plain reads, one
function per section, each cheap enough to run every few seconds.

Everything here reads across every workspace: staff only, never behind a member's request.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.db.models.fields.json import KeyTransform
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from ask.models import MeetingIndex
from integrations.models import Delivery, OutgoingMail
from meetings.models import Meeting
from mina import broker, health
from transcription.jobs import stalled_meetings
from transcription.models import Recording

logger = logging.getLogger(__name__)

# Cores one live speaker costs: the design's ceiling, and what was measured on the 2-core
# development machine (0.10-0.28 a stream, docs/performance.md).
CORES_PER_STREAM = 0.25
# A receiving stream touches its recording every 10 s (transcription/consumers/audio.py):
# one quiet for longer was dropped and may still resume.
STREAMING_WITHIN_S = 30
FAILURES_SHOWN = 20
LIVE_MEETINGS_SHOWN = 50


# --- Health ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Component:
    name: str
    up: bool
    ms: float
    error: str = ""


def components() -> list[Component]:
    """The checks of /health/detailed, run now."""
    return [
        Component(name, c["status"] == "up", float(c["ms"]), str(c.get("error", "")))  # type: ignore[arg-type]
        for name, c in health.components().items()
    ]


# --- Live meetings and their streams ------------------------------------------------------


@dataclass(frozen=True)
class Stream:
    """One participant's live stream, from the stats it saves (Recording.stats)."""

    recording_id: int
    speaker: str
    state: str  # streaming | dropped (may resume) | stopped
    audio_s: float
    real_time_factor: float | None  # the speech model's time per second of audio
    final_ms: tuple[int | None, int | None]  # latency, median and p90
    partial_ms: tuple[int | None, int | None]
    finals: int
    partials: int
    partials_skipped: int
    overloads: int  # periods under strain, ended ones
    overloaded_s: float

    @classmethod
    def of(cls, recording: Recording, stats: dict[str, Any], now: datetime) -> Stream:
        stats = {key: value for key, value in stats.items() if value is not None}
        audio_ms = stats.get("audio_ms") or 0
        return cls(
            recording_id=recording.pk,
            speaker=recording.participant.name if recording.participant else f"recording {recording.pk}",
            state=_stream_state(recording, now),
            audio_s=audio_ms / 1000,
            real_time_factor=stats.get("processing_ms", 0) / audio_ms if audio_ms else None,
            final_ms=_median_p90(stats.get("final_latency_ms")),
            partial_ms=_median_p90(stats.get("partial_latency_ms")),
            finals=stats.get("finals", 0),
            partials=stats.get("partials", 0),
            partials_skipped=stats.get("partials_skipped", 0),
            overloads=len(stats.get("overload_periods") or []),
            overloaded_s=(stats.get("overloaded_ms") or 0) / 1000,
        )


def _stream_state(recording: Recording, now: datetime) -> str:
    if recording.status != Recording.Status.RECEIVING:
        return "stopped"
    heard = recording.last_audio_at
    return "streaming" if heard and now - heard < timedelta(seconds=STREAMING_WITHIN_S) else "dropped"


def _median_p90(latency: dict[str, Any] | None) -> tuple[int | None, int | None]:
    latency = latency or {}
    return latency.get("median"), latency.get("p90")


# What the page shows of a stream's stats, read in the database: a long stream's stats hold
# a thousand latencies of each kind, and decoding them all took most of the section's time.
STATS_SHOWN = [
    "audio_ms",
    "processing_ms",
    "finals",
    "partials",
    "partials_skipped",
    "final_latency_ms",
    "partial_latency_ms",
    "overload_periods",
    "overloaded_ms",
]


@dataclass
class LiveMeeting:
    id: int
    title: str
    workspace: str
    started_at: datetime | None
    streams: list[Stream] = field(default_factory=list)


def live_meetings() -> list[LiveMeeting]:
    """Meetings live now, newest first, with their streams: two queries."""
    meetings = {
        m.pk: LiveMeeting(m.pk, m.title, m.workspace.name, m.started_at)
        for m in Meeting.objects.filter(status=Meeting.Status.LIVE)
        .select_related("workspace")
        .order_by("-started_at", "-id")[:LIVE_MEETINGS_SHOWN]
    }
    now = timezone.now()
    for recording in (
        Recording.objects.filter(meeting__in=list(meetings), source=Recording.Source.LIVE)
        .defer("stats", "speakers")
        .annotate(**{f"stats_{key}": KeyTransform(key, "stats") for key in STATS_SHOWN})
        .select_related("participant")
        .order_by("offset_ms", "id")
    ):
        stats = {key: getattr(recording, f"stats_{key}") for key in STATS_SHOWN}
        meetings[recording.meeting_id].streams.append(Stream.of(recording, stats, now))
    return list(meetings.values())


def streaming_now() -> int:
    """Live streams sending audio now, on any server."""
    recent = timezone.now() - timedelta(seconds=STREAMING_WITHIN_S)
    return Recording.objects.filter(status=Recording.Status.RECEIVING, last_audio_at__gte=recent).count()


# --- Job queues and failures ---------------------------------------------------------------


@dataclass(frozen=True)
class QueueRow:
    name: str
    waiting: int | None  # None: the broker did not answer
    running: int | None
    retrying: int | None
    failed: int | None  # None: nothing keeps this queue's failures (live jobs)


@dataclass(frozen=True)
class Queues:
    broker: str  # "embedded job runner" or "Redis"
    up: bool
    error: str
    rows: list[QueueRow]
    stalled: int  # processing meetings whose job did not move (the upkeep job queues them again)


def queues() -> Queues:
    names = broker.queues()
    failed = _failed_counts()
    kind = "embedded job runner" if broker.in_process() else "Redis"
    stalled = stalled_meetings().count()
    try:
        with broker.connected() as connection:
            waiting = broker.waiting(connection, names)
            held = broker.held(connection, names)
    except Exception as exc:  # the broker is down: say so, show the rest
        logger.warning("operations page: broker not read (%s)", type(exc).__name__)
        rows = [QueueRow(name, None, None, None, failed.get(name)) for name in names]
        return Queues(kind, False, str(exc)[:200] or type(exc).__name__, rows, stalled)
    rows = [
        QueueRow(name, waiting[name] + held[name].taken, held[name].running, held[name].retrying, failed.get(name))
        for name in names
    ]
    return Queues(kind, True, "", rows, stalled)


def _failed_counts() -> dict[str, int]:
    """Jobs failed for good, by their queue, as their rows say (no broker keeps them)."""
    counts = {queue: 0 for queue in broker.queues() if queue != "realtime"}
    counts["default"] += (
        Recording.objects.filter(status=Recording.Status.FAILED).count()
        + _failed_meetings().count()
        + MeetingIndex.objects.filter(status=MeetingIndex.Status.FAILED).count()
    )
    counts[settings.MINA_OUTBOUND_QUEUE] += Delivery.objects.filter(status=Delivery.Status.FAILED).count()
    return counts


def _failed_meetings() -> QuerySet[Meeting]:
    """Failed meetings none of whose recordings failed (those are retried one by one)."""
    return Meeting.objects.filter(status=Meeting.Status.FAILED).exclude(recordings__status=Recording.Status.FAILED)


@dataclass(frozen=True)
class Failure:
    kind: str  # recording | meeting | index | delivery
    id: int
    what: str
    workspace: str
    error: str
    at: datetime | None
    retry: bool  # the page offers "retry" (a delivery is tried again by its own schedule)
    admin_url: str


def failures() -> list[Failure]:
    """The latest failures of every kind, newest first: one query per kind."""
    found = []
    recordings = Recording.objects.filter(status=Recording.Status.FAILED).select_related("meeting__workspace")
    for recording in recordings.order_by("-updated_at")[:FAILURES_SHOWN]:
        found.append(
            Failure(
                kind="recording",
                id=recording.pk,
                workspace=recording.meeting.workspace.name,
                what=f"{recording.get_source_display()} recording of “{recording.meeting.title}”",
                error=recording.error,
                at=recording.updated_at,
                retry=bool(recording.file),
                admin_url=reverse("admin:transcription_recording_change", args=[recording.pk]),
            )
        )
    meetings = _failed_meetings().select_related("workspace").annotate(at=Coalesce("ended_at", "created_at"))
    for meeting in meetings.order_by("-at")[:FAILURES_SHOWN]:
        found.append(
            Failure(
                kind="meeting",
                id=meeting.pk,
                workspace=meeting.workspace.name,
                what=f"“{meeting.title}”",
                error=meeting.error,
                at=meeting.at,
                retry=True,
                admin_url=reverse("admin:meetings_meeting_change", args=[meeting.pk]),
            )
        )
    indexes = MeetingIndex.objects.filter(status=MeetingIndex.Status.FAILED).select_related("meeting__workspace")
    for index in indexes.order_by("-updated_at")[:FAILURES_SHOWN]:
        found.append(
            Failure(
                kind="index",
                id=index.meeting_id,
                workspace=index.meeting.workspace.name,
                what=f"Ask Mina's index of “{index.meeting.title}”",
                error=index.error,
                at=index.updated_at,
                retry=True,
                admin_url=reverse("admin:meetings_meeting_change", args=[index.meeting_id]),
            )
        )
    deliveries = Delivery.objects.filter(status=Delivery.Status.FAILED).select_related("endpoint__workspace")
    for delivery in deliveries.order_by("-id")[:FAILURES_SHOWN]:
        found.append(
            Failure(
                kind="delivery",
                id=delivery.pk,
                workspace=delivery.endpoint.workspace.name,
                what=f"Webhook {delivery.event} to {delivery.endpoint.url}",
                error=delivery.error,
                at=delivery.last_attempt_at or delivery.created_at,
                retry=True,
                admin_url=reverse("admin:integrations_delivery_change", args=[delivery.pk]),
            )
        )
    mails = OutgoingMail.objects.filter(status=OutgoingMail.Status.FAILED).select_related("user")
    for mail in mails.order_by("-id")[:FAILURES_SHOWN]:
        found.append(
            Failure(
                kind="mail",
                id=mail.pk,
                workspace="",
                what=f"{mail.get_kind_display()} ({mail.key}) to {mail.user.email}",
                error=mail.error,
                at=mail.created_at,
                retry=True,
                admin_url=reverse("admin:integrations_outgoingmail_change", args=[mail.pk]),
            )
        )
    return sorted(found, key=lambda f: f.at.timestamp() if f.at else 0, reverse=True)[:FAILURES_SHOWN]


# --- Capacity ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Capacity:
    cores: int
    load: float | None  # the 1-minute load average
    per_stream: float
    streaming: int
    more_speakers: int | None


def capacity() -> Capacity:
    """How many more live speakers this machine could take, from its idle cores."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    try:
        load: float | None = os.getloadavg()[0]
    except OSError:
        load = None
    more = None if load is None else speakers_left(cores=cores, load=load)
    return Capacity(cores, load, CORES_PER_STREAM, streaming_now(), more)


def speakers_left(*, cores: int, load: float, per_stream: float = CORES_PER_STREAM) -> int:
    """The idle cores (the load average counts what runs now, live streams included),
    each `per_stream` of them a speaker more."""
    return int(max(0.0, cores - load) // per_stream)
