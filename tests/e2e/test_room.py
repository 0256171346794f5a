"""The meeting room in a real browser, against a real Daphne server and the real model.

Chromium's fake microphone plays standup.wav (33 s, real time, once: `%noloop`) into
the page, which downsamples it in an AudioWorklet and streams it over the audio socket.
Screenshots of each state go to test-artifacts/screenshots/room-*.png.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from accounts.models import User
from meetings.models import Meeting, Task
from tests.conftest import SPEECH
from tests.e2e.conftest import CHROMIUM
from tests.factories import MembershipFactory, UserFactory
from tests.servers import daphne
from transcription.models import Recording, Segment
from workspaces.models import Role, Workspace

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]
PASSWORD = "a-strong-pass-123"
DESKTOP = {"viewport": {"width": 1280, "height": 860}}
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True}


@pytest.fixture(scope="module")
def browser(django_db_setup: Any, django_db_blocker: Any) -> Iterator[Any]:
    """Chromium with standup.wav as its microphone (replaces the conftest's plain one)."""
    from playwright.sync_api import sync_playwright

    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-background-networking",
                "--use-fake-ui-for-media-stream",
                "--use-fake-device-for-media-stream",
                f"--use-file-for-fake-audio-capture={SPEECH / 'standup.wav'}%noloop",
                "--autoplay-policy=no-user-gesture-required",
            ],
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="module")
def server(django_db_setup: Any) -> Iterator[str]:
    """Daphne on the test database; jobs (the careful pass, uploads) run inline in it."""
    with daphne() as address:
        yield f"http://{address}"


def _member(workspace: Workspace, role: str, email: str, name: str) -> User:
    return MembershipFactory(workspace=workspace, role=role, user=UserFactory(email=email, display_name=name)).user


def _team() -> Workspace:
    workspace = Workspace.objects.create(name="Acme", slug="acme")
    _member(workspace, Role.OWNER, "alice@example.com", "Alice")
    _member(workspace, Role.MEMBER, "david@example.com", "David")
    _member(workspace, Role.VIEWER, "vic@example.com", "Vic")
    return workspace


def _sign_in(page: Any, base: str, email: str) -> None:
    page.goto(f"{base}/accounts/sign-in/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/w/\d+/meetings/"))


def _unexpected(console_errors: list[str]) -> list[str]:
    """Console errors other than those the tests provoke (a CSP refusal is a bug): 4xx
    answers, and Playwright's stand-in socket complaining when the test cuts it."""
    expected = (
        "Failed to load resource: the server responded with a status of 4",
        "WebSocket is already in CLOSING or CLOSED state.",
    )
    return [error for error in console_errors if not error.startswith(expected)]


def _segment_texts(page: Any) -> list[str]:
    return page.locator("#transcript li.segment:not(.partial) .segment-text").all_inner_texts()


