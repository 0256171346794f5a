"""Reads of segments and recordings; the meeting passed in is already access-checked."""

from __future__ import annotations

from django.db.models import F, Q, QuerySet

from meetings.models import Meeting
from mina.errors import NotFound

from .engines.base import TranscribedSegment, Word
from .models import Recording, Segment

# Where each recording's careful pass has got to, in meeting time.
_REFINED_UNTIL = F("recording__offset_ms") + F("recording__refined_ms")
# The transcript people read: per recording, the careful pass's lines as far as it has got
# and the live finals after that. So the words never shrink: not while the pass runs, not
# when it stops half-way, not when it ends.
TRANSCRIPT = Q(kind=Segment.Kind.REFINED, start_ms__lt=_REFINED_UNTIL) | Q(kind=Segment.Kind.FINAL) & (
    Q(recording__isnull=True) | Q(start_ms__gte=_REFINED_UNTIL)
)


def segment_list(*, meeting: Meeting, kind: str = "", after: int | None = None) -> QuerySet[Segment]:
    """The transcript in time order; `kind` asks for only the live finals or only the
    careful pass's lines instead.

    `after` keeps only segments with a larger id (ids only grow), for incremental sync.
    """
    segments = meeting.segments.filter(kind=kind) if kind else meeting.segments.filter(TRANSCRIPT)
    if after is not None:
        segments = segments.filter(id__gt=after)
    return segments.select_related("participant").order_by("start_ms", "id")


def live_finals(*, recording: Recording) -> list[TranscribedSegment]:
    """A recording's live finals, timed from the recording's start (the careful pass's base)."""
    base = recording.offset_ms
    return [
        TranscribedSegment(
            start_ms=s.start_ms - base,
            end_ms=s.end_ms - base,
            text=s.text,
            words=tuple(Word(w["start_ms"] - base, w["end_ms"] - base, w["word"], w.get("p", 1.0)) for w in s.words),
            no_speech_prob=s.no_speech_prob,
        )
        for s in recording.segments.filter(kind=Segment.Kind.FINAL).order_by("start_ms", "id")
    ]


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
