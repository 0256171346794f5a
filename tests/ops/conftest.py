"""Data the operations page tests share: an operator, a live meeting whose stream saved its
stats, an upload that failed for good."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from meetings.models import Meeting, Participant
from tests.conftest import SPEECH
from tests.e2e.conftest import browser, new_page, pytest_runtest_setup, screenshot  # noqa: F401 (the browser test's)
from tests.factories import MeetingFactory, UserFactory
from transcription import live
from transcription.models import Recording

# How a stream's stats look after two minutes of audio (live.StreamStats writes them).
STATS = live.StreamStats(
    audio_ms=120_000,
    processing_ms=24_000,
    partials=40,
    partials_skipped=3,
    finals=12,
    final_latencies_ms=[300, 320, 350, 380, 400, 420, 450, 500, 600, 900],
    partial_latencies_ms=[200, 250, 300, 310, 700],
    overload_periods=[{"start_ms": 30_000, "end_ms": 34_000}],
).as_json()


@pytest.fixture
def operator(db: Any) -> Any:
    return UserFactory(is_staff=True, is_superuser=True)


@pytest.fixture
def operator_client(client: Any, operator: Any) -> Any:
    client.force_login(operator)
    return client


@pytest.fixture
def live_meeting(workspace: Any, owner: Any) -> Meeting:
    """Live for ten minutes; Carol streams now, Dave's stream dropped a minute ago."""
    meeting = MeetingFactory(
        workspace=workspace,
        organizer=owner,
        title="Design sync",
        status=Meeting.Status.LIVE,
        started_at=timezone.now() - timedelta(minutes=10),
    )
    for name, heard, stats in [("Carol", timezone.now(), STATS), ("Dave", timezone.now() - timedelta(minutes=1), {})]:
        Recording.objects.create(
            meeting=meeting,
            participant=Participant.objects.create(meeting=meeting, name=name),
            source=Recording.Source.LIVE,
            status=Recording.Status.RECEIVING,
            last_audio_at=heard,
            stats=stats,
        )
    return meeting


@pytest.fixture
def failed_upload(workspace: Any, owner: Any) -> Recording:
    """An upload whose job gave up: the file is real audio, so a retry can succeed."""
    meeting = MeetingFactory(
        workspace=workspace,
        organizer=owner,
        title="Vendor review",
        status=Meeting.Status.FAILED,
        error="Gave up after 6 tries: the engine was away",
    )
    recording = Recording(
        meeting=meeting,
        source=Recording.Source.UPLOAD,
        status=Recording.Status.FAILED,
        attempts=3,
        duration_ms=4000,
        error="Gave up after 6 tries: the engine was away",
        uploaded_by=owner,
    )
    recording.file.save("short.wav", ContentFile((SPEECH / "short.wav").read_bytes()), save=False)
    recording.save()
    return recording
