"""The operations page in the admin: who may see it, what each section shows, and a source
that is down named on the page instead of breaking it."""

from __future__ import annotations

import re
import socket
import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import AuditEvent
from ask.models import MeetingIndex
from integrations.models import Delivery, Endpoint, OutgoingMail
from meetings.models import Meeting
from tests.factories import MeetingFactory, UserFactory
from transcription.models import Recording

pytestmark = pytest.mark.django_db

PAGE = "/admin/ops/"


def text(response):
    """The page's words, without tags or runs of spaces."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def closed_port():
    """A port nothing listens on (bound, then let go)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def unmasked(response):
    """The page without its CSRF tokens, which are masked anew on every response."""
    return re.sub(r'("X-CSRFToken": |name="csrfmiddlewaretoken" value=)"\w+"', "", response.content.decode())


def test_staff_see_every_section_with_real_numbers(operator_client, live_meeting, failed_upload):
    response = operator_client.get(PAGE)
    assert response.status_code == 200
    page = text(response)
    for heading in ["Health", "Live now", "Job queues", "Last failures", "Storage", "Capacity of this machine"]:
        assert heading in page

    # The live meeting and its streams: Carol's stats as saved, Dave's dropped stream without any.
    assert "Design sync" in page
    carol = text_of(response, "live-stream-", live_meeting.recordings.get(participant__name="Carol").pk)
    assert carol.split() == [
        "Carol",
        "streaming",
        "120",
        "s",
        "0.20",
        "400",
        "/",
        "600",
        "ms",
        "300",
        "/",
        "700",
        "ms",
        "12",
        "40",
        "/",
        "3",
        "1",
        "time,",
        "4.0",
        "s",
    ]
    dave = text_of(response, "live-stream-", live_meeting.recordings.get(participant__name="Dave").pk)
    assert dave.split()[:5] == ["Dave", "dropped", "0", "s", "—"]

    # The failed upload, its error and a retry button; the default queue counts it (and its
    # meeting is not counted twice).
    failure = text_of(response, "failure-recording-", failed_upload.pk)
    assert "Upload recording of “Vendor review”" in failure and "Gave up after 6 tries" in failure
    assert f'action="/admin/ops/retry/recording/{failed_upload.pk}/"' in response.content.decode()
    assert "failure-meeting-" not in response.content.decode()
    assert text_of(response, "queue-", "default").split()[-1] == "1"
    assert "Broker (embedded job runner): up" in page or "Broker (Redis): up" in page

    # Storage: the upload's bytes (the file's own size, as the disk has it); the database.
    assert re.search(r"uploads (\d+\.\d+ KB)", page).group(1) == "126.1 KB"
    assert "the biggest tables" in page
    assert re.search(r"About \d+ more live speakers?\.", page)
    assert "Streams sending audio now, on every server: 1." in page


def text_of(response, prefix, key):
    """The words of the element whose id is prefix + key."""
    html = response.content.decode()
    start = html.index(f'id="{prefix}{key}"')
    end = html.index("</tr>", start)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html[html.index(">", start) + 1 : end])).strip()


def test_the_health_section_runs_the_detailed_checks_with_their_timings(operator_client):
    response = operator_client.get(f"{PAGE}health/")
    assert response.status_code == 200
    for name in ["database", "channel_layer", "cache", "job_runner", "speech_model"]:
        row = text_of(response, "health-", name).split()
        assert row[:2] == [name, "up"] and row[3] == "ms" and float(row[2]) >= 0
    # The page itself asks for the checks once it has loaded, and then every 10 s.
    assert 'hx-trigger="load"' in operator_client.get(PAGE).content.decode()
    assert 'hx-trigger="every 10s"' in response.content.decode()


