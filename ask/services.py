"""Writes of the index: a meeting's passages embedded and stored, and the workspace's
index version moved on so every process rebuilds its matrix (vectors.py)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

import numpy as np
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from core.jobs import enqueue
from meetings.models import UNNAMED, Meeting
from transcription import selectors as transcript_selectors
from transcription.models import Segment

from . import embedder
from .models import MeetingIndex, Passage, WorkspaceIndex

logger = logging.getLogger(__name__)

INDEX_MEETING = "ask.tasks.index_meeting"
# Windows of lines (see _windows) embedded per call, progress saved between calls.
BATCH = 16


def index_request(*, meeting_id: int) -> None:
    """Mark the meeting's index pending (questions meanwhile say they are partial) and
    queue the job that rebuilds it, on commit."""
    meeting = Meeting.objects.filter(pk=meeting_id).only("id", "workspace_id").first()
    if meeting is None:
        return
    MeetingIndex.objects.update_or_create(
        meeting=meeting,
        defaults={"workspace_id": meeting.workspace_id, "status": MeetingIndex.Status.PENDING, "attempts": 0},
    )
    enqueue(INDEX_MEETING, meeting_id)


def _speaker(segment: Segment) -> str:
    return segment.participant.name if segment.participant else ""


def _said(segment: Segment) -> str:
    name = _speaker(segment)
    return f"{name}: {segment.text}" if name else segment.text


def _window_text(segments: list[Segment], window: range) -> str:
    """The lines of a window as embedded: a speaker's name where the speaker changes, and
    only once named. "Speaker 2" says nothing about what was said (naming the voice
    indexes the meeting again), and a name repeated on each line of one turn only adds to
    the words embedded: together an eighth of them on a 20-minute meeting."""
    lines, previous = [], None
    for segment in (segments[i] for i in window):
        name = _speaker(segment)
        if UNNAMED.fullmatch(name):
            name = ""
        lines.append(f"{name}: {segment.text}" if name and name != previous else segment.text)
        previous = name
    return "\n".join(lines)


def _windows(count: int) -> list[range]:
    """Windows of three lines, one starting at every other line (0, 2, 4, …): a line where
    two windows overlap is in both, the line between is in one, so each line's vector
    differs from its neighbours', while every line is embedded about 1.5 times (a line
    plus a window around it was twice: the cost is in the words embedded,
    docs/architecture.md). The first two lines would share the first window alone, and
    so would the last two when the last window ends at its middle: the first line, and
    then the last, is also a window of its own."""
    if not count:
        return []
    windows = [range(start, min(count, start + 3)) for start in range(0, max(1, count - 1), 2)]
    if count >= 2:
        windows.append(range(0, 1))
    if count >= 3 and count % 2:
        windows.append(range(count - 1, count))
    return windows


def _line_vectors(windows: list[range], embedded: np.ndarray, count: int) -> np.ndarray:
    """Each line's vector: the windows that hold it, summed and renormalised."""
    lines = np.zeros((count, embedded.shape[1] if len(embedded) else 0), dtype=np.float32)
    for window, vector in zip(windows, embedded, strict=True):
        lines[window.start : window.stop] += vector
    return lines / np.linalg.norm(lines, axis=1, keepdims=True)


