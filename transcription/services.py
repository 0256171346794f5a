"""Writes for recordings and segments: live chunks, uploads, transcripts."""

from __future__ import annotations

import io
import logging
import os
import tempfile
import uuid
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile, File
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from meetings import events
from meetings.models import Meeting, Participant
from mina.errors import Forbidden, Invalid, TooLarge
from mina.jobs import enqueue
from workspaces.models import Membership, Role
from workspaces.selectors import require_role

from . import audio
from .engines.base import SAMPLE_RATE, TranscribedSegment
from .models import Recording, Segment

logger = logging.getLogger(__name__)

BYTES_PER_MS = SAMPLE_RATE * 2 // 1000  # PCM16 mono


# --- Live streams --------------------------------------------------------------------


def _chunk_name(recording: Recording, offset_bytes: int) -> str:
    # Named by byte offset: a resent frame lands on the same name, so nothing doubles.
    return f"{recording.chunk_dir}/{offset_bytes:012d}.pcm"


def stream_received_bytes(recording: Recording) -> int:
    """How much audio is stored, from the chunk files (any machine can answer)."""
    try:
        _, files = default_storage.listdir(recording.chunk_dir)
    except FileNotFoundError:
        return 0
    names = sorted(f for f in files if f.endswith(".pcm"))
    if not names:
        return 0
    last = names[-1]
    return int(last.removesuffix(".pcm")) + default_storage.size(f"{recording.chunk_dir}/{last}")


def _trim_to_whole_ms(recording: Recording) -> int:
    """The client resends from `received_ms`: cut a last frame that ended mid-millisecond
    back to that boundary, or the resent bytes would overlap it."""
    received = stream_received_bytes(recording)
    torn = received % BYTES_PER_MS
    if torn:
        last = chunk_names(recording)[-1]
        with default_storage.open(last) as fh:
            data = fh.read()
        chunk_save(recording=recording, offset_bytes=received - len(data), data=data[:-torn])
    return received - torn


@transaction.atomic
def stream_open(
    *, meeting: Meeting, participant: Participant, stream_id: uuid.UUID | None
) -> tuple[Recording, int]:
    """The live recording for a stream (new, or the one a reconnect resumes)."""
    if stream_id is not None:
        recording = Recording.objects.filter(stream_id=stream_id).first()
        if recording is not None:
            if recording.meeting_id != meeting.id or recording.participant_id != participant.id:
                raise Forbidden("That stream belongs to someone else.")
            if recording.status != Recording.Status.RECEIVING:
                raise Invalid("That stream has already ended; start a new one.", code="stream_ended")
            return recording, _trim_to_whole_ms(recording)
    started = meeting.started_at or timezone.now()
    offset_ms = max(0, int((timezone.now() - started).total_seconds() * 1000))
    recording = Recording.objects.create(
        meeting=meeting,
        participant=participant,
        source=Recording.Source.LIVE,
        stream_id=stream_id or uuid.uuid4(),
        offset_ms=offset_ms,
        status=Recording.Status.RECEIVING,
        last_audio_at=timezone.now(),
    )
    return recording, 0


def chunk_save(*, recording: Recording, offset_bytes: int, data: bytes) -> None:
    name = _chunk_name(recording, offset_bytes)
    if default_storage.exists(name):
        default_storage.delete(name)
    default_storage.save(name, ContentFile(data))


def chunk_names(recording: Recording) -> list[str]:
    try:
        _, files = default_storage.listdir(recording.chunk_dir)
    except FileNotFoundError:
        return []
    return [f"{recording.chunk_dir}/{f}" for f in sorted(files) if f.endswith(".pcm")]


def stream_touch(*, recording_id: int) -> None:
    Recording.objects.filter(pk=recording_id).update(last_audio_at=timezone.now())


def stream_close(*, recording: Recording, stats: dict[str, Any] | None = None) -> Recording:
    """Join the chunks into one WAV file; the careful pass picks it up at meeting end."""
    recording.refresh_from_db()
    if recording.status != Recording.Status.RECEIVING:
        return recording
    names = chunk_names(recording)
    buffer = io.BytesIO()
    pcm = b"".join(default_storage.open(n).read() for n in names)
    audio.write_wav(buffer, pcm)
    recording.file.save("live.wav", ContentFile(buffer.getvalue()), save=False)
    recording.duration_ms = len(pcm) // BYTES_PER_MS
    recording.status = Recording.Status.QUEUED
    if stats:
        recording.stats = {**recording.stats, **stats}
    recording.save(update_fields=["file", "duration_ms", "status", "stats", "updated_at"])
    for name in names:
        default_storage.delete(name)
    logger.info("stream closed recording=%s duration_ms=%s", recording.id, recording.duration_ms)
    return recording