@pytest.mark.parametrize("who", ["anonymous", "member", "inactive staff"])
def test_anyone_but_active_staff_gets_not_found_even_for_a_section_or_a_retry(
    client, settings, who, owner, failed_upload
):
    settings.DEBUG = False  # the ordinary 404 page, as in production
    if who == "member":
        client.force_login(owner)
    elif who == "inactive staff":
        client.force_login(UserFactory(is_staff=True, is_superuser=True, is_active=False))
    nowhere = client.get("/no-such-page/")
    for response in [
        client.get(PAGE),
        client.post(PAGE),
        client.get(f"{PAGE}queues/"),
        client.post(f"{PAGE}retry/recording/{failed_upload.pk}/"),
        client.get(f"{PAGE}retry/recording/{failed_upload.pk}/"),
    ]:
        assert response.status_code == 404
        assert unmasked(response) == unmasked(nowhere)  # no hint that the page exists
    failed_upload.refresh_from_db()
    assert failed_upload.status == Recording.Status.FAILED
    assert not AuditEvent.objects.filter(action__startswith="admin_").exists()


def test_the_admin_index_links_the_page(operator_client):
    assert f'href="{PAGE}"' in operator_client.get("/admin/").content.decode()


def test_retry_runs_the_recordings_job_again_and_writes_the_audit_log(
    operator_client, operator, failed_upload, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = operator_client.post(f"{PAGE}retry/recording/{failed_upload.pk}/")
    assert response.status_code == 302 and response["Location"] == PAGE
    # Jobs run inline in tests: queued once the retry committed, the job transcribed the upload.
    failed_upload.refresh_from_db()
    assert (failed_upload.status, failed_upload.attempts, failed_upload.error) == (Recording.Status.DONE, 1, "")
    assert "quarterly budget" in " ".join(failed_upload.segments.values_list("text", flat=True)).lower()
    assert Meeting.objects.get(pk=failed_upload.meeting_id).status == Meeting.Status.READY
    event = AuditEvent.objects.get(action="admin_retranscribe")
    assert event.actor == operator and event.target == f"meeting:{failed_upload.meeting_id}"
    assert event.details == {"recording": failed_upload.pk, "page": "operations"}
    assert "is queued for transcription again" in text(operator_client.get(PAGE))

    # Pressed twice (a second tab): nothing more is queued or audited.
    with django_capture_on_commit_callbacks() as queued:
        operator_client.post(f"{PAGE}retry/recording/{failed_upload.pk}/")
    assert queued == [] and AuditEvent.objects.filter(action="admin_retranscribe").count() == 1
    assert "has not failed (any more)" in text(operator_client.get(PAGE))


def test_a_meeting_that_failed_after_its_recordings_goes_on_where_it_stopped(
    operator_client, workspace, owner, django_capture_on_commit_callbacks
):
    meeting = MeetingFactory(
        workspace=workspace,
        organizer=owner,
        status=Meeting.Status.FAILED,
        error="Unexpected error: KeyError. See the server log.",
    )
    Recording.objects.create(
        meeting=meeting, source=Recording.Source.LIVE, status=Recording.Status.DONE, duration_ms=5000
    )
    page = operator_client.get(PAGE)
    assert "Unexpected error: KeyError" in text_of(page, "failure-meeting-", meeting.pk)
    with django_capture_on_commit_callbacks(execute=True):
        operator_client.post(f"{PAGE}retry/meeting/{meeting.pk}/")
    meeting.refresh_from_db()
    # Jobs run inline in tests: the summary was written and the meeting is ready.
    assert meeting.status == Meeting.Status.READY and meeting.error == ""
    assert AuditEvent.objects.get(action="admin_retry_meeting").target == f"meeting:{meeting.pk}"


def test_a_failed_index_is_built_again(operator_client, meeting, django_capture_on_commit_callbacks):
    MeetingIndex.objects.create(
        meeting=meeting, workspace=meeting.workspace, status=MeetingIndex.Status.FAILED, error="MemoryError: "
    )
    assert "MemoryError" in text_of(operator_client.get(PAGE), "failure-index-", meeting.pk)
    with django_capture_on_commit_callbacks() as queued:
        operator_client.post(f"{PAGE}retry/index/{meeting.pk}/")
    assert queued  # the indexing job, once the retry commits
    assert MeetingIndex.objects.get(meeting=meeting).status == MeetingIndex.Status.PENDING
    assert AuditEvent.objects.get(action="admin_reindex").target == f"meeting:{meeting.pk}"


def test_staff_who_may_not_change_recordings_see_no_retry_and_are_refused(client, failed_upload):
    client.force_login(UserFactory(is_staff=True))
    page = client.get(PAGE)
    assert page.status_code == 200 and "Vendor review" in page.content.decode()
    assert "/admin/ops/retry/" not in page.content.decode()
    assert client.post(f"{PAGE}retry/recording/{failed_upload.pk}/").status_code == 403
    failed_upload.refresh_from_db()
    assert failed_upload.status == Recording.Status.FAILED


def test_a_broker_that_is_down_shows_as_down_and_the_rest_of_the_page_stays(operator_client, settings, failed_upload):
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{closed_port()}/0"
    started = time.monotonic()
    response = operator_client.get(PAGE)
    assert time.monotonic() - started < 5
    assert response.status_code == 200
    page = text(response)
    assert "Broker (Redis): down" in page
    assert text_of(response, "queue-", "default").split() == ["default", "—", "—", "—", "1"]
    assert "Vendor review" in page and "Storage" in page  # the other sections are there
    fragment = operator_client.get(f"{PAGE}queues/")
    assert fragment.status_code == 200 and "down" in text(fragment)


def test_the_page_runs_the_same_queries_however_many_meetings_are_live(operator_client, live_meeting, workspace, owner):
    operator_client.get(PAGE)  # the storage and tables measurements are cached from here on

    def queries():
        with CaptureQueriesContext(connection) as ctx:
            assert operator_client.get(PAGE).status_code == 200
        return len(ctx)

    before = queries()
    for n in range(5):
        MeetingFactory(workspace=workspace, organizer=owner, status=Meeting.Status.LIVE)
        Recording.objects.create(meeting=live_meeting, source=Recording.Source.LIVE, stats={"audio_ms": n})
    assert queries() == before


def test_with_redis_gone_the_page_still_renders_and_health_names_what_is_down(operator_client, settings):
    from channels.layers import channel_layers

    nowhere = f"redis://127.0.0.1:{closed_port()}/0"
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": nowhere}}
    settings.CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [nowhere]}}
    }
    settings.CELERY_BROKER_URL = nowhere
    channel_layers.backends.clear()
    try:
        page = operator_client.get(PAGE)
        health = operator_client.get(f"{PAGE}health/")
    finally:
        channel_layers.backends.clear()
    assert page.status_code == 200
    assert "Broker (Redis): down" in text(page) and "free on the media's disk" in text(page)
    assert health.status_code == 200
    for name in ["cache", "channel_layer", "job_runner"]:
        assert text_of(health, "health-", name).split()[1] == "down", name
    assert text_of(health, "health-", "database").split()[1] == "up"


