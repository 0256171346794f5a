"""Recordings are served only to members of their workspace."""

import pytest
from django.core.files.base import ContentFile

from accounts.models import AuditEvent
from transcription.models import Recording
from workspaces.models import Role


@pytest.fixture
def recording(meeting):
    recording = Recording(meeting=meeting, source="upload", status="done")
    recording.file.save("standup.ogg", ContentFile(b"OggS fake audio bytes"), save=True)
    return recording


def test_members_stream_it_inline(client, recording, workspace, member_of):
    client.force_login(member_of(workspace, Role.VIEWER))
    response = client.get(f"/recordings/{recording.pk}/audio")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"OggS fake audio bytes"
    assert response["Content-Disposition"].startswith("inline")
    assert response["Content-Type"] == "audio/ogg"


def test_a_download_is_an_attachment_and_is_audited(client, recording, owner):
    client.force_login(owner)
    response = client.get(f"/recordings/{recording.pk}/audio?download=1")
    assert response["Content-Disposition"].startswith("attachment")
    assert AuditEvent.objects.filter(action="recording_downloaded", actor=owner).exists()


def test_another_workspace_gets_404(client, recording, outsider):
    client.force_login(outsider)
    assert client.get(f"/recordings/{recording.pk}/audio").status_code == 404


def test_signed_out_is_sent_to_sign_in(client, recording):
    response = client.get(f"/recordings/{recording.pk}/audio")
    assert response.status_code == 302 and "/accounts/sign-in/" in response.url


def test_files_have_random_names_outside_static(recording, settings):
    name = recording.file.name
    assert name.startswith("recordings/") and "standup" not in name
    assert not str(settings.MEDIA_ROOT).startswith(str(settings.STATIC_ROOT))


def test_media_is_never_served_directly(client, recording, owner):
    client.force_login(owner)
    assert client.get(f"/media/{recording.file.name}").status_code == 404