def meeting_index(*, meeting_id: int, on_progress: Callable[[int], None] | None = None) -> int:
    """Embed the meeting's transcript, one passage per line (its vector from the windows
    that hold it), and replace its passages at once; returns how many. A deleted meeting
    has none."""
    meeting = Meeting.objects.filter(pk=meeting_id).only("id", "workspace_id").first()
    if meeting is None:
        return 0
    state, _ = MeetingIndex.objects.update_or_create(
        meeting=meeting,
        defaults={"workspace_id": meeting.workspace_id, "status": MeetingIndex.Status.INDEXING, "progress": 0},
    )
    MeetingIndex.objects.filter(pk=state.pk).update(attempts=F("attempts") + 1)
    segments = list(transcript_selectors.segment_list(meeting=meeting).exclude(fallback=Segment.Fallback.INAUDIBLE))
    said = [_said(s) for s in segments]
    windows = _windows(len(said))
    embedded = []
    for start in range(0, len(windows), BATCH):
        batch = windows[start : start + BATCH]
        embedded.append(embedder.passages([_window_text(segments, window) for window in batch]))
        percent = 100 * (start + len(batch)) // len(windows)
        # updated_at too (update() skips auto_now): an index that moves is not stalled.
        MeetingIndex.objects.filter(pk=state.pk).update(progress=percent, updated_at=timezone.now())
        if on_progress:
            on_progress(percent)
    matrix = _line_vectors(windows, np.concatenate(embedded) if embedded else np.zeros((0, 0)), len(said))
    passages = [
        Passage(
            workspace_id=meeting.workspace_id,
            meeting_id=meeting.id,
            segment_id=s.id,
            participant_id=s.participant_id,
            position=i,
            start_ms=s.start_ms,
            line=s.text,
            before=said[i - 1] if i else "",
            after=said[i + 1] if i + 1 < len(said) else "",
            vector=matrix[i].astype(np.float32).tobytes(),
        )
        for i, s in enumerate(segments)
    ]
    with transaction.atomic():
        # Lines deleted while we embedded (a careful pass run again) are left out; the
        # change that deleted them has queued another run anyway.
        alive = set(Segment.objects.filter(id__in=[p.segment_id for p in passages]).values_list("id", flat=True))
        if not Meeting.objects.filter(pk=meeting.id).exists():
            return 0
        Passage.objects.filter(meeting_id=meeting.id).delete()
        Passage.objects.bulk_create([p for p in passages if p.segment_id in alive], batch_size=500)
        MeetingIndex.objects.filter(pk=state.pk).update(
            status=MeetingIndex.Status.DONE, progress=100, passages=len(alive), error=""
        )
        workspace_index_bump(workspace_id=meeting.workspace_id)
    logger.info("indexed meeting=%s passages=%s", meeting.id, len(alive))
    return len(alive)


def indexes_requeue(*, stalled_before: datetime) -> int:
    """Queue again the meetings whose index job was lost (the broker away when it was
    queued, a worker killed mid-way): pending or indexing, and not moved since
    `stalled_before`. Without this their questions would say "partial" for ever. One
    that started MINA_JOB_MAX_ATTEMPTS times without finishing (it kills its worker) is
    marked failed instead, for an operator to look at."""
    stalled = MeetingIndex.objects.filter(
        status__in=[MeetingIndex.Status.PENDING, MeetingIndex.Status.INDEXING], updated_at__lt=stalled_before
    )
    stalled.filter(attempts__gte=settings.MINA_JOB_MAX_ATTEMPTS).update(
        status=MeetingIndex.Status.FAILED,
        error=f"Indexing started {settings.MINA_JOB_MAX_ATTEMPTS} times without finishing.",
        updated_at=timezone.now(),
    )
    again = list(stalled.values_list("meeting_id", flat=True))
    MeetingIndex.objects.filter(meeting_id__in=again).update(
        status=MeetingIndex.Status.PENDING, updated_at=timezone.now()
    )
    for meeting_id in again:
        enqueue(INDEX_MEETING, meeting_id)
    return len(again)


def meeting_index_failed(*, meeting_id: int, error: str) -> None:
    MeetingIndex.objects.filter(meeting_id=meeting_id).update(status=MeetingIndex.Status.FAILED, error=error[:500])


def workspace_index_bump(*, workspace_id: int, create: bool = True) -> None:
    """Every process's matrix of this workspace is stale from now on.

    `create=False` while the workspace itself may be going away (a cascade deleting it)."""
    updated = WorkspaceIndex.objects.filter(workspace_id=workspace_id).update(version=F("version") + 1)
    if not updated and create:
        WorkspaceIndex.objects.get_or_create(workspace_id=workspace_id, defaults={"version": 1})


def meetings_to_index(*, workspace_id: int | None = None) -> list[int]:
    """The meetings with a transcript, of one workspace or all, oldest first."""
    meetings = Meeting.objects.filter(segments__isnull=False)
    if workspace_id is not None:
        meetings = meetings.filter(workspace_id=workspace_id)
    return list(meetings.order_by("id").values_list("id", flat=True).distinct())
