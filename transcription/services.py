"""Writes for recordings and segments: live chunks, uploads, transcripts."""

from __future__ import annotations

import io
import logging
import os
import tempfile
import uuid
from functools import partial
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile, File
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from accounts import audit
from core.errors import Forbidden, Invalid, TooLarge
from core.jobs import enqueue
from core.ratelimit import check, rate_for
from meetings import events
from meetings.models import UNNAMED, Meeting, Participant
from meetings.services import meeting_go_live, participant_for_stream
from workspaces.models import Membership, Role
from workspaces.selectors import require_role

from . import audio, corrections, selectors
from .careful import Line
from .engines.base import SAMPLE_RATE, SpeakerTurn, TranscribedSegment
from .engines.names import match_member, suggested_names
from .models import Recording, Segment
from .signals import announce_transcript_changed

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
    *, meeting_id: int, user: Any, stream_id: uuid.UUID | None, guest_name: str = "", room_microphone: bool = False
) -> tuple[Recording, int]:
    """The live recording for a stream (new, or the one a reconnect resumes) and how much
    of its audio is stored; the first stream makes the meeting live. A `room_microphone`
    carries several voices: the careful pass tells them apart."""
    meeting = meeting_go_live(meeting_id=meeting_id)
    participant = participant_for_stream(meeting=meeting, user=user, guest_name=guest_name)
    if stream_id is not None:
        recording = Recording.objects.filter(stream_id=stream_id).first()
        if recording is not None:
            if recording.meeting_id != meeting.id or recording.participant_id != participant.id:
                raise Forbidden("That stream belongs to someone else.")
            if recording.status != Recording.Status.RECEIVING:
                raise Invalid("That stream has already ended; start a new one.", code="stream_ended")
            recording.participant = participant
            recording.meeting = meeting  # its language is read where no query may run
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
        room_microphone=room_microphone,
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


def stream_touch(*, recording_id: int, stats: dict[str, Any]) -> None:
    """Audio still arrives; how the stream goes so far (the operations page shows it)."""
    Recording.objects.filter(pk=recording_id).update(last_audio_at=timezone.now(), stats=stats)


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


def segment_settle(*, recording: Recording, segment_id: int, result: TranscribedSegment) -> bool:
    """A live final heard again with context: its better text replaces the first one
    (times in `result` from the stream's start). A line corrected by hand stays as it is.
    Watchers get `transcript.refined` with the same segment id."""
    base = recording.offset_ms
    changed = Segment.objects.filter(pk=segment_id, kind=Segment.Kind.FINAL, edited=False).update(
        text=result.text, words=_words_json(result, base)
    )
    if changed:
        segment = Segment.objects.select_related("participant").get(pk=segment_id)
        events.send(segment.meeting_id, events.transcript_settled(segment))
    return bool(changed)


def meeting_load_announce(*, meeting_id: int, overloaded: bool) -> None:
    meeting = Meeting.objects.get(pk=meeting_id)
    events.send(meeting_id, {**events.meeting_status(meeting), "load": "overloaded" if overloaded else "normal"})


def stream_stats_save(*, recording_id: int, stats: dict[str, Any]) -> None:
    """A dropped connection keeps its stats too (`stream_close` saves them on stop)."""
    Recording.objects.filter(pk=recording_id).update(stats=stats)


def _words_json(result: TranscribedSegment, base_ms: int) -> list[dict[str, Any]]:
    return [
        {"start_ms": base_ms + w.start_ms, "end_ms": base_ms + w.end_ms, "word": w.word, "p": round(w.probability, 3)}
        for w in result.words
    ]


class Superseded(Exception):
    """Another run of the same careful pass stored this block first (a job delivered twice)."""


def refined_clear(*, recording: Recording) -> None:
    """A careful pass from the start: its earlier lines go, hand-corrected ones stay."""
    with transaction.atomic():
        Segment.objects.filter(recording=recording, kind=Segment.Kind.REFINED, edited=False).delete()
        Recording.objects.filter(pk=recording.pk).update(refined_ms=0, updated_at=timezone.now())
    recording.refined_ms = 0


