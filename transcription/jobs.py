"""What the background jobs do: the careful pass, uploads, summaries, upkeep.

Every job is idempotent (running it twice leaves one set of results), counts its
attempts on the recording so one that keeps killing its worker stops, retries
transient errors with backoff, and on final failure marks the recording and the
meeting `failed` with a readable error.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from datetime import timedelta

from django.conf import settings
from django.core.files.base import File
from django.core.files.storage import default_storage
from django.db import DatabaseError, transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from accounts import audit
from accounts.services import sign_ins_purge_expired
from core.jobs import enqueue
from core.languages import AUTO
from meetings import events
from meetings.models import Meeting
from meetings.services import meeting_end, meeting_language_detected, meeting_set_status
from workspaces.models import Workspace

from . import audio, careful, selectors, services
from .engines import get_careful_engine, get_diarization_engine, speech_language_problem
from .engines.base import SAMPLE_RATE, EngineError, EngineUnavailable
from .models import Recording
from .signals import announce_transcript_changed
from .summaries import summary_generate

logger = logging.getLogger(__name__)


PROCESS_MEETING = "transcription.tasks.process_meeting"
TRANSCRIBE_RECORDING = "transcription.tasks.transcribe_recording"
SUMMARIZE_MEETING = "transcription.tasks.summarize_meeting"


class JobFailed(Exception):
    """A failure that retrying will not mend; the message is for people."""


# What trying again later may mend: the Celery tasks retry these with backoff.
TRANSIENT = (EngineUnavailable, DatabaseError, ConnectionError, TimeoutError)


def job_failed(
    *, exc: BaseException, tries: int, recording_id: int | None = None, meeting_id: int | None = None
) -> None:
    """A job failed for good: the recording and its meeting say why, in words for people."""
    if isinstance(exc, JobFailed | EngineError) and not isinstance(exc, EngineUnavailable):
        message = str(exc)
    elif isinstance(exc, TRANSIENT):
        message = f"Gave up after {tries} tries: {exc}"
    else:
        logger.error("job failed recording=%s meeting=%s", recording_id, meeting_id, exc_info=exc)
        message = f"Unexpected error: {type(exc).__name__}. See the server log."
    if recording_id is not None:
        recording = Recording.objects.filter(pk=recording_id).first()
        if recording is None:
            return
        Recording.objects.filter(pk=recording.pk).update(status=Recording.Status.FAILED, error=message)
        meeting_id = recording.meeting_id
    elif meeting_id is not None:
        Recording.objects.filter(
            meeting_id=meeting_id, source=Recording.Source.LIVE,
            status__in=[Recording.Status.QUEUED, Recording.Status.PROCESSING],
        ).update(status=Recording.Status.FAILED, error=message)
    meeting = Meeting.objects.filter(pk=meeting_id).first() if meeting_id is not None else None
    if meeting is not None:
        with transaction.atomic():
            meeting_set_status(meeting=meeting, status=Meeting.Status.FAILED, error=message)
    logger.error("job failed for good meeting=%s: %s", meeting_id, message)


def _start_attempt(recording: Recording) -> None:
    Recording.objects.filter(pk=recording.pk).update(
        attempts=F("attempts") + 1, status=Recording.Status.PROCESSING, error="", updated_at=timezone.now()
    )
    recording.refresh_from_db()
    if recording.attempts > settings.MINA_JOB_MAX_ATTEMPTS:
        raise JobFailed(
            f"Transcription stopped after {settings.MINA_JOB_MAX_ATTEMPTS} attempts "
            "(the worker kept dying). Use “re-transcribe” in the admin to try again."
        )


def _careful_pass(recording: Recording, on_progress: Callable[[float], None]) -> bool:
    """Re-transcribe one recording into refined segments, block by block; False when
    another delivery of the same job got there first (it carries on, this one stops).

    Each block is stored as it is done, so a job interrupted by a restart resumes where
    the pass left off instead of from the start.
    """
    _start_attempt(recording)
    if recording.refined_ms == 0:
        services.refined_clear(recording=recording)
    live = selectors.live_finals(recording=recording)
    duration_ms, resumed_ms = max(recording.duration_ms, 1), recording.refined_ms
    with _local_path(recording) as path:
        _settle_language(recording.meeting, path)
        hearing = selectors.hearing(meeting=recording.meeting)
        blocks = careful.transcribe_blocks(
            get_careful_engine(hearing.language),
            audio.read_blocks(path, block_s=settings.MINA_CAREFUL_BLOCK_S, start_ms=resumed_ms),
            at_once=settings.MINA_CAREFUL_PARALLEL,
            live=live,
            on_progress=lambda heard_ms: on_progress(min(1.0, (resumed_ms + heard_ms) / duration_ms)),
            prompt=hearing.prompt,
            terms=hearing.terms,
        )
        # Closed here, whatever ends the loop: the blocks still decoding finish before the
        # file they read is removed, and never outlive the job in a traceback.
        with closing(blocks):
            for _, end_ms, lines in blocks:
                try:
                    services.refined_store(
                        recording=recording, lines=lines, from_ms=recording.refined_ms, until_ms=end_ms
                    )
                except services.Superseded as exc:
                    logger.info("careful pass superseded: %s", exc)
                    return False
        if recording.source == Recording.Source.UPLOAD or recording.room_microphone:
            _tell_speakers_apart(recording, path)
    services.refined_finish(recording=recording)
    return True


def _settle_language(meeting: Meeting, path: str) -> None:
    """A meeting set to "auto" is heard in the language detected on the first minute of
    its first recording, kept for every block and every later recording (with no speech
    to tell by, Whisper detects it piece by piece)."""
    problem = speech_language_problem(meeting.language)
    if problem:
        raise JobFailed(problem)
    if meeting.language != AUTO or meeting.detected_language:
        return
    for _, samples in audio.read_blocks(path, block_s=60):
        detected = get_careful_engine(AUTO).detect_language(samples)
        if detected is not None:
            meeting_language_detected(meeting=meeting, language=detected)
            logger.info("language detected meeting=%s language=%s", meeting.pk, detected)
        return


def _tell_speakers_apart(recording: Recording, path: str) -> None:
    """Several voices on one recording (an upload, a room's microphone): who said what.

    A pass of its own over the audio (about 1 % of its length), after the careful one: the
    careful pass stays as it was, and a job resumed after a restart simply runs it again.
    """
    engine = get_diarization_engine()
    if engine is None:
        return
    windows = None
    for offset, samples in audio.read_blocks(path, block_s=engine.block_s):
        found = engine.windows(samples, audio.speech_spans(samples), offset_ms=offset * 1000 // SAMPLE_RATE)
        if windows is None:
            windows = found
        else:
            windows.extend(found)
    turns = engine.speakers(windows, num_speakers=recording.expected_speakers) if windows is not None else []
    services.speakers_assign(recording=recording, turns=turns)


@contextmanager
def _local_path(recording: Recording) -> Iterator[str]:
    try:
        yield default_storage.path(str(recording.file.name))
        return
    except NotImplementedError:  # remote storage: work on a temporary copy
        pass
    with tempfile.NamedTemporaryFile() as tmp, recording.file.open("rb") as src:
        for chunk in src.chunks():
            tmp.write(chunk)
        tmp.flush()
        yield tmp.name


class _Progress:
    """Reports overall percent over several recordings, at most once per percent."""

    def __init__(self, meeting_id: int, total_ms: int, stage: str) -> None:
        self.meeting_id, self.total_ms, self.stage = meeting_id, max(total_ms, 1), stage
        self.done_ms = 0
        self.last = -1

    def for_recording(self, recording: Recording) -> Callable[[float], None]:
        def report(fraction: float) -> None:
            percent = int(100 * (self.done_ms + fraction * recording.duration_ms) / self.total_ms)
            if percent != self.last:
                self.last = percent
                # updated_at too: a job that moves is not stalled (`requeue_stalled`).
                Recording.objects.filter(pk=recording.pk).update(
                    progress=int(fraction * 100), updated_at=timezone.now()
                )
                events.send(
                    self.meeting_id,
                    events.job_progress(
                        self.meeting_id, recording_id=recording.id, stage=self.stage, percent=percent
                    ),
                )

        return report

    def finished(self, recording: Recording) -> None:
        self.done_ms += recording.duration_ms


def meeting_process(*, meeting_id: int) -> None:
    """After a live meeting: careful pass per participant, summary, then compression."""
    meeting = Meeting.objects.filter(pk=meeting_id).first()
    if meeting is None or meeting.status != Meeting.Status.PROCESSING:
        return  # deleted, or already done by an earlier run
    for recording in meeting.recordings.filter(status=Recording.Status.RECEIVING):
        services.stream_close(recording=recording)
    recordings = list(
        meeting.recordings.filter(source=Recording.Source.LIVE).exclude(status=Recording.Status.FAILED)
    )
    progress = _Progress(meeting.id, sum(r.duration_ms for r in recordings), "transcribing")
    for recording in recordings:
        # Done by an earlier run of this job (it was interrupted after): not heard twice.
        pending = recording.duration_ms > 0 and recording.file and recording.status != Recording.Status.DONE
        if pending and not _careful_pass(recording, progress.for_recording(recording)):
            return
        progress.finished(recording)
    _summarize_and_finish(meeting)
    for recording in recordings:
        _compress(recording)


def recording_process(*, recording_id: int) -> None:
    """An uploaded recording: careful pass, then summary."""
    recording = Recording.objects.select_related("meeting").filter(pk=recording_id).first()
    if recording is None or recording.status == Recording.Status.DONE:
        return
    progress = _Progress(recording.meeting_id, recording.duration_ms, "transcribing")
    if _careful_pass(recording, progress.for_recording(recording)):
        _summarize_and_finish(recording.meeting)


def _summarize_and_finish(meeting: Meeting) -> None:
    events.send(meeting.id, events.job_progress(meeting.id, recording_id=None, stage="summarizing", percent=100))
    services.speaker_names_suggest(meeting=meeting)
    summary_generate(meeting=meeting)
    with transaction.atomic():
        meeting.refresh_from_db()
        meeting_set_status(meeting=meeting, status=Meeting.Status.READY)
        announce_transcript_changed(meeting.id)  # the final transcript: Ask Mina indexes it


def _compress(recording: Recording) -> None:
    """Live audio is ~115 MB per speaker-hour as PCM: keep it compressed once refined."""
    name = str(recording.file.name or "")
    if not name.endswith(".wav"):
        return
    try:
        source = default_storage.path(name)
    except NotImplementedError:
        return
    with tempfile.TemporaryDirectory() as tmp:
        target = os.path.join(tmp, "out")
        extension = audio.compress(source, target)
        with open(target, "rb") as fh:
            recording.file.save(f"live.{extension}", File(fh), save=False)
    Recording.objects.filter(pk=recording.pk).update(file=recording.file.name)
    default_storage.delete(name)


# --- Upkeep --------------------------------------------------------------------------


def periodic() -> None:
    end_idle_meetings()
    requeue_stalled()
    purge_expired()
    audit.purge_expired()
    sign_ins_purge_expired()


def end_idle_meetings() -> int:
    """Live meetings whose streams all stopped and that heard no audio for a while."""
    cutoff = timezone.now() - timedelta(minutes=settings.MINA_IDLE_END_MINUTES)
    ended = 0
    for meeting in Meeting.objects.filter(status=Meeting.Status.LIVE):
        recordings = meeting.recordings.filter(source=Recording.Source.LIVE)
        if recordings.filter(last_audio_at__gte=cutoff).exists():
            continue
        if not recordings.exists() and (meeting.started_at or timezone.now()) >= cutoff:
            continue
        meeting_end(meeting=meeting, membership=None)
        ended += 1
    return ended


def purge_expired(*, workspaces: QuerySet[Workspace] | None = None) -> int:
    """Delete meetings older than their workspace's retention (rows and files); of these
    workspaces only (an operator's "purge now"), else of all."""
    purged = 0
    for workspace in (workspaces if workspaces is not None else Workspace.objects.all()).filter(
        retention_days__isnull=False
    ):
        cutoff = timezone.now() - timedelta(days=workspace.retention_days or 0)
        for meeting in workspace.meetings.filter(created_at__lt=cutoff):
            meeting.delete()  # its recordings' files go with them (receivers.py)
            purged += 1
    if purged:
        logger.info("retention purged meetings=%s", purged)
    return purged


def recover_unfinished() -> int:
    """Re-enqueue what a restart interrupted (embedded mode: the queue lived in memory)."""
    meeting_ids = list(Meeting.objects.filter(status=Meeting.Status.PROCESSING).values_list("id", flat=True))
    for meeting_id in meeting_ids:
        _requeue(meeting_id)
    return len(meeting_ids)


def requeue_stalled() -> int:
    """Processing meetings whose job was never queued (the broker was down when the
    meeting ended) or was lost: nothing of theirs moved for `MINA_JOB_STALLED_S`.

    A job merely waiting behind a long queue may be queued twice; jobs are idempotent
    (the second finds the work done), and the requeue counts as movement, so it is
    queued again at most once per period.
    """
    stalled = list(stalled_meetings().values_list("id", flat=True))
    for meeting_id in stalled:
        logger.warning("stalled job queued again meeting=%s", meeting_id)
        _requeue(meeting_id)
    return len(stalled)


def stalled_meetings() -> QuerySet[Meeting]:
    """Processing meetings none of whose recordings moved for `MINA_JOB_STALLED_S`."""
    cutoff = timezone.now() - timedelta(seconds=settings.MINA_JOB_STALLED_S)
    return (
        Meeting.objects.filter(status=Meeting.Status.PROCESSING)
        .exclude(ended_at__gte=cutoff)
        .exclude(recordings__updated_at__gte=cutoff)
    )


def _requeue(meeting_id: int) -> None:
    with transaction.atomic():
        Recording.objects.filter(meeting_id=meeting_id).update(updated_at=timezone.now())
        uploads = Recording.objects.filter(
            meeting_id=meeting_id, source=Recording.Source.UPLOAD,
            status__in=[Recording.Status.QUEUED, Recording.Status.PROCESSING],
        ).values_list("id", flat=True)
        if uploads:
            for recording_id in uploads:
                enqueue(TRANSCRIBE_RECORDING, recording_id)
        else:
            enqueue(PROCESS_MEETING, meeting_id)


def retranscribe(*, recording: Recording) -> None:
    """Admin action and `retry_failed`: run a recording's job again from scratch."""
    with transaction.atomic():
        Recording.objects.filter(pk=recording.pk).update(
            status=Recording.Status.QUEUED, attempts=0, error="", refined_ms=0
        )
        meeting = recording.meeting
        meeting_set_status(meeting=meeting, status=Meeting.Status.PROCESSING)
        if recording.source == Recording.Source.UPLOAD:
            enqueue(TRANSCRIBE_RECORDING, recording.id)
        else:
            enqueue(PROCESS_MEETING, meeting.id)


def meeting_retry(*, meeting: Meeting) -> None:
    """The operations page: run a failed meeting's job again where it stopped (recordings
    already transcribed are not heard twice: a summary that failed is written again)."""
    with transaction.atomic():
        meeting_set_status(meeting=meeting, status=Meeting.Status.PROCESSING)
        _requeue(meeting.id)


def meeting_summarize(*, meeting_id: int) -> None:
    """Re-summarise on request: replaces the summary, keeps hand-edited tasks."""
    meeting = Meeting.objects.filter(pk=meeting_id).first()
    if meeting is not None:
        summary_generate(meeting=meeting)
