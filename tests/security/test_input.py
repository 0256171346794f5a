"""Random bytes at both upload endpoints, Django's password validators, sessions rotated at sign-in."""

from __future__ import annotations

import io
import os
import re
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from accounts.models import User
from meetings.models import Meeting
from tests.api.helpers import client_for, error_code
from tests.responses import content_of
from tests.security.routes import api_operations, page_routes, page_url, params
from transcription import audio
from transcription.models import Recording

FUZZ = hsettings(
    derandomize=True,
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
PASSWORD = "a-strong-pass-123"
pytestmark = pytest.mark.django_db
HEADERS = [
    b"",
    b"RIFF",
    b"RIFF\x24\x00\x00\x00WAVEfmt ",
    b"OggS",
    b"ID3",
    b"fLaC",
    b"\x1aE\xdf\xa3",
    b"\x00\x00\x00 ftypM4A ",
]
REFUSED = {"empty", "not_audio", "corrupt", "too_short", "too_long", "validation_error"}
AUDIO_TYPES = re.compile(r"^(audio/|video/(webm|mp4|ogg)|application/octet-stream)")
# Any name the test client can send (it refuses to build a file named "", "." or "..").
file_names = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=60).filter(
    lambda name: os.path.basename(name) not in ("", ".", "..")
) | st.sampled_from(["x.html", "x.svg", "../../etc/passwd.wav", "a.js", "noext", "X.WAV", ".htaccess"])


@pytest.fixture
def ready_meeting(meeting: Any, settings: Any) -> Any:
    settings.MINA_RATE_LIMITS = {**settings.MINA_RATE_LIMITS, "upload": "100000/h"}
    Meeting.objects.filter(pk=meeting.pk).update(status=Meeting.Status.READY)
    meeting.refresh_from_db()
    return meeting


def stored(meeting: Any) -> tuple[Any, ...]:
    """What an upload may change: the recordings, the meeting's status, the files on disk."""
    folder = Path(django_settings.MEDIA_ROOT) / "recordings"
    files = sorted(p.name for p in folder.glob("*")) if folder.exists() else []
    meeting.refresh_from_db()
    return Recording.objects.count(), meeting.status, files


def one_second_wav() -> bytes:
    buffer = io.BytesIO()
    audio.write_wav(buffer, b"\x00\x01" * 16000)
    return buffer.getvalue()


# --- Random bytes at the uploads ------------------------------------------------------


def test_random_bytes_at_the_api_upload_are_refused_and_store_nothing(ready_meeting, owner):
    client = client_for(owner)
    before = stored(ready_meeting)

    @FUZZ
    @given(data=st.binary(max_size=3000), header=st.sampled_from(HEADERS), name=file_names)
    def run(data, header, name):
        upload = SimpleUploadedFile(name, header + data, content_type="application/octet-stream")
        response = client.post(f"/api/v1/meetings/{ready_meeting.id}/recordings/", {"file": upload}, format="multipart")
        assert response.status_code == 400, (response.status_code, response.content[:300])
        assert error_code(response) in REFUSED
        assert stored(ready_meeting) == before

    run()


def test_random_bytes_at_the_page_upload_are_refused_and_store_nothing(ready_meeting, owner):
    client = Client()
    client.force_login(owner)
    before = stored(ready_meeting)

    @FUZZ
    @given(data=st.binary(max_size=3000), header=st.sampled_from(HEADERS), name=file_names, htmx=st.booleans())
    def run(data, header, name, htmx):
        upload = SimpleUploadedFile(name, header + data, content_type="application/octet-stream")
        extra = {"HTTP_HX_REQUEST": "true"} if htmx else {}
        response = client.post(f"/meetings/{ready_meeting.id}/recordings/", {"file": upload}, **extra)
        assert response.status_code == 400, (response.status_code, response.content[:300])
        assert "audio" in response.content.decode() or "file" in response.content.decode()
        assert stored(ready_meeting) == before

    run()