@transaction.atomic
def refined_store(*, recording: Recording, lines: list[Line], from_ms: int, until_ms: int) -> list[Segment]:
    """Store one block of the careful pass, [from_ms, until_ms) of the recording.

    Locked, and only where the pass left off: should the broker deliver the job twice at
    once (a worker presumed dead past the visibility timeout), one run stores each block.
    """
    locked = Recording.objects.select_for_update().get(pk=recording.pk)
    if locked.refined_ms != from_ms:
        raise Superseded(f"recording {recording.pk} is refined to {locked.refined_ms} ms, not {from_ms}")
    base = recording.offset_ms
    edited = list(Segment.objects.filter(recording=recording, kind=Segment.Kind.REFINED, edited=True))
    new = [
        Segment(
            meeting_id=recording.meeting_id,
            recording=recording,
            participant_id=recording.participant_id,
            start_ms=base + line.segment.start_ms,
            end_ms=base + line.segment.end_ms,
            text=_line_text(line, base),
            words=_words_json(line.segment, base),
            no_speech_prob=line.segment.no_speech_prob,
            kind=Segment.Kind.REFINED,
            fallback=line.fallback,
        )
        for line in lines
        if not any(s.start_ms < base + line.segment.end_ms and base + line.segment.start_ms < s.end_ms for s in edited)
    ]
    # One row at a time: ids must grow in time order for clients syncing with `after`.
    for segment in new:
        segment.save()
        transaction.on_commit(partial(_send_segment, segment))
    # A pass that moves on is not one that keeps killing its worker: attempts count again.
    Recording.objects.filter(pk=recording.pk).update(refined_ms=until_ms, attempts=1, updated_at=timezone.now())
    recording.refined_ms = until_ms
    return new


def refined_finish(*, recording: Recording) -> None:
    done = max(recording.refined_ms, recording.duration_ms)
    Recording.objects.filter(pk=recording.pk).update(
        status=Recording.Status.DONE, progress=100, refined_ms=done, updated_at=timezone.now()
    )
    recording.status, recording.refined_ms = Recording.Status.DONE, done


# A change of speaker inside a line counts only when it lasts: a shorter run of words (a
# window's guess at a boundary) joins the run before it.
SHORTEST_RUN_MS = 800
SHORTEST_RUN_WORDS = 2


@transaction.atomic
def speakers_assign(*, recording: Recording, turns: list[SpeakerTurn]) -> None:
    """Who said each of the careful pass's lines of `recording` (turns timed from its
    start): a line gets its speaker, and is split where the speaker changes inside it
    (by its words' times). The speakers are participants "Speaker 1", "Speaker 2", … until
    someone names them; a line corrected by hand keeps its speaker."""
    if not turns:
        return
    speakers = _speaker_participants(recording, 1 + max(t.speaker for t in turns))
    timeline = [(recording.offset_ms + t.start_ms, recording.offset_ms + t.end_ms, speakers[t.speaker]) for t in turns]
    lines = Segment.objects.filter(recording=recording, kind=Segment.Kind.REFINED, edited=False)
    for segment in list(lines.order_by("start_ms", "id")):
        (speaker, words), *rest = _speaker_runs(segment, timeline)
        _take_run(segment, speaker, words)
        segment.save(update_fields=["participant", "text", "words", "start_ms", "end_ms"])
        transaction.on_commit(partial(_send_segment, segment))
        for speaker, words in rest:  # said by someone else: a line of its own
            part = Segment(
                meeting_id=segment.meeting_id, recording=recording, kind=Segment.Kind.REFINED,
                no_speech_prob=segment.no_speech_prob, fallback=segment.fallback,
            )
            _take_run(part, speaker, words)
            part.save()
            transaction.on_commit(partial(_send_segment, part))


