"""The pages in a real browser: from signing up to marking a task done.

Screenshots of every page go to test-artifacts/screenshots/ (look at them).
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest
from django.core.cache import cache
from django.utils import timezone

from accounts.models import User
from meetings.models import Meeting, Participant, Summary, Task
from tests.factories import MembershipFactory, UserFactory
from transcription.models import Recording, Segment
from workspaces.models import Invitation, Role, Workspace

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "a-strong-pass-123"
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True}


def _seed_design_review(workspace: Workspace, organizer: User) -> Meeting:
    """A processed meeting with speakers, a refined transcript, a summary and tasks."""
    meeting = Meeting.objects.create(
        workspace=workspace,
        title="Design review",
        organizer=organizer,
        status=Meeting.Status.READY,
        started_at=timezone.now() - timedelta(hours=3),
        ended_at=timezone.now() - timedelta(hours=2),
    )
    carol = Participant.objects.create(meeting=meeting, name="Carol")
    ada = Participant.objects.create(meeting=meeting, user=organizer, name=organizer.name)
    lines = [
        (ada, "Good morning. Let's go through the mobile release and the login error."),
        (carol, "The mobile release is ready; we ship the mobile release on Monday."),
        (ada, "David, please fix the login error before Thursday."),
        (carol, "I will write the survey report by Friday."),
    ]
    recording = Recording.objects.create(
        meeting=meeting, source=Recording.Source.UPLOAD, status=Recording.Status.DONE,
        duration_ms=len(lines) * 7_000, refined_ms=len(lines) * 7_000,
    )
    for n, (speaker, text) in enumerate(lines):
        Segment.objects.create(
            meeting=meeting,
            recording=recording,
            participant=speaker,
            start_ms=n * 7_000,
            end_ms=n * 7_000 + 6_000,
            text=text,
            kind=Segment.Kind.REFINED,
        )
    Summary.objects.create(
        meeting=meeting,
        overview="The team agreed to ship the mobile release on Monday and to fix the login error first.",
        key_points=["Mobile release is ready", "Login error still open"],
        decisions=["Ship the mobile release on Monday"],
        engine="local",
    )
    Task.objects.create(
        workspace=workspace,
        meeting=meeting,
        title="Fix the login error",
        owner_name="David",
        due_date=timezone.localdate() + timedelta(days=2),
    )
    return meeting


def _seed_more_meetings(workspace: Workspace, organizer: User) -> None:
    for title, status in [
        ("Customer call", Meeting.Status.READY),
        ("Sprint planning", Meeting.Status.PROCESSING),
        ("Retro", Meeting.Status.FAILED),
    ]:
        Meeting.objects.create(workspace=workspace, title=title, organizer=organizer, status=status)


def _unexpected(console_errors: list[str]) -> list[str]:
    """Console errors other than the 4xx answers these tests provoke on purpose (the
    browser and htmx both log those): a CSP refusal or a script error is a bug."""
    expected = ("Failed to load resource: the server responded with a status of 4", "Response Status Error Code 4")
    return [error for error in console_errors if not error.startswith(expected)]


def _sign_up(page: Any, email: str, name: str) -> None:
    page.get_by_label("Email").fill(email)
    page.get_by_label("Your name").fill(name)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat the password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()


def _sign_in(page: Any, base: str, email: str) -> None:
    page.goto(f"{base}/accounts/sign-in/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_sign_up_invite_accept_filter_and_finish_a_task(live_server: Any, new_page: Any, screenshot: Any) -> None:
    from playwright.sync_api import expect

    base = live_server.url
    page = new_page(viewport={"width": 1280, "height": 800})

    # Ada signs up and creates her team's workspace.
    page.goto(f"{base}/")
    expect(page).to_have_url(re.compile(r"/accounts/sign-in/"))
    screenshot(page, "01-sign-in")
    page.get_by_role("link", name="Create an account").click()
    screenshot(page, "02-sign-up")
    _sign_up(page, "ada@example.com", "Ada")
    expect(page.get_by_role("heading", name="Create your first workspace")).to_be_visible()
    screenshot(page, "03-create-workspace")
    page.get_by_label("Workspace name").fill("Acme")
    page.get_by_role("button", name="Create workspace").click()
    expect(page.get_by_role("heading", name="No meetings yet")).to_be_visible()
    screenshot(page, "04-meetings-empty")

    page.get_by_label("Title of the new meeting").fill("Weekly standup")
    page.get_by_role("button", name="New meeting").click()
    expect(page.get_by_role("heading", name="Weekly standup")).to_be_visible()
    expect(page.locator("main[data-meeting-id]")).to_be_visible()
    screenshot(page, "05-meeting-new")

    ada = User.objects.get(email="ada@example.com")
    workspace = Workspace.objects.get(name="Acme")
    review = _seed_design_review(workspace, ada)
    _seed_more_meetings(workspace, ada)

    # Ada invites Bo (the test server's mail stays in memory) and copies the link.
    page.get_by_role("link", name="Members").click()
    page.get_by_label("Email").fill("bo@example.com")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_text("Invitation emailed to bo@example.com")).to_be_visible()
    screenshot(page, "06-members")
    link = page.locator("input.invite-link").first.input_value()
    assert link == f"{base}/invitations/{Invitation.objects.get().token}/"
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/accounts/sign-in/"))

    # Bo opens the link, creates an account with the invited address and joins.
    page.goto(link)
    expect(page.get_by_role("heading", name="You have been invited to Mina")).to_be_visible()
    screenshot(page, "07-invitation-signed-out")
    page.get_by_role("link", name="Create an account").click()
    _sign_up(page, "bo@example.com", "Bo")
    expect(page.get_by_role("heading", name="Join Acme")).to_be_visible()
    screenshot(page, "08-invitation-accept")
    page.get_by_role("button", name="Join Acme").click()
    expect(page.get_by_text("Welcome to Acme")).to_be_visible()
    expect(page.locator("#meetings .row")).to_have_count(5)
    screenshot(page, "09-meetings-list")

    # Search and filter update the list in place (no page load, URL kept in step).
    page.evaluate("window.stillTheSamePage = true")
    page.get_by_label("Search").fill("mobile release")
    expect(page.locator("#meetings .row")).to_have_count(1)
    expect(page.locator("#meetings")).to_contain_text("Design review")
    expect(page).to_have_url(re.compile(r"q=mobile\+release"))
    screenshot(page, "10-meetings-search")
    page.get_by_label("Search").fill("")
    expect(page.locator("#meetings .row")).to_have_count(5)
    page.get_by_label("Status").select_option("ready")
    expect(page.locator("#meetings .row")).to_have_count(2)
    screenshot(page, "11-meetings-filter")
    page.get_by_label("Search").fill("zebra")
    expect(page.get_by_role("heading", name="No meetings match")).to_be_visible()
    screenshot(page, "11b-meetings-no-match")
    assert page.evaluate("window.stillTheSamePage") is True

    # Bo's task, edited in place on the meeting's page, then marked done in My tasks.
    bo = User.objects.get(email="bo@example.com")
    task = Task.objects.create(
        workspace=workspace,
        meeting=review,
        title="Write the survey report",
        assignee=bo,
        due_date=date.today() + timedelta(days=3),
    )
    Task.objects.create(
        workspace=workspace,
        meeting=review,
        title="Book the launch party",
        assignee=bo,
        due_date=date.today() - timedelta(days=1),
    )
    page.goto(f"{base}/meetings/{review.id}/")
    expect(page.locator("#transcript")).to_contain_text("I will write the survey report by Friday.")
    row = page.locator(f"#task-{task.id}")
    row.get_by_label("Status").select_option("in_progress")
    expect(row.get_by_text("Saved")).to_be_visible()
    screenshot(page, "12-meeting-page")
    task.refresh_from_db()
    assert task.status == Task.Status.IN_PROGRESS

    page.get_by_role("link", name="My tasks").click()
    screenshot(page, "13-my-tasks")
    page.evaluate("window.stillTheSamePage = true")
    row = page.locator(f"#task-{task.id}")
    row.get_by_role("button", name="Mark done").click()
    expect(row.get_by_role("button", name="Reopen")).to_be_visible()
    expect(row.locator(".badge")).to_have_text("Done")
    assert page.evaluate("window.stillTheSamePage") is True
    task.refresh_from_db()
    assert task.status == Task.Status.DONE
    screenshot(page, "14-my-tasks-done")
    page.get_by_role("link", name="Done", exact=True).click()
    expect(page.locator("#my-tasks .row")).to_have_count(1)

    # A refusal in place shows as an alert, and the row stays as it was.
    bo.memberships.update(role=Role.VIEWER)
    page.locator(f"#task-{task.id}").get_by_role("button", name="Reopen").click()
    expect(page.locator("#flash [role=alert]")).to_contain_text("You don't have permission")
    expect(page.locator(f"#task-{task.id} .badge")).to_have_text("Done")
    screenshot(page, "14b-in-place-error")
    bo.memberships.update(role=Role.MEMBER)

    # Keyboard: the first Tab reaches "Skip to content"; the workspace menu opens.
    page.goto(f"{base}/w/{workspace.id}/meetings/")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.get_by_text("Switch workspace")).to_be_visible()
    screenshot(page, "14c-workspace-menu")
    page.keyboard.press("Escape")
    expect(page.get_by_text("Switch workspace")).to_be_hidden()

    # The same pages on a phone.
    phone = new_page(storage_state=page.context.storage_state(), **PHONE)
    for path, name in [
        (f"/w/{workspace.id}/meetings/", "15-phone-meetings"),
        (f"/meetings/{review.id}/", "16-phone-meeting"),
        ("/tasks/", "17-phone-tasks"),
    ]:
        phone.goto(base + path)
        screenshot(phone, name)
    assert _unexpected(page.console_errors) == [] and _unexpected(phone.console_errors) == []


def test_errors_say_what_to_do_next(live_server: Any, new_page: Any, screenshot: Any, settings: Any) -> None:
    from playwright.sync_api import expect

    base = live_server.url
    settings.MINA_RATE_LIMITS = {**settings.MINA_RATE_LIMITS, "sign_in": "2/min"}
    workspace = Workspace.objects.create(name="Acme", slug="acme")
    owner = MembershipFactory(workspace=workspace, role=Role.OWNER, user=UserFactory(email="ada@example.com")).user
    MembershipFactory(workspace=workspace, role=Role.VIEWER, user=UserFactory(email="vic@example.com"))
    expired = Invitation.objects.create(
        workspace=workspace, email="vic@example.com", invited_by=owner, expires_at=timezone.now() - timedelta(days=1)
    )
    page = new_page(viewport={"width": 1280, "height": 800})
    page.goto(f"{base}/accounts/password-reset/")
    screenshot(page, "19a-password-reset")
    page.get_by_label("Email").fill("vic@example.com")
    page.get_by_role("button", name="Send the link").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    screenshot(page, "19b-password-reset-sent")

    for _ in range(2):
        page.goto(f"{base}/accounts/sign-in/")
        page.get_by_label("Email").fill("mallory@example.com")
        page.get_by_label("Password").fill("guess")
        page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("That email and password do not match")).to_be_visible()
    screenshot(page, "19c-sign-in-wrong-password")
    page.get_by_label("Password").fill("guess")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Too many attempts")).to_be_visible()
    screenshot(page, "19d-error-429")
    cache.clear()

    _sign_in(page, base, "vic@example.com")

    page.goto(f"{base}/w/{workspace.id}/meetings/")
    expect(page.get_by_text("When your team records a meeting")).to_be_visible()
    screenshot(page, "20-meetings-empty-viewer")
    page.goto(f"{base}/w/{workspace.id}/meetings/new/")
    expect(page.get_by_role("heading", name="You don't have permission")).to_be_visible()
    screenshot(page, "21-error-403")
    page.goto(f"{base}/meetings/999999/")
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    screenshot(page, "22-error-404")
    page.goto(f"{base}/invitations/{expired.token}/")
    expect(page.get_by_role("heading", name="This invitation has expired")).to_be_visible()
    screenshot(page, "23-error-invitation-expired")
    page.goto(f"{base}/tasks/")
    expect(page.get_by_role("heading", name="Nothing is assigned to you")).to_be_visible()
    screenshot(page, "24-my-tasks-empty")
    page.goto(f"{base}/w/{workspace.id}/members/")
    screenshot(page, "25-members-viewer")
    page.goto(f"{base}/no-such-page/")
    screenshot(page, "26-error-404-url")
    assert _unexpected(page.console_errors) == []