def _wait_for_seconds_recorded(page: Any, seconds: int, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        minutes, _, secs = page.locator("#record-time").inner_text().partition(":")
        if int(minutes) * 60 + int(secs or 0) >= seconds:
            return
        page.wait_for_timeout(250)
    raise AssertionError(f"the recorder did not reach {seconds} s")


def _wait_until_shown_as_stored(meeting: Meeting, *pages: Any, timeout_s: float = 15) -> list[str]:
    """The live finals, once every page shows exactly those (the last may still be on its way)."""
    deadline = time.monotonic() + timeout_s
    while True:
        stored = list(Segment.objects.filter(meeting=meeting, kind=Segment.Kind.FINAL).values_list("text", flat=True))
        shown = [_segment_texts(page) for page in pages]
        if all(texts == stored for texts in shown):
            return stored
        if time.monotonic() > deadline:
            raise AssertionError(f"stored {stored}, shown {shown}")
        pages[0].wait_for_timeout(300)


def test_record_watch_drop_end_review_correct_and_export(
    server: str, new_page: Any, screenshot: Any, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    _team()
    alice = new_page(**DESKTOP)
    alice.set_default_timeout(20_000)
    cut: list[Any] = []

    def relay(socket: Any) -> None:  # every socket of Alice's page goes through the test
        cut.append((socket, socket.connect_to_server()))

    alice.route_web_socket(re.compile(r"/ws/meetings/"), relay)
    _sign_in(alice, server, "alice@example.com")

    # 1. A new meeting, recorded.
    alice.get_by_label("Title of the new meeting").fill("Weekly standup")
    alice.get_by_role("button", name="New meeting").click()
    expect(alice.get_by_role("heading", name="Weekly standup")).to_be_visible()
    meeting = Meeting.objects.get(title="Weekly standup")
    screenshot(alice, "room-01-scheduled")

    # 2. David watches from his own browser.
    david = new_page(viewport={"width": 1280, "height": 600})  # short: his transcript soon scrolls
    david.set_default_timeout(20_000)
    _sign_in(david, server, "david@example.com")
    david.goto(f"{server}/meetings/{meeting.id}/")
    expect(david.locator("#connection")).to_have_text("Connected")
    expect(david.get_by_role("button", name="Start recording")).to_be_visible()

    alice.get_by_role("button", name="Start recording").click()
    expect(alice.get_by_role("button", name="Stop recording")).to_be_visible()
    expect(alice.locator("#meeting-status")).to_have_text("Live")
    expect(alice.get_by_role("button", name="End meeting")).to_be_visible()
    expect(alice.locator("#transcript")).to_contain_text("mobile release", timeout=30_000)
    expect(david.locator("#transcript")).to_contain_text("mobile release")
    expect(david.locator("#meeting-status")).to_have_text("Live")
    screenshot(alice, "room-02-live")

    # 4. The connection drops mid-recording: the page reconnects, resumes the same
    # stream from where the server is, and the transcript goes on without doubles.
    for page_side, server_side in cut:
        server_side.close()
        page_side.close()
    expect(alice.locator("#room-status")).to_contain_text("connection to Mina was lost")
    screenshot(alice, "room-03-reconnecting")
    expect(alice.locator("#connection")).to_have_text("Connected", timeout=15_000)
    # David's transcript follows the newest line, until he scrolls up to read.
    scroller = david.locator("#transcript-scroll")
    david.wait_for_function(
        "() => { const el = document.getElementById('transcript-scroll'); "
        "return el.scrollHeight > el.clientHeight + 40; }",
        timeout=30_000,
    )
    assert scroller.evaluate("el => el.scrollHeight - el.scrollTop - el.clientHeight") < 60
    scroller.evaluate("el => { el.scrollTop = 0; }")
    expect(alice.locator("#transcript")).to_contain_text("survey report", timeout=40_000)
    expect(david.locator("#transcript")).to_contain_text("survey report")
    assert scroller.evaluate("el => el.scrollTop") == 0
    david.get_by_role("button", name="Newer lines below").click()
    expect(david.get_by_role("button", name="Newer lines below")).to_be_hidden()
    assert scroller.evaluate("el => el.scrollHeight - el.scrollTop - el.clientHeight") < 60
    _wait_for_seconds_recorded(alice, 35)
    finals = _wait_until_shown_as_stored(meeting, alice, david)
    assert len(finals) == len(set(finals)) > 3
    for page in (alice, david):
        ids = page.locator("#transcript li[data-segment-id]").evaluate_all("els => els.map(e => e.dataset.segmentId)")
        assert len(ids) == len(set(ids)) == len(finals)
    recording = Recording.objects.get(meeting=meeting)  # one stream, resumed
    screenshot(david, "room-04-watcher")

    # 1. The organizer ends it: progress, then the summary and the tasks.
    alice.get_by_role("button", name="End meeting").click()
    # Ending waits for the stream's last finals ("Finishing…"): seconds more on a loaded machine.
    expect(alice.locator("#job-progress")).to_be_visible(timeout=30_000)
    expect(alice.locator("#meeting-status")).to_have_text("Processing")
    screenshot(alice, "room-05-processing")
    expect(alice.locator("#meeting-status")).to_have_text("Ready", timeout=60_000)
    expect(alice.locator("#job-progress")).to_be_hidden()
    expect(alice.locator("#summary")).to_contain_text("mobile release")
    login_task = Task.objects.get(meeting=meeting, title__icontains="login error")
    report_task = Task.objects.get(meeting=meeting, title__icontains="survey report")
    assert login_task.assignee.email == "david@example.com"
    assert report_task.assignee.email == "alice@example.com"  # "I will …", said by the recorder
    expect(alice.locator(f"#task-{login_task.id}").get_by_label("Assignee")).to_have_value(str(login_task.assignee_id))
    expect(david.locator(f"#task-{login_task.id}")).to_be_visible()
    expect(david.locator("#summary")).to_contain_text("mobile release")
    recording.refresh_from_db()
    assert 33_000 <= recording.duration_ms <= 37_000, recording.duration_ms  # nothing doubled or lost
    screenshot(alice, "room-06-ready")

    # 7. Corrections: a line's text, then a speaker's name, shown everywhere; then a
    # new summary, and the downloads.
    line = alice.locator("#transcript li.segment").filter(has_text="please fix the login error")
    line.get_by_role("button", name="Edit").click()
    alice.get_by_label(re.compile("What Alice said")).fill("David, please fix the login error before Thursday noon.")
    alice.locator("#participants li").filter(has_text="Alice").get_by_text("Rename").click()
    screenshot(alice, "room-07a-correcting")
    alice.get_by_role("button", name="Save correction").click()
    corrected = alice.locator("#transcript li.segment").filter(has_text="before Thursday noon")
    expect(corrected.locator(".edited-mark")).to_be_visible()
    segment_id = corrected.get_attribute("data-segment-id")
    expect(david.locator(f"#segment-{segment_id}")).to_contain_text("before Thursday noon")
    expect(david.locator(f"#segment-{segment_id} .edited-mark")).to_be_visible()

    participant = alice.locator("#participants li").filter(has_text="Alice")
    participant.get_by_label("New name for Alice").fill("Alice Martin")
    participant.get_by_role("button", name="Save").click()
    expect(alice.locator("#participants")).to_contain_text("Alice Martin")
    speakers = alice.locator("#transcript .speaker").all_inner_texts()
    assert speakers and set(speakers) == {"Alice Martin"}
    screenshot(alice, "room-07-corrected")
    # David's page relabels her lines without a reload (participant.renamed).
    expect(david.locator("#transcript .speaker").first).to_have_text("Alice Martin")
    assert set(david.locator("#transcript .speaker").all_inner_texts()) == {"Alice Martin"}

    alice.get_by_role("button", name="Re-summarise").click()
    expect(alice.locator("#summary-panel")).to_contain_text("writing the summary again")
    expect(alice.locator("#tasks li.task")).to_have_count(2)

    downloads = {}
    for link in ("TXT", "SRT", "WebVTT", "Download Markdown"):
        with alice.expect_download() as info:
            alice.get_by_role("link", name=link, exact=True).click()
        path = tmp_path / info.value.suggested_filename
        info.value.save_as(path)
        downloads[link] = path.read_text()
    assert re.search(
        r"^\[00:00:1\d\] Alice Martin: David, please fix the login error before Thursday noon\.$",
        downloads["TXT"],
        re.M,
    )
    assert re.search(r"^\d+\n00:00:\d\d,\d{3} --> 00:00:\d\d,\d{3}\nAlice Martin: ", downloads["SRT"], re.M)
    assert downloads["WebVTT"].startswith("WEBVTT\n")
    assert re.search(r"^00:00:\d\d\.\d{3} --> 00:00:\d\d\.\d{3}\n<v Alice Martin>", downloads["WebVTT"], re.M)
    markdown = downloads["Download Markdown"]
    assert markdown.startswith("# Weekly standup\n") and "## Decisions" in markdown
    # Alice asked David, and nobody answered on the record: a suggestion until accepted.
    assert re.search(r"^- \[ \] .*login error.* \(David, due \d{4}-\d\d-\d\d\) _\(suggested\)_$", markdown, re.M)
    assert re.search(r"^- \[ \] .*survey report.* \(Alice( Martin)?, due \d{4}-\d\d-\d\d\)$", markdown, re.M)

    phone = new_page(storage_state=alice.context.storage_state(), **PHONE)
    phone.goto(f"{server}/meetings/{meeting.id}/")
    expect(phone.locator("#meeting-status")).to_have_text("Ready")
    screenshot(phone, "room-08-phone")
    errors = [*alice.console_errors, *david.console_errors, *phone.console_errors]
    assert _unexpected(errors) == []


def test_upload_refused_then_transcribed_and_a_line_seeks_the_player(
    server: str, new_page: Any, screenshot: Any
) -> None:
    from playwright.sync_api import expect

    workspace = _team()
    Workspace.objects.filter(pk=workspace.pk).update(accept_tasks=Workspace.TaskAcceptance.NEVER)
    alice_user = User.objects.get(email="alice@example.com")
    meeting = Meeting.objects.create(workspace=workspace, title="Customer call", organizer=alice_user)
    page = new_page(**DESKTOP)
    page.set_default_timeout(20_000)
    _sign_in(page, server, "alice@example.com")
    page.goto(f"{server}/meetings/{meeting.id}/")
    expect(page.locator("#connection")).to_have_text("Connected")

    # 5. Not audio: refused with a reason, nothing stored.
    page.locator("#upload-file").set_input_files(str(SPEECH / "not_audio.mp3"))
    expect(page.locator("#room-alert [role=alert]")).to_contain_text("The upload was refused")
    expect(page.locator("#room-alert")).to_contain_text("This file is not audio we can read")
    expect(page.locator("#meeting-status")).to_have_text("Scheduled")
    assert not Recording.objects.filter(meeting=meeting).exists()
    screenshot(page, "room-09-upload-refused")

    # A slow link, so the upload's own progress shows before the transcription's.
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 20, "downloadThroughput": -1, "uploadThroughput": 80_000},
    )
    page.locator("#upload-file").set_input_files(str(SPEECH / "standup.mp3"))
    expect(page.locator("#room-alert")).to_be_empty()
    expect(page.locator("#job-progress-label")).to_contain_text("Uploading “standup.mp3”")
    expect(page.locator("#job-progress-percent")).to_have_text(re.compile(r"^[1-9]\d?%$"))
    screenshot(page, "room-10-uploading")
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
    )
    expect(page.locator("#job-progress-label")).to_contain_text("Transcribing", timeout=30_000)
    screenshot(page, "room-11-transcribing")
    expect(page.locator("#meeting-status")).to_have_text("Ready", timeout=60_000)
    expect(page.locator("#transcript")).to_contain_text("mobile release")
    expect(page.locator("#summary")).to_contain_text("mobile release")

    # 6. A line's time seeks the player to where the line starts.
    line = page.locator("#transcript li.segment").filter(has_text="ship the mobile release")
    start_s = int(line.get_attribute("data-start-ms")) / 1000
    assert start_s > 15
    expect(page.locator("#player")).to_have_js_property("readyState", 4)
    line.locator("[data-seek]").click()
    page.wait_for_function(
        f"() => Math.abs(document.getElementById('player').currentTime - {start_s}) < 1.5", timeout=10_000
    )
    expect(line).to_have_class(re.compile(r"\bplaying\b"))
    screenshot(page, "room-12-seek")

    # 7. The tasks found arrive as suggestions (this workspace suggests them all): one
    # click accepts one, another dismisses one, and a task's moment plays in the player.
    login = page.locator("#tasks li.task").filter(has_text="login error")
    report = page.locator("#tasks li.task").filter(has_text="survey report")
    expect(login.locator(".badge.suggested")).to_contain_text("Suggested")
    expect(report.locator(".badge.suggested")).to_contain_text("Suggested")
    screenshot(page, "room-13-suggested-tasks")
    login.get_by_role("button", name="Accept").click()
    expect(login.locator(".badge.suggested")).to_have_count(0)
    report.get_by_role("button", name="Dismiss").click()
    expect(report).to_contain_text("Dismissed: Write the survey report")
    reviews = dict(Task.objects.filter(meeting=meeting).values_list("title", "review"))
    assert reviews == {"Fix the login error": "accepted", "Write the survey report": "dismissed"}
    said_at = Task.objects.get(meeting=meeting, review="accepted").source_segment.start_ms / 1000
    login.locator("[data-play-segment]").click()
    page.wait_for_function(
        f"() => Math.abs(document.getElementById('player').currentTime - {said_at}) < 1.5", timeout=10_000
    )
    assert page.url.endswith(f"/meetings/{meeting.id}/")  # played here, no reload
    screenshot(page, "room-14-task-moment")
    assert _unexpected(page.console_errors) == []


