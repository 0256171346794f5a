"""Operator tools: the admin's re-transcribe action and `retry_failed`."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from accounts.models import User
from meetings.models import Meeting
from tests.conftest import SPEECH
from transcription.models import Recording
from transcription.services import upload_create

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def failed_upload(meeting, owner):
    recording = upload_create(
        meeting=meeting, membership=owner.memberships.get(),
        upload=SimpleUploadedFile("short.wav", (SPEECH / "short.wav").read_bytes()),
    )
    recording.segments.all().delete()
    Recording.objects.filter(pk=recording.pk).update(status="failed", error="Gave up", attempts=3)
    Meeting.objects.filter(pk=meeting.pk).update(status="failed", error="Gave up")
    return recording


def test_retry_failed_transcribes_failed_recordings_again(failed_upload, meeting):
    call_command("retry_failed")
    failed_upload.refresh_from_db()
    meeting.refresh_from_db()
    assert failed_upload.status == Recording.Status.DONE and failed_upload.error == ""
    assert meeting.status == Meeting.Status.READY and meeting.error == ""
    assert "quarterly budget" in " ".join(meeting.segments.values_list("text", flat=True)).lower()


def test_the_admin_action_re_transcribes(client, failed_upload, meeting):
    client.force_login(User.objects.create_superuser("root@example.com", "a-strong-pass-123"))
    response = client.post(
        "/admin/transcription/recording/",
        {"action": "retranscribe", "_selected_action": [failed_upload.pk]},
        follow=True,
    )
    assert "queued for transcription" in response.content.decode()
    failed_upload.refresh_from_db()
    assert failed_upload.status == Recording.Status.DONE
    assert meeting.segments.filter(kind="refined").exists()
