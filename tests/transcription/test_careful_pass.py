"""After a live meeting: the careful pass, the summary and tasks, compression."""

import asyncio
import datetime as dt
import json

import pytest
from django.utils import timezone

from meetings.models import Meeting, Task
from meetings.services import meeting_end
from tests.conftest import SPEECH
from tests.factories import MembershipFactory, UserFactory
from tests.sockets import access_token, connect
from tests.streaming import only_turns_of, read_pcm, send_audio, start, stop
from transcription import jobs
from transcription.models import Recording, Segment
from workspaces.models import Role

STANDUP = json.loads((SPEECH / "standup.json").read_text())


async def _stream_per_speaker(meeting, people):
    pcm = read_pcm(SPEECH / "standup.wav")
    sockets = {}
    for name, user in people.items():
        ws, connected, _ = await connect(f"/ws/meetings/{meeting.id}/audio/", token=access_token(user), origin=None)
        assert connected
        sockets[name] = ws
    try:
        for ws in sockets.values():
            await start(ws)
        await asyncio.gather(*(send_audio(ws, only_turns_of(pcm, STANDUP["turns"], n)) for n, ws in sockets.items()))
        for ws in sockets.values():
            await stop(ws)
    finally:
        for ws in sockets.values():
            await ws.disconnect()


@pytest.fixture
def standup_team(workspace):
    return {
        name: MembershipFactory(workspace=workspace, role=Role.MEMBER, user=UserFactory(display_name=name)).user
        for name in ("Alice", "David", "Carol")
    }


@pytest.fixture
def ended_standup(workspace, standup_team):
    """A live meeting recorded one socket per speaker, then ended by Alice (jobs run inline)."""
    from tests.factories import MeetingFactory

    meeting = MeetingFactory(workspace=workspace, organizer=standup_team["Alice"])
    asyncio.run(_stream_per_speaker(meeting, standup_team))
    meeting.refresh_from_db()
    meeting_end(meeting=meeting, membership=standup_team["Alice"].memberships.get())
    meeting.refresh_from_db()
    return meeting


@pytest.mark.django_db(transaction=True)
def test_the_careful_pass_gives_refined_segments_by_participant(ended_standup):
    meeting = ended_standup
    assert meeting.status == Meeting.Status.READY, meeting.error
    refined = list(meeting.segments.filter(kind="refined").select_related("participant"))
    assert {s.participant.name for s in refined} == {"Alice", "David", "Carol"}
    carol = " ".join(s.text for s in refined if s.participant.name == "Carol").lower()
    assert "survey report" in carol
    assert meeting.segments.filter(kind="final").exists()  # live finals are kept
    for recording in meeting.recordings.all():
        assert recording.status == Recording.Status.DONE
        assert not recording.file.name.endswith(".wav")  # compressed
        assert recording.file.size < 300_000


@pytest.mark.django_db(transaction=True)
def test_tasks_go_to_the_right_people(ended_standup, standup_team):
    meeting = ended_standup
    tasks = {t.title.lower(): t for t in Task.objects.filter(meeting=meeting)}
    fix = next(t for title, t in tasks.items() if "login error" in title)
    report = next(t for title, t in tasks.items() if "survey report" in title)
    assert fix.assignee == standup_team["David"]
    assert report.assignee == standup_team["Carol"]
    meeting_day = meeting.started_at.date()
    assert fix.due_date.weekday() == 3 and meeting_day < fix.due_date <= meeting_day + dt.timedelta(days=7)
    assert report.due_date.weekday() == 4 and meeting_day < report.due_date <= meeting_day + dt.timedelta(days=7)
    assert "login error" in fix.source_segment.text.lower()
    assert "survey report" in report.source_segment.text.lower()
    assert any("mobile release on monday" in d.lower() for d in meeting.summary.decisions)
    assert meeting.summary.overview


@pytest.mark.django_db(transaction=True)
def test_resummarising_is_idempotent_and_keeps_hand_edits(ended_standup, standup_team):
    from transcription.summaries import summary_generate

    meeting = ended_standup
    before = sorted(Task.objects.filter(meeting=meeting).values_list("title", flat=True))
    task = Task.objects.get(meeting=meeting, title__icontains="survey report")
    task.title = "Write the survey report (draft first)"
    task.assignee = standup_team["Alice"]
    task.edited = True
    task.save()
    summary_generate(meeting=meeting)
    summary_generate(meeting=meeting)
    after = list(Task.objects.filter(meeting=meeting))
    assert len(after) == len(before)
    edited = Task.objects.get(pk=task.pk)
    assert edited.title == "Write the survey report (draft first)" and edited.assignee == standup_team["Alice"]
    assert Task.objects.filter(meeting=meeting, title__icontains="login error").count() == 1


@pytest.mark.django_db(transaction=True)
def test_an_upload_s_i_will_item_goes_to_the_voice_that_said_it_not_the_uploader(workspace, standup_team):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.factories import MeetingFactory
    from transcription.services import upload_create

    alice = standup_team["Alice"]
    meeting = MeetingFactory(workspace=workspace, organizer=alice)
    upload_create(
        meeting=meeting, membership=alice.memberships.get(),
        upload=SimpleUploadedFile("standup.wav", (SPEECH / "standup.wav").read_bytes()),
    )
    tasks = list(Task.objects.filter(meeting=meeting).select_related("assignee"))
    assert any("login error" in t.title.lower() and t.assignee == standup_team["David"] for t in tasks)
    report = next(t for t in tasks if "survey report" in t.title.lower())
    # Whoever said "I will …" (a voice the careful pass numbered), until someone names it.
    assert report.assignee is None and report.owner_name.startswith("Speaker ")