def test_a_viewer_cannot_record_and_microphone_problems_are_explained(
    server: str, new_page: Any, screenshot: Any
) -> None:
    from playwright.sync_api import expect

    workspace = _team()
    alice_user = User.objects.get(email="alice@example.com")
    meeting = Meeting.objects.create(workspace=workspace, title="Planning", organizer=alice_user)

    # 3. A viewer watches, but has no record button, and the audio socket refuses them.
    viewer = new_page(**DESKTOP)
    _sign_in(viewer, server, "vic@example.com")
    viewer.goto(f"{server}/meetings/{meeting.id}/")
    expect(viewer.locator("#connection")).to_have_text("Connected")
    expect(viewer.get_by_role("button", name="Start recording")).to_have_count(0)
    expect(viewer.get_by_text("Upload a recording")).to_have_count(0)
    refusals = []
    # Up to three tries: once in a CI run on a loaded machine the browser saw the refusal's
    # message but reported the close as abnormal (1006), not the 4403 the server sent.
    while len(refusals) < 3 and (not refusals or refusals[-1]["code"] != 4403):
        refusals.append(viewer.evaluate(
            """(id) => new Promise((resolve) => {
                const ws = new WebSocket(`ws://${location.host}/ws/meetings/${id}/audio/`);
                let error = null;
                ws.onmessage = (m) => { error = JSON.parse(m.data); };
                ws.onclose = (e) => resolve({code: e.code, error});
            })""",
            meeting.id,
        ))
    assert all(r["error"]["code"] == "forbidden" for r in refusals), refusals
    assert refusals[-1]["code"] == 4403, refusals
    screenshot(viewer, "room-13-viewer")

    # Microphone denied, and a page served over plain HTTP: said plainly, with the way out.
    page = new_page(**DESKTOP)
    _sign_in(page, server, "alice@example.com")
    page.add_init_script(
        "navigator.mediaDevices.getUserMedia = () => Promise.reject(new DOMException('denied', 'NotAllowedError'));"
    )
    page.goto(f"{server}/meetings/{meeting.id}/")
    page.get_by_role("button", name="Start recording").click()
    expect(page.locator("#room-alert")).to_contain_text("Mina may not use the microphone")
    expect(page.get_by_role("button", name="Start recording")).to_be_enabled()
    screenshot(page, "room-14-microphone-denied")
    insecure = new_page(storage_state=page.context.storage_state(), **DESKTOP)
    insecure.add_init_script("Object.defineProperty(window, 'isSecureContext', {value: false});")
    insecure.goto(f"{server}/meetings/{meeting.id}/")
    insecure.get_by_role("button", name="Start recording").click()
    expect(insecure.locator("#room-alert")).to_contain_text("Serve Mina over HTTPS")
    screenshot(insecure, "room-15-plain-http")
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.SCHEDULED

    # The audio socket refuses a meeting that ended meanwhile: the server's reason is shown.
    late = new_page(storage_state=page.context.storage_state(), **DESKTOP)
    late.goto(f"{server}/meetings/{meeting.id}/")
    expect(late.locator("#connection")).to_have_text("Connected")
    Meeting.objects.filter(pk=meeting.pk).update(status=Meeting.Status.READY)
    late.get_by_role("button", name="Start recording").click()
    expect(late.locator("#room-alert")).to_contain_text("Recording could not start. This meeting is ready")
    expect(late.locator("#meeting-status")).to_have_text("Ready")
    expect(late.get_by_role("button", name="Start recording")).to_be_hidden()
    screenshot(late, "room-16-socket-refused")
    errors = [*viewer.console_errors, *page.console_errors, *insecure.console_errors, *late.console_errors]
    assert _unexpected(errors) == []
