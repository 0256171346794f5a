"""Recordings are served only to members of their workspace."""

import asyncio
import time
from datetime import timedelta
from pathlib import Path

import pytest
from asgiref.sync import async_to_sync
from django.core import signing
from django.core.asgi import get_asgi_application
from django.core.files.base import ContentFile, File
from django.test import Client
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework_simplejwt.tokens import AccessToken

from accounts.models import AuditEvent
from tests.api.helpers import client_for, error_code
from tests.faults.clients import http
from tests.faults.processes import running, serve, server_env
from tests.responses import content_of
from transcription import links
from transcription.models import Recording
from transcription.views import CHUNK_BYTES, Unsatisfiable, requested_range
from workspaces.models import Membership, Role

BYTES = b"OggS fake audio bytes"  # 21 bytes


@pytest.fixture
def recording(meeting):
    recording = Recording(meeting=meeting, source="upload", status="done")
    recording.file.save("standup.ogg", ContentFile(BYTES), save=True)
    return recording


def test_members_stream_it_inline(client, recording, workspace, member_of):
    client.force_login(member_of(workspace, Role.VIEWER))
    response = client.get(f"/recordings/{recording.pk}/audio")
    assert response.status_code == 200
    assert content_of(response) == BYTES
    assert response["Content-Disposition"].startswith("inline")
    assert response["Content-Type"] == "audio/ogg"
    assert response["Content-Length"] == "21" and response["Accept-Ranges"] == "bytes"


@pytest.mark.parametrize(("header", "part"), [
    ("bytes=5-9", (5, 9)),
    ("bytes=10-", (10, 20)),
    ("bytes=-4", (17, 20)),
    ("bytes=0-999", (0, 20)),  # a last byte past the end means the end
    ("bytes=-999", (0, 20)),
])
def test_the_player_seeks_with_a_range(client, recording, owner, header, part):
    client.force_login(owner)
    response = client.get(f"/recordings/{recording.pk}/audio", HTTP_RANGE=header)
    first, last = part
    assert response.status_code == 206
    assert content_of(response) == BYTES[first:last + 1]
    assert response["Content-Range"] == f"bytes {first}-{last}/21"
    assert response["Content-Length"] == str(last - first + 1)


def test_a_range_past_the_end_is_416(client, recording, owner):
    client.force_login(owner)
    response = client.get(f"/recordings/{recording.pk}/audio", HTTP_RANGE="bytes=21-")
    assert response.status_code == 416 and response["Content-Range"] == "bytes */21"


@pytest.mark.parametrize("header", ["", "bytes=0-1,5-6", "items=0-5", "bytes=x-", "bytes=-"])
def test_what_is_not_one_byte_range_gets_the_whole_file(header):
    assert requested_range(header, 21) is None


@pytest.mark.parametrize("header", ["bytes=21-", "bytes=9-3", "bytes=-0"])
def test_unsatisfiable_ranges(header):
    with pytest.raises(Unsatisfiable):
        requested_range(header, 21)


def test_an_empty_file_has_no_byte_to_give():
    with pytest.raises(Unsatisfiable):
        requested_range("bytes=0-", 0)
    assert requested_range("", 0) is None


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


# --- Apps: a Bearer token, or the signed link of the recording's API representation -----


def audio_link(user, recording):
    """What the app reads from the API: the recording's signed audio link, for this user."""
    body = client_for(user).get(f"/api/v1/meetings/{recording.meeting_id}/recordings/{recording.pk}/").json()
    return body["audio"]


def test_a_bearer_token_plays_it_with_ranges(client, recording, owner):
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {AccessToken.for_user(owner)}"}
    whole = client.get(f"/recordings/{recording.pk}/audio", **bearer)
    part = client.get(f"/recordings/{recording.pk}/audio", HTTP_RANGE="bytes=5-9", **bearer)
    assert whole.status_code == 200 and content_of(whole) == BYTES
    assert part.status_code == 206 and content_of(part) == BYTES[5:10]
    assert client.get(f"/recordings/{recording.pk}/audio", HTTP_RANGE="bytes=99-", **bearer).status_code == 416


def test_an_expired_or_forged_bearer_token_is_401_in_the_api_shape(client, recording, owner):
    expired = AccessToken.for_user(owner)
    expired.set_exp(lifetime=-timedelta(seconds=5))
    for token, code in [(expired, "token_expired"), ("forged.token.value", "token_not_valid")]:
        response = client.get(f"/recordings/{recording.pk}/audio", HTTP_AUTHORIZATION=f"Bearer {token}")
        assert response.status_code == 401 and error_code(response) == code


def test_the_api_gives_a_signed_link_a_player_can_use_with_no_header(client, recording, workspace, member_of):
    link = audio_link(member_of(workspace, Role.VIEWER), recording)
    assert link["url"].startswith(f"http://testserver/recordings/{recording.pk}/audio?sig=")
    assert parse_datetime(link["expires_at"]) > timezone.now() + timedelta(minutes=59)
    whole = client.get(link["url"])
    part = client.get(link["url"], HTTP_RANGE="bytes=10-")
    assert whole.status_code == 200 and content_of(whole) == BYTES
    assert part.status_code == 206 and content_of(part) == BYTES[10:]
    assert client.get(link["url"], HTTP_RANGE="bytes=21-").status_code == 416


def test_a_recording_without_a_file_yet_has_no_link(meeting, owner):
    live = Recording.objects.create(meeting=meeting, source="live", status="recording")
    assert audio_link(owner, live) is None