def segment_create_final(
    *,
    recording: Recording,
    utterance_id: str,
    start_ms: int,
    result: TranscribedSegment,
) -> Segment:
    """Save a live final; `start_ms` is where the utterance starts in the stream."""
    base = recording.offset_ms + start_ms
    segment = Segment.objects.create(
        meeting_id=recording.meeting_id,
        recording=recording,
        participant_id=recording.participant_id,
        utterance_id=utterance_id,
        start_ms=base + result.start_ms,
        end_ms=base + result.end_ms,
        text=result.text,
        words=_words_json(result, base),
        no_speech_prob=result.no_speech_prob,
        kind=Segment.Kind.FINAL,
    )
    segment = Segment.objects.select_related("participant").get(pk=segment.pk)
    events.send(segment.meeting_id, events.transcript_segment(segment))
    return segment


def _words_json(result: TranscribedSegment, base_ms: int) -> list[dict[str, Any]]:
    return [
        {"start_ms": base_ms + w.start_ms, "end_ms": base_ms + w.end_ms, "word": w.word, "p": round(w.probability, 3)}
        for w in result.words
    ]


@transaction.atomic
def segments_replace_refined(*, recording: Recording, results: list[TranscribedSegment]) -> list[Segment]:
    """Idempotent: a recording's refined segments are replaced, edited ones are kept."""
    base = recording.offset_ms
    kept = list(
        Segment.objects.filter(recording=recording, kind=Segment.Kind.REFINED, edited=True)
    )
    Segment.objects.filter(recording=recording, kind=Segment.Kind.REFINED, edited=False).delete()

    def overlaps_edited(start: int, end: int) -> bool:
        return any(s.start_ms < end and start < s.end_ms for s in kept)

    new = [
        Segment(
            meeting_id=recording.meeting_id,
            recording=recording,
            participant_id=recording.participant_id,
            start_ms=base + r.start_ms,
            end_ms=base + r.end_ms,
            text=r.text,
            words=_words_json(r, base),
            no_speech_prob=r.no_speech_prob,
            kind=Segment.Kind.REFINED,
        )
        for r in results
        if not overlaps_edited(base + r.start_ms, base + r.end_ms)
    ]
    # One row at a time: ids must grow in time order for clients syncing with `after`.
    for segment in new:
        segment.save()
    return new


def segment_edit(*, segment: Segment, membership: Membership, text: str) -> Segment:
    require_role(membership, Role.MEMBER)
    text = text.strip()
    if not text:
        raise Invalid("A segment cannot be empty.", fields={"text": ["This field is required."]})
    segment.text = text
    segment.edited = True
    segment.save(update_fields=["text", "edited"])
    transaction.on_commit(lambda: events.send(segment.meeting_id, events.transcript_segment(segment)))
    return segment


# --- Uploads -------------------------------------------------------------------------


def upload_create(*, meeting: Meeting, membership: Membership, upload: File) -> Recording:
    """Validate an uploaded file from its content, store it and queue its transcription.

    A refused file leaves nothing behind: no row, no stored file.
    """
    require_role(membership, Role.MEMBER)
    if meeting.status == Meeting.Status.LIVE:
        raise Invalid("This meeting is live; upload once it has ended.", code="meeting_live")
    if meeting.status == Meeting.Status.PROCESSING:
        raise Invalid("This meeting is still being processed; try again when it is ready.", code="busy")
    limit = settings.MINA_MAX_UPLOAD_MB * 1024 * 1024
    if upload.size is not None and upload.size > limit:
        raise TooLarge(f"The file is larger than {settings.MINA_MAX_UPLOAD_MB} MB.")
    info = _probe_upload(upload)
    name = os.path.basename(upload.name or "upload")[:255]
    with transaction.atomic():
        recording = Recording(
            meeting=meeting,
            uploaded_by=membership.user,
            source=Recording.Source.UPLOAD,
            original_name=name,
            duration_ms=info.duration_ms,
            status=Recording.Status.QUEUED,
        )
        recording.file.save(name, upload, save=False)
        recording.save()
        meeting.status = Meeting.Status.PROCESSING
        meeting.error = ""
        meeting.save(update_fields=["status", "error"])
        transaction.on_commit(lambda: events.send(meeting.id, events.meeting_status(meeting)))
        from .tasks import transcribe_recording

        enqueue(transcribe_recording, recording.id)
    logger.info("upload stored recording=%s duration_ms=%s", recording.id, info.duration_ms)
    return recording


def _probe_upload(upload: File) -> audio.AudioInfo:
    """Probe from a real file: PyAV needs a path or a seekable file."""
    path = getattr(upload, "temporary_file_path", None)
    if path is not None:
        return _probe_or_refuse(path())
    with tempfile.NamedTemporaryFile(suffix=".upload") as tmp:
        for chunk in upload.chunks():
            tmp.write(chunk)
        tmp.flush()
        upload.seek(0)
        return _probe_or_refuse(tmp.name)


def _probe_or_refuse(path: str) -> audio.AudioInfo:
    try:
        return audio.probe(path, max_minutes=settings.MINA_MAX_AUDIO_MINUTES)
    except audio.AudioError as exc:
        raise Invalid(exc.message, code=exc.code) from exc

