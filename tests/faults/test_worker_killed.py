"""A Celery worker killed in the middle of a job (scaled mode)."""

import pytest
from celery import Celery
from django.core.files import File

from meetings.models import Meeting
from tests.conftest import SPEECH
from tests.factories import ParticipantFactory
from tests.faults.conftest import scaled_only
from tests.faults.processes import Redis, celery_worker, running, server_env, wait_for
from transcription.models import Recording

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow, scaled_only]

# Unacknowledged jobs of a dead worker go back to the queue after this long (3600 s in
# production), found by the workers' sweep (every VISIBILITY_S / 4 s, at least 1 s).
VISIBILITY_S = 2


def _processing_meeting(meeting, source, wav):
    participant = ParticipantFactory(meeting=meeting) if source == Recording.Source.LIVE else None
    recording = Recording(meeting=meeting, participant=participant, source=source, status=Recording.Status.QUEUED)
    with open(wav, "rb") as fh:
        recording.file.save("audio.wav", File(fh), save=False)
    recording.duration_ms = int(wav.stat().st_size / 32)
    recording.save()
    Meeting.objects.filter(pk=meeting.pk).update(status=Meeting.Status.PROCESSING)
    return recording


def _enqueue(broker_url, task, *args):
    """What `enqueue` does in a web process of the scaled mode."""
    # Not the current app: tasks after this test must keep using Mina's own app.
    app = Celery("faults", broker=broker_url, set_as_current=False)
    try:
        app.send_task(task, args=list(args), queue="default")
    finally:
        app.close()


def _status(model, pk):
    return model.objects.values_list("status", flat=True).get(pk=pk)


def test_a_job_whose_worker_is_killed_mid_pass_runs_again_and_leaves_one_set(meeting):
    recording = _processing_meeting(meeting, Recording.Source.LIVE, SPEECH / "standup.wav")
    redis = Redis()
    env = server_env(REDIS_URL=redis.url, MINA_JOBS_EAGER="0", MINA_JOB_VISIBILITY_TIMEOUT_S=str(VISIBILITY_S))
    first, second = celery_worker(env), celery_worker(env)
    with running(first, second, redis):
        redis.start()
        first.start()
        _enqueue(redis.url, "transcription.tasks.process_meeting", meeting.id)
        wait_for(lambda: Recording.objects.get(pk=recording.pk).progress >= 20, 90, "the careful pass under way")
        first.kill()
        assert _status(Recording, recording.pk) == Recording.Status.PROCESSING
        assert not meeting.segments.filter(kind="refined").exists()

        second.start()
        wait_for(lambda: _status(Meeting, meeting.pk) != Meeting.Status.PROCESSING, 120, "the job to run again")

    meeting.refresh_from_db()
    recording.refresh_from_db()
    assert meeting.status == Meeting.Status.READY, meeting.error
    # (Its attempts counted 2, then 1 again once the pass moved on: services.refined_store.)
    assert recording.status == Recording.Status.DONE and recording.error == ""
    refined = list(meeting.segments.filter(kind="refined").order_by("start_ms"))
    assert len({s.start_ms for s in refined}) == len(refined), "one set of refined segments, not two"
    text = " ".join(s.text for s in refined).lower()
    assert text.count("survey report") == 1, text


def test_a_job_that_always_kills_its_worker_stops_after_the_bounded_attempts(meeting):
    recording = _processing_meeting(meeting, Recording.Source.UPLOAD, SPEECH / "short.wav")
    redis = Redis()
    env = server_env(
        REDIS_URL=redis.url, MINA_JOBS_EAGER="0", MINA_JOB_VISIBILITY_TIMEOUT_S=str(VISIBILITY_S),
        MINA_JOB_MAX_ATTEMPTS="2", MINA_FAULT_KILL_ON_DECODE="1",
    )
    workers = []
    with running(redis):
        redis.start()
        _enqueue(redis.url, "transcription.tasks.transcribe_recording", recording.id)
        # Each worker takes the job, counts an attempt and dies; the next one gets the job
        # back once the visibility timeout has passed. The third attempt is refused.
        for _ in range(4):
            worker = celery_worker(env, "--include", "tests.faults.worker_faults")
            workers.append(worker)
            with running(worker):
                worker.start()
                wait_for(lambda w=worker: not w.alive() or _status(Recording, recording.pk) == "failed", 60,
                         "the worker to die or the job to give up")
                if _status(Recording, recording.pk) == Recording.Status.FAILED:
                    break

    recording.refresh_from_db()
    meeting.refresh_from_db()
    assert recording.status == Recording.Status.FAILED
    assert recording.attempts == 3 and len(workers) == 3, "two attempts killed their worker, the third gave up"
    assert "stopped after 2 attempts" in recording.error
    assert meeting.status == Meeting.Status.FAILED and "attempts" in meeting.error
