"""Follow-through in a real browser: the next meeting of a series opens with what the last
one left open and decided, a task said done is closed with one click, and the next
meeting of the series starts from there."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from meetings import services
from meetings.models import Meeting, Participant, Task
from tests.factories import MembershipFactory, SegmentFactory, UserFactory
from transcription.models import Segment
from transcription.summaries import summary_generate
from workspaces.models import Role, Workspace

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "a-strong-pass-123"


def _said(meeting: Meeting, user: Any, start_ms: int, text: str) -> None:
    voice, _ = Participant.objects.get_or_create(meeting=meeting, user=user, defaults={"name": user.display_name})
    SegmentFactory(
        meeting=meeting, participant=voice, start_ms=start_ms, end_ms=start_ms + 3_000, text=text,
        kind=Segment.Kind.REFINED,
    )


def test_carry_over_close_a_task_and_start_the_next_meeting(live_server: Any, new_page: Any, screenshot: Any) -> None:
    from playwright.sync_api import expect

    workspace = Workspace.objects.create(name="Acme", slug="acme")
    ada = MembershipFactory(workspace=workspace, role=Role.OWNER,
                            user=UserFactory(email="ada@example.com", display_name="Ada")).user
    david = MembershipFactory(workspace=workspace, role=Role.MEMBER,
                              user=UserFactory(email="david@example.com", display_name="David")).user
    membership = ada.memberships.get()
    last_week = services.meeting_create(membership=membership, title="Weekly sync 1", series="Weekly sync")
    Meeting.objects.filter(pk=last_week.pk).update(
        status=Meeting.Status.READY, created_at=timezone.now() - timedelta(days=7)
    )
    _said(last_week, ada, 1_000, "David, please fix the login error by Friday.")
    _said(last_week, david, 4_000, "Sure, I will.")
    _said(last_week, ada, 8_000, "We decided to move the launch to May.")
    summary_generate(meeting=Meeting.objects.get(pk=last_week.pk))
    today = services.meeting_create(membership=membership, title="Weekly sync 2", series="Weekly sync")
    Meeting.objects.filter(pk=today.pk).update(status=Meeting.Status.READY)
    _said(today, david, 2_000, "Good news, the login error is fixed.")
    summary_generate(meeting=Meeting.objects.get(pk=today.pk))

    page = new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/accounts/sign-in/")
    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/w/\d+/meetings/"))

    # The second meeting opens with the first one's open task, its decision, and the
    # line that said the task is done.
    page.goto(f"{live_server.url}/meetings/{today.id}/")
    panel = page.locator("#carry-over-panel")
    expect(panel.get_by_role("heading", name="From earlier Weekly sync")).to_be_visible()
    expect(panel.locator("#carried-tasks")).to_contain_text("Fix the login error")
    expect(panel).to_contain_text("Said done in this meeting: “Good news, the login error is fixed.”")
    expect(panel.locator("#carried-decisions")).to_contain_text("move the launch to May")
    screenshot(page, "follow-through-1-carry-over")

    panel.get_by_role("button", name="Close the task").click()
    expect(page.locator("#carry-over-panel")).to_contain_text("Nothing left open from earlier meetings.")
    assert Task.objects.get(title="Fix the login error").status == Task.Status.DONE
    screenshot(page, "follow-through-2-closed")

    # The decisions log finds it.
    page.get_by_role("link", name="Decisions").click()
    page.get_by_label("Search decisions").fill("launch")
    expect(page.locator("#decisions")).to_contain_text("move the launch to May")
    screenshot(page, "follow-through-3-decisions")

    # The next meeting of the series, in one click, opens with the decisions so far.
    page.goto(f"{live_server.url}/meetings/{today.id}/")
    page.get_by_role("button", name="Start the next Weekly sync").click()
    page.wait_for_url(re.compile(r"/meetings/\d+/$"))
    expect(page.locator("#carry-over-panel")).to_contain_text("Last time: Weekly sync 2")
    expect(page.locator("#carry-over-panel")).to_contain_text("move the launch to May")
    assert Meeting.objects.filter(series__name="Weekly sync").count() == 3
    screenshot(page, "follow-through-4-next-meeting")
    assert page.console_errors == []