def test_any_file_name_is_stored_under_a_random_audio_name_and_served_as_audio(ready_meeting, owner):
    """The name a client sends never chooses where a file lands, nor how it is served back."""
    api, page = client_for(owner), Client()
    page.force_login(owner)
    wav = one_second_wav()

    @hsettings(FUZZ, max_examples=15)
    @given(name=file_names)
    def run(name):
        with transaction.atomic():  # the upload makes the meeting `processing`: undo it each time
            upload = SimpleUploadedFile(name, wav, content_type="text/html")
            response = api.post(
                f"/api/v1/meetings/{ready_meeting.id}/recordings/", {"file": upload}, format="multipart"
            )
            assert response.status_code == 201, response.content[:300]
            recording = Recording.objects.get(pk=response.json()["id"])
            assert re.fullmatch(
                r"recordings/[0-9a-f]{32}(\.(wav|mp3|m4a|mp4|aac|ogg|oga|opus|webm|flac))?", recording.file.name
            ), recording.file.name
            assert "/" not in recording.original_name and "\\" not in recording.original_name
            for download in ("", "?download=1"):
                served = page.get(f"/recordings/{recording.id}/audio{download}")
                content_of(served)
                assert AUDIO_TYPES.match(served["Content-Type"]), (name, served["Content-Type"])
                assert served["X-Content-Type-Options"] == "nosniff"
            transaction.set_rollback(True)

    run()


# --- Ids out of any range -------------------------------------------------------------

HUGE = 10**30  # past any database's integer


def test_ids_past_any_integer_are_not_found_or_refused_never_a_server_error(tenant_a):
    """Every path id (pages, partials, downloads, API) and every id in a query or a body."""
    owner = tenant_a.users["owner"]
    api, page = client_for(owner), Client()
    api.raise_request_exception = page.raise_request_exception = False
    page.force_login(owner)
    for method, path in api_operations():
        for name in params(path):
            url = path.format(**{**tenant_a.ids, name: HUGE})
            response = getattr(api, method.lower())(url, {"title": "x"}, format="json")
            assert response.status_code == 404, (method, url, response.status_code)
    for name, route in page_routes():
        for param in set(params(route)) & set(tenant_a.ids) - {"token"}:
            url = page_url(name, route, {**tenant_a.ids, param: HUGE})
            for send in (page.get, page.post):
                response = send(url)
                assert response.status_code in (302, 404, 405), (url, response.status_code)
    queries = ["workspace", "meeting", "after", "assignee"]
    for url in ("/api/v1/meetings/", "/api/v1/tasks/", f"/api/v1/meetings/{tenant_a.meeting.id}/segments/"):
        for query in queries:
            assert api.get(f"{url}?{query}={HUGE}").status_code in (200, 400), (url, query)
            assert api.get(f"{url}?{query}=-{HUGE}").status_code in (200, 400), (url, query)
    task = tenant_a.task.id
    bodies = [
        ("post", "/api/v1/meetings/", {"workspace": HUGE, "title": "x"}),
        ("post", "/api/v1/tasks/", {"workspace": HUGE, "title": "x"}),
        ("post", "/api/v1/tasks/", {"workspace": -HUGE, "title": "x"}),
        ("post", "/api/v1/tasks/", {"meeting": HUGE, "title": "x"}),
        ("post", "/api/v1/tasks/", {"workspace": tenant_a.workspace.id, "title": "x", "assignee": HUGE}),
        ("patch", f"/api/v1/tasks/{task}/", {"assignee": HUGE}),
        ("patch", f"/api/v1/workspaces/{tenant_a.workspace.id}/", {"retention_days": HUGE}),
    ]
    for method, url, body in bodies:
        response = getattr(api, method)(url, body, format="json")
        assert response.status_code in (400, 404), (url, body, response.status_code)
    assert page.post(f"/tasks/{task}/", {"status": "done", "assignee": HUGE}).status_code == 400
    assert page.get(f"/w/{tenant_a.workspace.id}/meetings/?q=x&page={HUGE}").status_code == 200


def test_a_user_id_that_does_not_exist_looks_like_any_non_member(tenant_a, tenant_b):
    """The answer for an assignee never tells which user ids exist (in any workspace)."""
    api = client_for(tenant_a.users["owner"])
    answers = [
        api.patch(f"/api/v1/tasks/{tenant_a.task.id}/", {"assignee": user_id}, format="json").json()
        for user_id in (tenant_b.users["owner"].id, 10**6)
    ]
    assert answers[0] == answers[1] and answers[0]["error"]["fields"] == {
        "assignee": ["Not a member of this workspace."]
    }


