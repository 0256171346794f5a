"""Reads of segments and recordings; the meeting passed in is already access-checked."""

from __future__ import annotations

from django.db.models import QuerySet

from meetings.models import Meeting
from mina.errors import NotFound

from .models import Recording, Segment


def segment_list(*, meeting: Meeting, kind: str = "", after: int | None = None) -> QuerySet[Segment]:
    """The transcript in time order; without `kind`, the refined one when there is one.

    `after` keeps only segments with a larger id (ids only grow), for incremental sync.
    """
    if not kind:
        has_refined = meeting.segments.filter(kind=Segment.Kind.REFINED).exists()
        kind = Segment.Kind.REFINED if has_refined else Segment.Kind.FINAL
    segments = meeting.segments.filter(kind=kind).select_related("participant")
    if after is not None:
        segments = segments.filter(id__gt=after)
    return segments.order_by("start_ms", "id")


def segment_get(*, meeting: Meeting, segment_id: int) -> Segment:
    segment = meeting.segments.select_related("participant").filter(pk=segment_id).first()
    if segment is None:
        raise NotFound("Segment not found.")
    return segment


def recording_list(*, meeting: Meeting) -> QuerySet[Recording]:
    return meeting.recordings.order_by("created_at", "id")


def recording_get(*, meeting: Meeting, recording_id: int) -> Recording:
    recording = meeting.recordings.filter(pk=recording_id).first()
    if recording is None:
        raise NotFound("Recording not found.")
    return recording
