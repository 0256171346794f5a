"""The operations page in a real browser: staff open it from the admin, see each section
(the health checks arrive by themselves), and retry a failed upload."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from accounts.models import AuditEvent
from transcription.models import Recording

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_staff_open_the_page_from_the_admin_and_retry_a_failed_upload(
    live_server, new_page, screenshot, operator, failed_upload, live_meeting
):
    page = new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", operator.email)
    page.fill("#id_password", "a-strong-pass-123")
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Operations", exact=True).click()
    expect(page).to_have_url(f"{live_server.url}/admin/ops/")

    for heading in ["Health", "Live now", "Job queues", "Last failures", "Storage", "Capacity of this machine"]:
        expect(page.get_by_role("heading", name=heading)).to_be_visible()
    # Asked for by HTMX once the page has loaded.
    expect(page.locator("#health-database")).to_contain_text("up")
    expect(page.locator("#health-job_runner")).to_contain_text("up")
    expect(page.locator("#ops-live")).to_contain_text("Design sync")
    expect(page.locator("#broker-status")).to_contain_text("up")
    expect(page.locator("#more-speakers")).to_have_text(re.compile(r"About \d+ more live speakers?\."))
    failure = page.locator(f"#failure-recording-{failed_upload.pk}")
    expect(failure).to_contain_text("Gave up after 6 tries")
    screenshot(page, "ops-page")

    # Jobs run inline in tests: the upload is transcribed before the page comes back.
    with page.expect_navigation(timeout=120_000):
        failure.get_by_role("button", name="Retry").click()
    expect(page.locator(".messagelist")).to_contain_text(
        f"Recording {failed_upload.pk} is queued for transcription again"
    )
    expect(failure).to_have_count(0)
    expect(page.locator("#ops-failures")).to_contain_text("Nothing failed.")
    screenshot(page, "ops-page-after-retry")

    failed_upload.refresh_from_db()
    assert failed_upload.status == Recording.Status.DONE
    assert AuditEvent.objects.get(action="admin_retranscribe").actor == operator
    # Nothing refused by the content security policy, no script error. (The admin's pages
    # name no icon, so the browser's own request for /favicon.ico is the one 404.)
    favicon = "Failed to load resource: the server responded with a status of 404 (Not Found)"
    assert [error for error in page.console_errors if error != favicon] == []