def _speaker_participants(recording: Recording, count: int) -> list[int]:
    """The participant ids of speakers 0…count-1, kept across runs of the job (a name given
    to "Speaker 2" stays); new ones numbered after those the meeting has."""
    meeting_participants = Participant.objects.filter(meeting_id=recording.meeting_id)
    known = set(meeting_participants.values_list("id", flat=True))
    ids = [pk for pk in recording.speakers if pk in known][:count]
    taken = set(meeting_participants.values_list("name", flat=True))
    number = 1
    while len(ids) < count:
        while f"Speaker {number}" in taken:
            number += 1
        ids.append(Participant.objects.create(meeting_id=recording.meeting_id, name=f"Speaker {number}").pk)
        taken.add(f"Speaker {number}")
    Recording.objects.filter(pk=recording.pk).update(speakers=ids)
    recording.speakers = ids
    return ids


def _speaker_runs(segment: Segment, timeline: list[tuple[int, int, int]]) -> list[tuple[int, list[dict[str, Any]]]]:
    """The line's words grouped by who said them, in order: (participant id, words)."""
    if not segment.words:
        return [(_speaker_at((segment.start_ms + segment.end_ms) // 2, timeline), [])]
    runs: list[tuple[int, list[dict[str, Any]]]] = []
    for word in segment.words:
        speaker = _speaker_at((word["start_ms"] + word["end_ms"]) // 2, timeline)
        if runs and runs[-1][0] == speaker:
            runs[-1][1].append(word)
        else:
            runs.append((speaker, [word]))
    lasting: list[tuple[int, list[dict[str, Any]]]] = []
    for speaker, words in runs:
        short = len(words) < SHORTEST_RUN_WORDS or words[-1]["end_ms"] - words[0]["start_ms"] < SHORTEST_RUN_MS
        if lasting and (short or lasting[-1][0] == speaker):
            lasting[-1][1].extend(words)
        else:
            lasting.append((speaker, words))
    if len(lasting) > 1 and (len(lasting[0][1]) < SHORTEST_RUN_WORDS):  # a stray first word joins the next
        lasting[1] = (lasting[1][0], lasting[0][1] + lasting[1][1])
        lasting.pop(0)
    return lasting


def _speaker_at(ms: int, timeline: list[tuple[int, int, int]]) -> int:
    """Who speaks at `ms`: the turn that holds it, else the nearest one."""
    return min(timeline, key=lambda turn: max(turn[0] - ms, ms - turn[1], 0))[2]


def _take_run(segment: Segment, speaker: int, words: list[dict[str, Any]]) -> None:
    segment.participant_id = speaker
    if words:
        segment.words = words
        segment.text = " ".join(w["word"] for w in words)
        segment.start_ms, segment.end_ms = words[0]["start_ms"], words[-1]["end_ms"]


def _line_text(line: Line, base_ms: int) -> str:
    if line.fallback != Segment.Fallback.INAUDIBLE:
        return line.segment.text
    start, end = (_clock(base_ms + ms) for ms in (line.segment.start_ms, line.segment.end_ms))
    return f"[inaudible {start}-{end}]"


def _clock(ms: int) -> str:
    minutes, seconds = divmod(ms // 1000, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


def _send_segment(segment: Segment) -> None:
    events.send(segment.meeting_id, events.transcript_segment(segment))


def segment_edit(*, segment: Segment, membership: Membership, text: str) -> Segment:
    require_role(membership, Role.MEMBER)
    text = text.strip()
    if not text:
        raise Invalid("A segment cannot be empty.", fields={"text": ["This field is required."]})
    segment.text = text
    segment.edited = True
    segment.save(update_fields=["text", "edited"])
    transaction.on_commit(lambda: events.send(segment.meeting_id, events.transcript_segment(segment)))
    announce_transcript_changed(segment.meeting_id)
    return segment


def transcript_replace(*, meeting: Meeting, membership: Membership, wrong: str, right: str) -> int:
    """The same misheard words fixed in every line of the meeting at once (as whole words,
    any case); the lines are marked edited. How many lines changed."""
    require_role(membership, Role.MEMBER)
    wrong, right = " ".join(wrong.split()), " ".join(right.split())
    if not wrong or not right or len(wrong) > 100 or len(right) > 100:
        raise Invalid("Say which words to replace, and with what (up to 100 characters each).")
    found = corrections.pattern(wrong)
    changed = []
    with transaction.atomic():
        for segment in selectors.segment_list(meeting=meeting).select_for_update(of=("self",)):
            text = found.sub(lambda _: right, segment.text)
            if text != segment.text:
                segment.text, segment.edited = text, True
                segment.save(update_fields=["text", "edited"])
                changed.append(segment)
        for segment in changed:
            transaction.on_commit(partial(events.send, meeting.id, events.transcript_segment(segment)))
    if changed:
        announce_transcript_changed(meeting.id)
        audit.record("transcript_replaced", actor=membership.user, workspace=meeting.workspace, target=meeting,
                     lines=len(changed))
    return len(changed)


# --- Uploads -------------------------------------------------------------------------


# Room for the multipart boundary and part headers around the file itself.
MULTIPART_OVERHEAD = 64 * 1024


def upload_admit(*, user: Any, content_length: str | None) -> None:
    """Before an upload's body is read (page and API alike): the uploader's rate, and the
    size the request announces (its Content-Length), refused with 413 at once."""
    check(f"upload:{user.pk}", rate_for("upload"))
    try:
        announced = int(content_length or 0)
    except ValueError:
        announced = 0
    _refuse_over_limit(announced - MULTIPART_OVERHEAD)


def _refuse_over_limit(size: int) -> None:
    if size > settings.MINA_MAX_UPLOAD_MB * 1024 * 1024:
        raise TooLarge(f"The file is larger than {settings.MINA_MAX_UPLOAD_MB} MB.")


def upload_create(
    *, meeting: Meeting, membership: Membership, upload: File, expected_speakers: int | None = None
) -> Recording:
    """Validate an uploaded file from its content, store it and queue its transcription
    (`expected_speakers`: how many people speak, when the uploader knows).

    A refused file leaves nothing behind: no row, no stored file.
    """
    require_role(membership, Role.MEMBER)
    if meeting.status == Meeting.Status.LIVE:
        raise Invalid("This meeting is live; upload once it has ended.", code="meeting_live")
    if meeting.status == Meeting.Status.PROCESSING:
        raise Invalid("This meeting is still being processed; try again when it is ready.", code="busy")
    _refuse_over_limit(upload.size or 0)
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
            expected_speakers=expected_speakers,
        )
        recording.file.save(name, upload, save=False)
        recording.save()
        meeting.status = Meeting.Status.PROCESSING
        meeting.error = ""
        meeting.save(update_fields=["status", "error"])
        transaction.on_commit(lambda: events.send(meeting.id, events.meeting_status(meeting)))
        enqueue("transcription.tasks.transcribe_recording", recording.id)
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


def meeting_resummarize(*, meeting: Meeting, membership: Membership) -> None:
    """Queue a new summary (after corrections); hand-edited tasks survive it."""
    require_role(membership, Role.MEMBER)
    if meeting.status in (Meeting.Status.LIVE, Meeting.Status.PROCESSING):
        raise Invalid("Wait until the meeting is processed before re-summarising.", code="busy")
    enqueue("transcription.tasks.summarize_meeting", meeting.id)


def speaker_names_suggest(*, meeting: Meeting) -> None:
    """Names the conversation gives its unnamed speakers ("This is Priya"; "Sure" to "Tom,
    could you …?"), offered on each for one click; never applied by themselves."""
    participants = {p.pk: p for p in meeting.participants.all()}
    unnamed = {pk for pk, p in participants.items() if p.user_id is None and UNNAMED.fullmatch(p.name)}
    if not unnamed:
        return
    lines = [(s.participant_id, s.text) for s in selectors.segment_list(meeting=meeting) if s.participant_id]
    taken = {p.name for p in participants.values()}
    memberships = meeting.workspace.memberships.select_related("user")
    members = {m.user.name: [m.user.name, m.user.email.split("@")[0]] for m in memberships}
    for pk, (heard, reason) in suggested_names(lines, unnamed).items():
        name = match_member(heard, members) or heard  # "Malick" heard: the member Malik
        participant = participants[pk]
        if name not in taken and participant.suggested_name != name:
            participant.suggested_name, participant.suggestion_reason = name, reason[:300]
            participant.save(update_fields=["suggested_name", "suggestion_reason"])