def test_a_given_up_webhook_delivery_and_mail_are_sent_again_from_the_first_attempt(
    operator_client, workspace, owner, django_capture_on_commit_callbacks
):
    endpoint = Endpoint.objects.create(workspace=workspace, url="https://hooks.example.com/mina")
    delivery = Delivery.objects.create(
        endpoint=endpoint, event="task.created", body="{}", status=Delivery.Status.FAILED, attempts=8,
        error="ConnectError: refused",
    )
    mail = OutgoingMail.objects.create(
        kind=OutgoingMail.Kind.DIGEST, user=owner, key="2026-12-01", status=OutgoingMail.Status.FAILED, attempts=9,
        error="SMTPServerDisconnected: gone",
    )
    page = operator_client.get(PAGE)
    assert "ConnectError: refused" in text_of(page, "failure-delivery-", delivery.pk)
    assert "SMTPServerDisconnected" in text_of(page, "failure-mail-", mail.pk)

    with django_capture_on_commit_callbacks() as queued:
        operator_client.post(f"{PAGE}retry/delivery/{delivery.pk}/")
        operator_client.post(f"{PAGE}retry/mail/{mail.pk}/")

    assert len(queued) == 2  # a job each, once the retries commit
    delivery.refresh_from_db()
    mail.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (Delivery.Status.PENDING, 0)
    assert (mail.status, mail.attempts) == (OutgoingMail.Status.QUEUED, 0)
    assert AuditEvent.objects.get(action="admin_redeliver").target == f"delivery:{delivery.pk}"
    assert AuditEvent.objects.get(action="admin_resend_mail").target == f"outgoingmail:{mail.pk}"
    again = operator_client.post(f"{PAGE}retry/delivery/{delivery.pk}/", follow=True)
    assert "has not failed (any more)" in again.content.decode()