@pytest.mark.django_db(transaction=True)
def test_running_the_careful_pass_twice_leaves_one_set(ended_standup):
    meeting = ended_standup
    count = meeting.segments.filter(kind="refined").count()
    Meeting.objects.filter(pk=meeting.pk).update(status=Meeting.Status.PROCESSING)
    Recording.objects.filter(meeting=meeting).update(attempts=0)
    jobs.meeting_process(meeting_id=meeting.id)
    assert meeting.segments.filter(kind="refined").count() == count
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.READY


@pytest.mark.django_db(transaction=True)
def test_a_transient_failure_is_retried_and_then_succeeds(meeting, owner, monkeypatch):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from transcription.engines import base
    from transcription.services import upload_create

    real = jobs.audio.read_blocks
    calls = []

    def flaky(path, **kwargs):
        calls.append(path)
        if len(calls) == 1:
            raise base.EngineUnavailable("the engine hiccuped")
        return real(path, **kwargs)

    monkeypatch.setattr(jobs.audio, "read_blocks", flaky)
    recording = upload_create(
        meeting=meeting, membership=owner.memberships.get(),
        upload=SimpleUploadedFile("short.wav", (SPEECH / "short.wav").read_bytes()),
    )
    recording.refresh_from_db()
    assert len(calls) == 3  # the hiccup; then, tried again, the careful pass and the speakers
    assert recording.status == Recording.Status.DONE


@pytest.mark.django_db(transaction=True)
def test_a_job_that_keeps_failing_marks_the_meeting_failed_with_a_readable_error(meeting, owner, monkeypatch):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from transcription.services import upload_create

    def broken(path, **kwargs):
        raise ValueError("boom")

    monkeypatch.setattr(jobs.audio, "read_blocks", broken)
    recording = upload_create(
        meeting=meeting, membership=owner.memberships.get(),
        upload=SimpleUploadedFile("short.wav", (SPEECH / "short.wav").read_bytes()),
    )
    recording.refresh_from_db()
    meeting.refresh_from_db()
    assert recording.status == Recording.Status.FAILED and recording.error
    assert meeting.status == Meeting.Status.FAILED and "Unexpected error" in meeting.error


def test_attempts_are_bounded(meeting, settings):
    recording = Recording.objects.create(meeting=meeting, source="upload", attempts=settings.MINA_JOB_MAX_ATTEMPTS)
    with pytest.raises(jobs.JobFailed):
        jobs._start_attempt(recording)


def test_retention_purge_removes_rows_and_files(meeting, workspace, settings, django_capture_on_commit_callbacks):
    from django.core.files.base import ContentFile

    recording = Recording(meeting=meeting, source="upload")
    recording.file.save("old.wav", ContentFile(b"RIFF"), save=True)
    path = recording.file.path
    Segment.objects.create(meeting=meeting, start_ms=0, end_ms=1, text="old", kind="refined")
    workspace.retention_days = 30
    workspace.save()
    from meetings.models import Meeting as M

    M.objects.filter(pk=meeting.pk).update(created_at=timezone.now() - dt.timedelta(days=31))
    from django.core.management import call_command

    with django_capture_on_commit_callbacks(execute=True):  # files go once the deletion commits
        call_command("purge_expired")
    assert not M.objects.filter(pk=meeting.pk).exists()
    assert not Segment.objects.exists()
    import os

    assert not os.path.exists(path)


def test_idle_live_meetings_end_by_themselves(meeting, settings):
    settings.MINA_IDLE_END_MINUTES = 1
    Meeting.objects.filter(pk=meeting.pk).update(
        status=Meeting.Status.LIVE, started_at=timezone.now() - dt.timedelta(minutes=5)
    )
    Recording.objects.create(
        meeting=meeting, source="live", status="queued", last_audio_at=timezone.now() - dt.timedelta(minutes=2)
    )
    assert jobs.end_idle_meetings() == 1
    meeting.refresh_from_db()
    assert meeting.status in (Meeting.Status.PROCESSING, Meeting.Status.READY)




def _stuck_upload(meeting, owner, moved_ago):
    """An upload whose job was never queued: processing, nothing moved for `moved_ago`."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from transcription.services import upload_create

    recording = upload_create(
        meeting=meeting, membership=owner.memberships.get(),
        upload=SimpleUploadedFile("short.wav", (SPEECH / "short.wav").read_bytes()),
    )
    recording.segments.all().delete()
    Recording.objects.filter(pk=recording.pk).update(
        status=Recording.Status.QUEUED, updated_at=timezone.now() - moved_ago
    )
    Meeting.objects.filter(pk=meeting.pk).update(status=Meeting.Status.PROCESSING)
    return recording


def test_a_stalled_job_is_queued_again_by_the_upkeep(meeting, owner, settings, django_capture_on_commit_callbacks):
    settings.MINA_JOB_STALLED_S = 600
    recording = _stuck_upload(meeting, owner, dt.timedelta(minutes=11))
    with django_capture_on_commit_callbacks(execute=True):
        jobs.periodic()  # jobs run inline in tests
    recording.refresh_from_db()
    meeting.refresh_from_db()
    assert recording.status == Recording.Status.DONE
    assert meeting.status == Meeting.Status.READY
    assert "quarterly budget" in " ".join(meeting.segments.values_list("text", flat=True)).lower()


def test_a_job_that_moved_recently_is_left_alone(meeting, owner, settings, django_capture_on_commit_callbacks):
    settings.MINA_JOB_STALLED_S = 600
    recording = _stuck_upload(meeting, owner, dt.timedelta(minutes=9))
    with django_capture_on_commit_callbacks(execute=True) as queued:
        assert jobs.requeue_stalled() == 0
    assert not queued
    recording.refresh_from_db()
    assert recording.status == Recording.Status.QUEUED
