"""Reads of segments and recordings, and of meetings by what was said in them. A meeting
passed in is already access-checked; lists are scoped to the user's workspaces."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import F, OuterRef, Q, QuerySet, Subquery, Sum

from core.errors import NotFound
from meetings import selectors as meeting_selectors
from meetings.models import Meeting
from workspaces.selectors import expected_words, glossary_list, prompt_of

from . import corrections
from .engines.base import Hearing, TranscribedSegment, Word
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


def meeting_list(*, user: Any, search: str = "", **filters: Any) -> QuerySet[Meeting]:
    """The meetings the user may see (`meetings.selectors.meeting_list`, with its filters),
    found by their title or by what was said in them."""
    meetings = meeting_selectors.meeting_list(user=user, **filters)
    if search:
        said = Segment.objects.filter(text__icontains=search).values("meeting_id")
        meetings = meetings.filter(Q(title__icontains=search) | Q(pk__in=said))
    return meetings


def meeting_search(
    *,
    user: Any,
    workspace_id: int,
    search: str = "",
    status: str = "",
    since: date | None = None,
    until: date | None = None,
) -> QuerySet[Meeting]:
    """The meetings list page: `meeting_list` narrowed to days, and for a search the first
    words said that match (`said`), in the same query."""
    search = search.strip()
    meetings = meeting_list(user=user, workspace_id=workspace_id, search=search, status=status)
    if search:
        first_match = Segment.objects.filter(meeting=OuterRef("pk"), text__icontains=search).order_by("start_ms", "id")
        meetings = meetings.annotate(said=Subquery(first_match.values("text")[:1]))
    if since:
        meetings = meetings.filter(created_at__date__gte=since)
    if until:
        meetings = meetings.filter(created_at__date__lte=until)
    return meetings


def playable_recording_list(*, meeting: Meeting) -> list[Recording]:
    """The recordings the meeting page plays, in meeting order: those with a stored file,
    once the meeting is done (while it is processed, live audio is joined and compressed)."""
    if meeting.status not in (Meeting.Status.READY, Meeting.Status.FAILED):
        return []
    recordings = Recording.objects.filter(meeting=meeting).exclude(file="").select_related("participant")
    return list(recordings.order_by("offset_ms", "id"))


def talk_time(*, meeting: Meeting) -> list[dict[str, Any]]:
    """How long each speaker talks in the transcript people read: ms and share of all."""
    spoken = (
        segment_list(meeting=meeting)
        .exclude(fallback=Segment.Fallback.INAUDIBLE)
        .exclude(participant=None)
        .order_by()
        .values("participant_id")
        .annotate(ms=Sum(F("end_ms") - F("start_ms")))
    )
    by_speaker = {row["participant_id"]: int(row["ms"]) for row in spoken}
    total = sum(by_speaker.values()) or 1
    return [
        {"participant": p, "talk_ms": by_speaker.get(p.pk, 0), "share": by_speaker.get(p.pk, 0) / total}
        for p in meeting_selectors.participant_list(meeting=meeting)
    ]


def hearing(*, meeting: Meeting) -> Hearing:
    """The meeting's language and the words its workspace expects, for every pass."""
    terms, names = expected_words(workspace=meeting.workspace)
    return Hearing(
        language=meeting.spoken_language,
        prompt=prompt_of(terms, names),
        terms=(*terms, *names),
    )


@dataclass(frozen=True)
class CorrectionOffer:
    """After a line is corrected: a replaced word to add to the glossary (unless it is
    there), and how many other lines of the meeting still have the words it replaced."""

    wrong: str
    right: str
    in_glossary: bool
    elsewhere: int


def correction_offers(*, segment: Segment, before: str) -> list[CorrectionOffer]:
    replaced = corrections.replaced_words(before, segment.text)
    if not replaced:
        return []
    meeting = segment.meeting
    terms = {t.lower() for t in glossary_list(workspace=meeting.workspace).values_list("term", flat=True)}
    others = [s.text for s in segment_list(meeting=meeting).exclude(pk=segment.pk)]
    return [
        CorrectionOffer(
            wrong=r.wrong, right=r.right, in_glossary=r.right.lower() in terms,
            elsewhere=sum(1 for text in others if corrections.pattern(r.wrong).search(text)),
        )
        for r in replaced
    ]
