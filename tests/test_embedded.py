"""The embedded job runner: Celery's worker in a thread on the memory broker."""

import time

import pytest
from channels.db import database_sync_to_async
from django.core.files.uploadedfile import SimpleUploadedFile

from meetings import events
from meetings.models import Meeting
from mina import embedded
from mina.celery import app
from tests.conftest import SPEECH
from tests.sockets import connect, receive
from transcription.models import Recording
from transcription.services import upload_create

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def worker(settings):
    if settings.SCALED:
        pytest.skip("the embedded runner is for the embedded mode")
    app.conf.task_always_eager = False
    worker = embedded.start_worker()
    try:
        yield worker
    finally:
        worker.stop(in_sighandler=False)
        app.conf.task_always_eager = True


async def test_a_job_runs_on_the_worker_thread_and_its_events_arrive_within_200_ms(worker, meeting, owner, monkeypatch):
    stamped = {}
    real_send = events.send

    def stamping_send(meeting_id, event):
        if event["type"] == "job.progress":
            stamped.setdefault(event["percent"], time.monotonic())
        real_send(meeting_id, event)

    monkeypatch.setattr(events, "send", stamping_send)
    ws, _, _ = await connect(f"/ws/meetings/{meeting.id}/", user=owner)
    try:
        await receive(ws)
        await database_sync_to_async(upload_create)(
            meeting=meeting, membership=await database_sync_to_async(owner.memberships.get)(),
            upload=SimpleUploadedFile("short.wav", (SPEECH / "short.wav").read_bytes()),
        )
        delays = []
        while True:
            event = await receive(ws, timeout=60)
            if event["type"] == "job.progress" and event["stage"] == "transcribing":
                delays.append(time.monotonic() - stamped[event["percent"]])
            if event["type"] == "meeting.status" and event["status"] == "ready":
                break
    finally:
        await ws.disconnect()
    assert delays and max(delays) < 0.2, delays
    recording = await database_sync_to_async(Recording.objects.get)(meeting=meeting)
    assert recording.status == Recording.Status.DONE


def test_recovery_picks_up_what_a_restart_interrupted(meeting, owner):
    recording = upload_create(
        meeting=meeting, membership=owner.memberships.get(),
        upload=SimpleUploadedFile("short.wav", (SPEECH / "short.wav").read_bytes()),
    )
    # As if the process died mid-job, before its first block was stored: the row says
    # processing, the queue is gone.
    Recording.objects.filter(pk=recording.pk).update(status=Recording.Status.PROCESSING, progress=40, refined_ms=0)
    Meeting.objects.filter(pk=meeting.pk).update(status=Meeting.Status.PROCESSING)
    recording.segments.all().delete()
    embedded.recover()  # jobs run inline in tests
    recording.refresh_from_db()
    meeting.refresh_from_db()
    assert recording.status == Recording.Status.DONE
    assert meeting.status == Meeting.Status.READY
    assert "quarterly budget" in " ".join(meeting.segments.values_list("text", flat=True)).lower()


