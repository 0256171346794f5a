"""`make run` (`manage.py serve`: pages, sockets and jobs in one process) killed and started again."""

import asyncio
import wave

import pytest

from meetings.models import Meeting
from tests.conftest import SPEECH
from tests.faults.clients import http, multipart
from tests.faults.conftest import embedded_only
from tests.faults.processes import running, serve, server_env, wait_for
from tests.faults.scenarios import stream_through_a_crash
from tests.sockets import access_token
from tests.streaming import read_pcm
from transcription.models import Recording, Segment

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow, embedded_only]


def _status(meeting_id):
    return Meeting.objects.values_list("status", flat=True).get(pk=meeting_id)


def test_an_upload_job_interrupted_by_a_crash_resumes_where_it_stopped(meeting, owner):
    token = access_token(owner)
    # Blocks of 10 s: the 33 s standup is stored in four steps.
    web = serve(server_env(MINA_JOBS_EAGER="0", MINA_CAREFUL_BLOCK_S="10"))
    with running(web):
        web.start()
        body, content_type = multipart("file", "standup.wav", (SPEECH / "standup.wav").read_bytes())
        status, _ = http(web.address, f"/api/v1/meetings/{meeting.id}/recordings/", token=token, method="POST",
                         body=body, content_type=content_type)
        assert status == 201
        recording = Recording.objects.get(meeting=meeting)
        wait_for(lambda: Recording.objects.get(pk=recording.pk).refined_ms >= 10_000, 90, "a first block stored")
        web.kill()
        assert _status(meeting.id) == Meeting.Status.PROCESSING
        stored = Recording.objects.get(pk=recording.pk).refined_ms
        assert stored < recording.duration_ms, "killed half-way through the careful pass"
        before = dict(Segment.objects.filter(recording=recording, start_ms__lt=stored).values_list("id", "text"))
        assert before, "the first block's lines were stored before the crash"

        web.start()
        wait_for(lambda: _status(meeting.id) != Meeting.Status.PROCESSING, 120, "the job to resume and finish")

    meeting.refresh_from_db()
    recording.refresh_from_db()
    assert meeting.status == Meeting.Status.READY, meeting.error
    assert recording.status == Recording.Status.DONE
    after = dict(Segment.objects.filter(recording=recording, start_ms__lt=stored).values_list("id", "text"))
    assert after == before, "what was stored before the crash is kept, not transcribed again"
    text = " ".join(meeting.segments.filter(kind="refined").values_list("text", flat=True)).lower()
    assert text.count("survey report") == 1 and text.count("login error") == 2, "each line once"


def test_a_meeting_interrupted_by_a_crash_goes_on_and_can_be_ended_and_processed(meeting, owner):
    token = access_token(owner)
    pcm = read_pcm(SPEECH / "standup.wav")
    web = serve(server_env(MINA_JOBS_EAGER="0"))
    with running(web):
        web.start()
        seen = asyncio.run(stream_through_a_crash(web, meeting.id, token, pcm, crash_after_ms=11_000))
        recording = Recording.objects.get(meeting=meeting)
        with wave.open(recording.file.path, "rb") as joined:
            assert joined.readframes(joined.getnframes()) == pcm, "the audio is whole: nothing lost, nothing twice"
        status, _ = http(web.address, f"/api/v1/meetings/{meeting.id}/end/", token=token, method="POST")
        assert status == 200
        wait_for(lambda: _status(meeting.id) != Meeting.Status.PROCESSING, 120, "the careful pass and summary")

    assert seen["mic"].resumed_at[1] > 0, "the stream resumed where the server had it"
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.READY, meeting.error
    refined = " ".join(meeting.segments.filter(kind="refined").values_list("text", flat=True)).lower()
    assert "mobile release" in refined and "survey report" in refined
    assert meeting.tasks.filter(title__icontains="login error").exists()
