"""Trap: a job enqueued inside a transaction runs before its rows exist. Enqueue on commit."""

import ast
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from meetings.models import Meeting
from meetings.services import meeting_end
from tests.conftest import SPEECH
from transcription.models import Recording
from transcription.services import upload_create

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]
APPS = ["accounts", "core", "meetings", "mina", "transcription", "workspaces"]
# Direct sends that create no rows a job could miss: `enqueue` itself (its on-commit `send`), the health ping,
# the embedded timer's upkeep tick, and live audio (the job carries the audio, stateless).
ALLOWED = {("core/jobs.py", "send"), ("mina/health.py", "check_job_runner"), ("mina/embedded.py", "loop"),
           ("transcription/transcribers.py", "_enqueue")}


def test_an_upload_job_waits_for_the_commit(meeting, owner):
    # Jobs run inline in tests: one sent straight away would run here, inside the
    # transaction, and a worker elsewhere would not even find the recording.
    with transaction.atomic():
        recording = upload_create(
            meeting=meeting, membership=owner.memberships.get(),
            upload=SimpleUploadedFile("short.wav", (SPEECH / "short.wav").read_bytes()),
        )
        recording.refresh_from_db()
        assert recording.status == Recording.Status.QUEUED and recording.attempts == 0
    recording.refresh_from_db()
    assert recording.status == Recording.Status.DONE


def test_the_careful_pass_waits_for_the_commit(meeting, owner):
    Meeting.objects.filter(pk=meeting.pk).update(status=Meeting.Status.LIVE)
    with transaction.atomic():
        meeting_end(meeting=meeting, membership=owner.memberships.get())
        assert Meeting.objects.get(pk=meeting.pk).status == Meeting.Status.PROCESSING
    assert Meeting.objects.get(pk=meeting.pk).status == Meeting.Status.READY


class _Sends(ast.NodeVisitor):
    """(file, innermost enclosing function) of every `.delay(`, `.apply_async(`, `.send_task(`."""

    def __init__(self, path):
        self.path, self.functions, self.found = path, ["<module>"], set()

    def visit_FunctionDef(self, node):
        self.functions.append(node.name)
        self.generic_visit(node)
        self.functions.pop()

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Call(self, node):
        if isinstance(node.func, ast.Attribute) and node.func.attr in {"delay", "apply_async", "send_task"}:
            self.found.add((self.path, self.functions[-1]))
        self.generic_visit(node)


def test_every_job_that_needs_rows_is_enqueued_through_core_jobs_enqueue():
    found = set()
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" not in path.parts:
                sends = _Sends(str(path.relative_to(ROOT)))
                sends.visit(ast.parse(path.read_text()))
                found |= sends.found
    assert found - ALLOWED == set(), "send jobs with core.jobs.enqueue, which waits for the commit"
