"""Uploads over the API: validated from their content, 413 over the limit, status and progress."""

import io
import wave

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from meetings.models import Meeting
from tests.api.helpers import ROLES, client_for, error_code, queries_for
from tests.conftest import SPEECH
from transcription.models import Recording, Segment


def _file(name):
    return SimpleUploadedFile(name, (SPEECH / name).read_bytes())


def _upload(client, meeting, upload):
    return client.post(f"/api/v1/meetings/{meeting.id}/recordings/", {"file": upload}, format="multipart")


def _wav(seconds):
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16_000)
        out.writeframes(b"\0\0" * int(16_000 * seconds))
    return SimpleUploadedFile("long.wav", buffer.getvalue(), content_type="audio/wav")


def test_a_wav_upload_is_transcribed(meeting, owner, as_user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = _upload(as_user(owner), meeting, _file("short.wav"))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["source"] == "upload" and body["original_name"] == "short.wav" and body["duration_ms"] > 3000
    # Jobs run inline in tests: the status endpoint already shows the finished job.
    status = as_user(owner).get(f"/api/v1/meetings/{meeting.id}/recordings/{body['id']}/").json()
    assert (status["status"], status["progress"]) == ("done", 100)
    assert Segment.objects.filter(meeting=meeting, kind=Segment.Kind.REFINED).exists()
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.READY


def test_a_text_file_named_mp3_is_refused_and_leaves_nothing(meeting, owner, as_user):
    response = _upload(as_user(owner), meeting, _file("not_audio.mp3"))
    assert response.status_code == 400
    assert error_code(response) == "not_audio"
    assert not Recording.objects.exists()
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.SCHEDULED


def test_a_corrupt_wav_is_refused(meeting, owner, as_user):
    response = _upload(as_user(owner), meeting, _file("corrupt.wav"))
    assert response.status_code == 400
    assert error_code(response) == "corrupt"
    assert not Recording.objects.exists()


def test_a_missing_file_is_a_validation_error(meeting, owner, as_user):
    response = as_user(owner).post(f"/api/v1/meetings/{meeting.id}/recordings/", {}, format="multipart")
    assert response.status_code == 400
    assert "file" in response.json()["error"]["fields"]


def test_a_json_body_is_refused(meeting, owner, as_user):
    response = as_user(owner).post(f"/api/v1/meetings/{meeting.id}/recordings/", {"file": "x"}, format="json")
    assert response.status_code == 415
    assert error_code(response) == "unsupported_media_type"


def test_a_request_over_the_limit_is_413_before_parsing(meeting, owner, as_user, settings):
    settings.MINA_MAX_UPLOAD_MB = 1
    response = _upload(as_user(owner), meeting, _wav(40))  # 1.28 MB
    assert response.status_code == 413
    assert error_code(response) == "too_large"
    assert not Recording.objects.exists()


def test_a_file_just_over_the_limit_is_413(meeting, owner, as_user, settings):
    settings.MINA_MAX_UPLOAD_MB = 1
    upload = _wav(33)  # 1,056,044 bytes: the request is within the multipart allowance, the file is not
    assert 1024 * 1024 < upload.size < 1024 * 1024 + 64 * 1024
    response = _upload(as_user(owner), meeting, upload)
    assert response.status_code == 413
    assert error_code(response) == "too_large"
    assert not Recording.objects.exists()


def test_no_upload_while_live(meeting, owner, as_user):
    Meeting.objects.filter(pk=meeting.pk).update(status=Meeting.Status.LIVE)
    response = _upload(as_user(owner), meeting, _file("short.wav"))
    assert response.status_code == 400
    assert error_code(response) == "meeting_live"


@pytest.mark.parametrize("role,status", list(zip(ROLES, [403, 201, 201, 201], strict=True)))
def test_uploading_needs_member(meeting, member_of, as_user, role, status):
    response = _upload(as_user(member_of(meeting.workspace, role)), meeting, _file("short.wav"))
    assert response.status_code == status, response.content
    assert Recording.objects.exists() == (status == 201)


def test_another_workspace_cannot_upload_or_read(meeting, outsider, as_user):
    recording = Recording.objects.create(meeting=meeting, source=Recording.Source.UPLOAD)
    client = as_user(outsider)
    assert _upload(client, meeting, _file("short.wav")).status_code == 404
    assert client.get(f"/api/v1/meetings/{meeting.id}/recordings/").status_code == 404
    assert client.get(f"/api/v1/meetings/{meeting.id}/recordings/{recording.id}/").status_code == 404
    assert Recording.objects.count() == 1


def test_recordings_are_listed_with_status_and_progress(meeting, owner, as_user):
    Recording.objects.create(meeting=meeting, source=Recording.Source.UPLOAD, status="processing", progress=40)
    rows = as_user(owner).get(f"/api/v1/meetings/{meeting.id}/recordings/").json()["results"]
    assert [(r["status"], r["progress"]) for r in rows] == [("processing", 40)]


def test_uploads_are_rate_limited(meeting, owner, as_user, settings):
    settings.MINA_RATE_LIMITS = {**settings.MINA_RATE_LIMITS, "upload": "1/h"}
    client = as_user(owner)
    assert _upload(client, meeting, _file("not_audio.mp3")).status_code == 400
    response = _upload(client, meeting, _file("not_audio.mp3"))
    assert response.status_code == 429
    assert error_code(response) == "throttled"


@pytest.mark.parametrize("rows", [1, 50])
def test_recording_list_runs_constant_queries(rows, meeting, owner):
    Recording.objects.bulk_create([Recording(meeting=meeting, source=Recording.Source.UPLOAD) for _ in range(rows)])
    # user, meeting with membership, count, page
    assert queries_for(client_for(owner), f"/api/v1/meetings/{meeting.id}/recordings/?limit=100") == 4