# --- Passwords ------------------------------------------------------------------------


def test_the_four_django_password_validators_are_on():
    names = {v["NAME"].rsplit(".", 1)[1] for v in django_settings.AUTH_PASSWORD_VALIDATORS}
    assert names >= {
        "UserAttributeSimilarityValidator",
        "MinimumLengthValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
    }


@pytest.mark.parametrize(
    "password,says",
    [
        ("Ab1!x", "too short"),
        ("password123", "too common"),
        ("83749201746352", "entirely numeric"),
        ("ada.lovelace", "too similar"),
    ],
)
def test_sign_up_refuses_weak_passwords(client, password, says):
    response = client.post(
        "/accounts/sign-up/",
        {"email": "ada.lovelace@example.com", "display_name": "Ada", "password1": password, "password2": password},
    )
    assert response.status_code == 200
    assert says in response.content.decode()
    assert not User.objects.filter(email="ada.lovelace@example.com").exists()


def _reset_form(client: Client, user: Any) -> str:
    client.post("/accounts/password-reset/", {"email": user.email})
    link = next(line for line in mail.outbox[-1].body.splitlines() if "/password-reset/" in line)
    return client.get(link.split("testserver", 1)[1]).url


def test_a_password_reset_refuses_weak_passwords(client, owner):
    form = _reset_form(client, owner)
    response = client.post(form, {"new_password1": "12345678", "new_password2": "12345678"})
    assert response.status_code == 200
    assert "too common" in response.content.decode() or "entirely numeric" in response.content.decode()
    owner.refresh_from_db()
    assert owner.check_password(PASSWORD)


def test_the_api_cannot_set_a_password_or_an_email(owner):
    response = client_for(owner).patch(
        "/api/v1/me/", {"password": "x", "email": "evil@example.com", "is_staff": True}, format="json"
    )
    assert response.status_code == 200
    owner.refresh_from_db()
    assert owner.check_password(PASSWORD) and owner.email != "evil@example.com" and not owner.is_staff


# --- Sessions -------------------------------------------------------------------------


def _is_signed_in(session_key: str) -> bool:
    client = Client()
    client.cookies[django_settings.SESSION_COOKIE_NAME] = session_key
    return client.get("/tasks/").status_code == 200


def test_sign_in_rotates_the_session_and_the_old_key_stays_signed_out(client, owner):
    client.get("/accounts/sign-in/")
    session = client.session
    session["planted"] = "by an attacker"
    session.save()
    planted = session.session_key
    response = client.post("/accounts/sign-in/", {"username": owner.email, "password": PASSWORD})
    assert response.status_code == 302
    assert client.session.session_key != planted
    assert _is_signed_in(client.session.session_key)
    assert not _is_signed_in(planted)


def test_sign_up_rotates_the_session(client):
    client.get("/accounts/sign-up/")
    session = client.session
    session.save()
    before = session.session_key
    client.post(
        "/accounts/sign-up/",
        {"email": "new@example.com", "display_name": "New", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert client.session.session_key != before and _is_signed_in(client.session.session_key)
    assert not _is_signed_in(before)


def test_signing_out_ends_the_session_on_the_server(client, owner):
    client.post("/accounts/sign-in/", {"username": owner.email, "password": PASSWORD})
    key = client.session.session_key
    client.post("/accounts/sign-out/")
    assert not _is_signed_in(key)


def test_a_password_reset_signs_out_every_other_session(owner):
    elsewhere = Client()
    elsewhere.post("/accounts/sign-in/", {"username": owner.email, "password": PASSWORD})
    key = elsewhere.session.session_key
    assert _is_signed_in(key)
    resetter = Client()
    form = _reset_form(resetter, owner)
    assert (
        resetter.post(form, {"new_password1": "another-pass-456", "new_password2": "another-pass-456"}).status_code
        == 302
    )
    assert not _is_signed_in(key)