def test_a_signed_link_expires(client, recording, owner, settings, monkeypatch):
    made = int(time.time()) - (settings.MINA_AUDIO_LINK_MINUTES * 60 + 1)
    monkeypatch.setattr(signing.TimestampSigner, "timestamp", lambda self: signing.b62_encode(made))
    url = audio_link(owner, recording)["url"]  # as the API gave it a minute more than its lifetime ago
    monkeypatch.undo()
    response = client.get(url)
    assert response.status_code == 403 and error_code(response) == "link_expired"


def test_a_forged_or_another_recordings_link_is_refused(client, recording, meeting, owner):
    other = Recording(meeting=meeting, source="upload", status="done")
    other.file.save("other.ogg", ContentFile(b"OggS other"), save=True)
    signature = audio_link(owner, other)["url"].split("sig=")[1]
    for sig in [signature, signature[:-2] + "xx", "nonsense"]:
        response = client.get(f"/recordings/{recording.pk}/audio?sig={sig}")
        assert response.status_code == 403 and error_code(response) == "link_not_valid", sig


def test_a_link_stops_working_when_its_user_leaves_the_workspace(client, recording, workspace, member_of):
    member = member_of(workspace, Role.MEMBER)
    url = audio_link(member, recording)["url"]
    Membership.objects.filter(user=member).delete()
    assert client.get(url).status_code == 404


def test_another_workspace_gets_404_with_a_token_or_a_link_of_its_own(client, recording, outsider):
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {AccessToken.for_user(outsider)}"}
    assert client.get(f"/recordings/{recording.pk}/audio", **bearer).status_code == 404
    path, _ = links.audio_link(recording_id=recording.pk, user_id=outsider.pk)  # as if the API gave it one
    assert client.get(path).status_code == 404


def test_files_have_random_names_outside_static(recording, settings):
    name = recording.file.name
    assert name.startswith("recordings/") and "standup" not in name
    assert not str(settings.MEDIA_ROOT).startswith(str(settings.STATIC_ROOT))


def test_media_is_never_served_directly(client, recording, owner):
    client.force_login(owner)
    assert client.get(f"/media/{recording.file.name}").status_code == 404


@pytest.mark.django_db(transaction=True)
def test_each_chunk_is_read_after_the_one_before_was_sent(meeting, owner, settings):
    """Django's ASGI handler reads a synchronous file response whole before its first
    byte goes out (a recording can be hundreds of MB). Here the file is read as it is
    sent: what the file holds once the first chunk is out is what the rest carries."""
    size = 3 * CHUNK_BYTES
    recording = Recording(meeting=meeting, source="upload", status="done")
    recording.file.save("long.ogg", ContentFile(b"a" * size), save=True)
    client = Client()
    client.force_login(owner)
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
        "path": f"/recordings/{recording.pk}/audio", "raw_path": b"", "root_path": "", "query_string": b"",
        "headers": [(b"host", b"testserver"), (b"cookie", cookie.encode())],
        "server": ("testserver", 80), "client": ("127.0.0.1", 50000),
    }
    sent: list[bytes] = []
    requests = [{"type": "http.request", "body": b"", "more_body": False}]

    async def receive():  # the request, then a listener that stays
        if requests:
            return requests.pop()
        await asyncio.get_running_loop().create_future()

    async def send(message):
        if message["type"] == "http.response.body" and message.get("body"):
            if not sent:  # the first bytes are out: the file changes under the response
                Path(recording.file.path).write_bytes(b"b" * size)
            sent.append(message["body"])

    async_to_sync(get_asgi_application())(scope, receive, send)
    body = b"".join(sent)
    assert len(sent) > 1 and len(body) == size
    assert body == b"a" * CHUNK_BYTES + b"b" * (size - CHUNK_BYTES)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_large_recording_and_a_part_of_it_through_a_real_server(meeting, owner, tmp_path):
    large = tmp_path / "long.ogg"
    large.write_bytes(b"OggS" + bytes(range(256)) * (16 * 4096))  # 16 MB
    recording = Recording(meeting=meeting, source="upload", status="done")
    with large.open("rb") as handle:
        recording.file.save("long.ogg", File(handle), save=True)
    client = Client()
    client.force_login(owner)
    cookie = {"Cookie": f"sessionid={client.cookies['sessionid'].value}"}
    path = f"/recordings/{recording.pk}/audio"
    web = serve(server_env())
    with running(web):
        web.start()
        status, whole = http(web.address, path, headers=cookie)
        part_status, part = http(web.address, path, headers={**cookie, "Range": "bytes=10000000-10000099"})
    assert status == 200 and whole == large.read_bytes()
    assert part_status == 206 and part == large.read_bytes()[10_000_000:10_000_100]


def test_a_recording_compressed_while_the_page_asks_for_it_is_served_from_its_new_file(
        client, recording, owner, monkeypatch):
    """The careful pass marks the meeting ready, then swaps its WAV for a compressed copy
    (jobs._compress): a player asking in between read the old name from the row."""
    from django.db.models.fields.files import FieldFile

    real_open, swapped = FieldFile.open, []

    def open_after_the_swap(self, mode="rb"):
        if not swapped:  # the job runs between the view's query and its open
            old = self.name
            fresh = Recording.objects.get(pk=recording.pk)
            fresh.file.save("live.ogg", ContentFile(b"OggS compressed"), save=True)
            fresh.file.storage.delete(old)
            swapped.append(old)
        return real_open(self, mode)

    monkeypatch.setattr(FieldFile, "open", open_after_the_swap)
    client.force_login(owner)
    response = client.get(f"/recordings/{recording.pk}/audio")
    assert swapped and response.status_code == 200
    assert content_of(response) == b"OggS compressed"


def test_a_recording_whose_file_is_gone_is_not_found(client, recording, owner):
    recording.file.storage.delete(recording.file.name)
    client.force_login(owner)
    assert client.get(f"/recordings/{recording.pk}/audio").status_code == 404
