"""`manage.py smoke_test` against a live Daphne, as it runs after a deployment."""

import os
import subprocess
import sys

import pytest

from meetings.models import Meeting
from tests.conftest import SPEECH
from tests.servers import ROOT, daphne
from workspaces.models import Role

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

PASSWORD = "a-strong-pass-123"  # the factories' password


def smoke_test(address: str, email: str, password: str, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", "smoke_test", "--url", f"http://{address}", "--email", email,
         "--password", password, "--audio", str(SPEECH / "short.wav"), "--timeout", "120", *extra],
        cwd=ROOT, capture_output=True, text=True, timeout=240,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "mina.test_settings"},
    )


def test_it_passes_every_step_on_a_working_server_and_leaves_nothing(workspace, member_of):
    user = member_of(workspace, Role.MEMBER)
    with daphne() as address:
        result = smoke_test(address, user.email, PASSWORD, "--word", "budget")
    assert result.returncode == 0, result.stdout + result.stderr
    steps = [line.removeprefix("ok ") for line in result.stdout.splitlines() if line.startswith("ok ")]
    assert steps == ["health", "sign in", "workspace", "create meeting", "open socket", "upload", "transcript",
                     "socket events", "delete meeting"]
    assert "budget" in result.stdout.lower()
    assert not Meeting.objects.exists()


def test_a_wrong_password_fails_at_sign_in(workspace, member_of):
    user = member_of(workspace, Role.MEMBER)
    with daphne() as address:
        result = smoke_test(address, user.email, "not-the-password")
    assert result.returncode == 1
    assert "ok health" in result.stdout
    assert "FAILED sign in: POST /api/v1/auth/token/: HTTP 401" in result.stdout
    assert not Meeting.objects.exists()


def test_a_word_not_heard_fails_at_transcript_and_still_deletes_the_meeting(workspace, member_of):
    user = member_of(workspace, Role.MEMBER)
    with daphne() as address:
        result = smoke_test(address, user.email, PASSWORD, "--word", "zebra")
    assert result.returncode == 1
    assert "FAILED transcript: 'zebra' is not in the transcript" in result.stdout
    assert "deleted meeting" in result.stdout
    assert not Meeting.objects.exists()


def test_a_viewer_only_account_fails_at_workspace(workspace, member_of):
    user = member_of(workspace, Role.VIEWER)
    with daphne() as address:
        result = smoke_test(address, user.email, PASSWORD)
    assert result.returncode == 1
    assert "FAILED workspace: the account is a member (or more) of no workspace" in result.stdout


def test_a_server_that_is_not_there_fails_at_health():
    result = smoke_test("127.0.0.1:9", "a@example.com", PASSWORD)
    assert result.returncode == 1
    assert result.stdout.startswith("FAILED health:")
