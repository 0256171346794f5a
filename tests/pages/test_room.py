"""The meeting room's page views: panels, corrections, renames, re-summarising, uploads, downloads.

The browser side (recording, live transcript, reconnects) is in tests/e2e/test_room.py.
"""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from meetings.models import Meeting, Summary
from tests.conftest import SPEECH
from tests.factories import ParticipantFactory, SegmentFactory, TaskFactory
from transcription import services as transcription_services
from transcription.careful import Line
from transcription.engines.base import TranscribedSegment
from transcription.models import Recording, Segment
from workspaces.models import Role

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def ready(meeting):
    """A processed meeting: Carol's refined transcript from her recording, a summary and a task."""
    Meeting.objects.filter(pk=meeting.pk).update(status=Meeting.Status.READY, started_at=timezone.now())
    meeting.refresh_from_db()
    carol = ParticipantFactory(meeting=meeting, name="Carol")
    recording = Recording.objects.create(
        meeting=meeting,
        participant=carol,
        source=Recording.Source.LIVE,
        file="recordings/carol.ogg",
        duration_ms=30_000,
        refined_ms=30_000,
        status=Recording.Status.DONE,
    )
    for start, text in [(1_000, "The mobile release is almost ready."), (25_672, "I will write the survey report.")]:
        SegmentFactory(
            meeting=meeting,
            recording=recording,
            participant=carol,
            start_ms=start,
            end_ms=start + 2_500,
            text=text,
            kind=Segment.Kind.REFINED,
        )
    Summary.objects.create(meeting=meeting, overview="We ship on Monday.", decisions=["Ship Monday"], engine="local")
    TaskFactory(meeting=meeting, title="Write the survey report", owner_name="Carol")
    return meeting


def _segment(meeting, text):
    return Segment.objects.get(meeting=meeting, text__contains=text)


# --- The room's page ----------------------------------------------------------------


def test_a_member_gets_the_recorder_and_the_upload(signed_in, owner, meeting):
    body = signed_in(owner).get(f"/meetings/{meeting.id}/").content.decode()
    assert 'id="record"' in body and "Start recording" in body
    assert f'action="/meetings/{meeting.id}/recordings/"' in body and 'name="file"' in body
    assert 'data-can-record="true"' in body and f'data-panels-url="/meetings/{meeting.id}/panels/"' in body
    assert "/static/js/recorder.js" in body and "/static/js/room.js" in body and "/static/js/pcm-worklet.js" in body
    assert 'aria-live="polite"' in body


def test_a_viewer_gets_neither_recorder_nor_upload(signed_in, workspace, meeting, member_of):
    body = signed_in(member_of(workspace, Role.VIEWER)).get(f"/meetings/{meeting.id}/").content.decode()
    assert 'id="record"' not in body and 'name="file"' not in body
    assert 'data-can-record="false"' in body


def test_live_updates_are_on_only_under_the_asgi_server(signed_in, owner, meeting):
    # The test client is WSGI, which cannot serve the sockets; Daphne's requests are ASGI.
    assert 'data-live-updates="false"' in signed_in(owner).get(f"/meetings/{meeting.id}/").content.decode()


@pytest.mark.django_db(transaction=True)
async def test_the_asgi_server_turns_live_updates_on(async_client, owner, meeting):
    await async_client.aforce_login(owner)
    response = await async_client.get(f"/meetings/{meeting.id}/")
    assert 'data-live-updates="true"' in response.content.decode()


def test_a_scheduled_meetings_end_button_waits_for_it_to_go_live(signed_in, owner, meeting):
    body = signed_in(owner).get(f"/meetings/{meeting.id}/").content.decode()
    assert f'<form id="end-form" method="post" action="/meetings/{meeting.id}/end/" hidden>' in body


def test_the_room_ends_a_meeting_in_place(signed_in, owner, meeting):
    Meeting.objects.filter(pk=meeting.pk).update(status=Meeting.Status.LIVE, started_at=timezone.now())
    response = signed_in(owner).post(f"/meetings/{meeting.id}/end/", **HTMX)
    assert response.status_code == 204
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.PROCESSING


def test_a_ready_meeting_plays_its_recording_and_seeks_from_each_line(signed_in, owner, ready):
    body = signed_in(owner).get(f"/meetings/{ready.id}/").content.decode()
    recording = Recording.objects.get(meeting=ready)
    assert f'<audio id="player" controls preload="auto" src="/recordings/{recording.id}/audio"' in body
    assert f'data-recording-id="{recording.id}"' in body and 'data-start-ms="25672"' in body
    assert 'aria-label="Play from 0:25"' in body
    for name in ("transcript.txt", "transcript.srt", "transcript.vtt", "summary.md"):
        assert f'href="/meetings/{ready.id}/export/{name}"' in body
    assert "Re-summarise" in body


def test_no_player_while_the_meeting_is_live(signed_in, owner, ready):
    Meeting.objects.filter(pk=ready.pk).update(status=Meeting.Status.LIVE)
    body = signed_in(owner).get(f"/meetings/{ready.id}/").content.decode()
    assert 'id="player"' not in body and "data-seek" not in body and "Re-summarise" not in body


def test_the_panels_are_what_changes_after_processing(signed_in, owner, ready):
    response = signed_in(owner).get(f"/meetings/{ready.id}/panels/", **HTMX)
    body = response.content.decode()
    for panel in ("meeting-problem", "transcript-panel", "summary-panel", "tasks-panel", "participants-panel"):
        assert f'id="{panel}"' in body
    assert "<html" not in body and "I will write the survey report." in body and "We ship on Monday." in body


def test_a_failed_meetings_panels_say_so(signed_in, owner, ready):
    Meeting.objects.filter(pk=ready.pk).update(status=Meeting.Status.FAILED, error="The model could not load.")
    body = signed_in(owner).get(f"/meetings/{ready.id}/panels/", **HTMX).content.decode()
    assert "Processing failed." in body and "The model could not load." in body


def test_another_workspaces_panels_are_not_found(signed_in, outsider, ready):
    assert signed_in(outsider).get(f"/meetings/{ready.id}/panels/", **HTMX).status_code == 404


# --- Correcting a line --------------------------------------------------------------


def test_a_member_corrects_a_line_in_place(signed_in, workspace, ready, member_of):
    client = signed_in(member_of(workspace))
    segment = _segment(ready, "survey report")
    form = client.get(f"/meetings/{ready.id}/segments/{segment.id}/edit/", **HTMX).content.decode()
    assert "<textarea" in form and "I will write the survey report." in form and "What Carol said at 0:25" in form
    response = client.post(
        f"/meetings/{ready.id}/segments/{segment.id}/", {"text": " I will write it by Friday. "}, **HTMX
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert body.startswith(f'<li class="segment edited" id="segment-{segment.id}"')
    assert "I will write it by Friday." in body and "edited" in body and "data-seek" in body
    segment.refresh_from_db()
    assert (segment.text, segment.edited) == ("I will write it by Friday.", True)


def test_cancelling_a_correction_shows_the_line_again(signed_in, owner, ready):
    segment = _segment(ready, "survey report")
    body = signed_in(owner).get(f"/meetings/{ready.id}/segments/{segment.id}/", **HTMX).content.decode()
    assert body.startswith("<li") and "<textarea" not in body and "I will write the survey report." in body


def test_a_corrected_line_survives_a_new_transcription(signed_in, owner, ready):
    segment = _segment(ready, "survey report")
    signed_in(owner).post(f"/meetings/{ready.id}/segments/{segment.id}/", {"text": "I will write the report."})
    recording = segment.recording
    transcription_services.refined_clear(recording=recording)
    transcription_services.refined_store(
        recording=recording,
        lines=[
            Line(TranscribedSegment(start_ms=1_000, end_ms=3_500, text="The mobile release is ready.")),
            Line(TranscribedSegment(start_ms=25_700, end_ms=28_000, text="I will right the survey report.")),
        ],
        from_ms=0,
        until_ms=recording.duration_ms,
    )
    body = signed_in(owner).get(f"/meetings/{ready.id}/").content.decode()
    assert "I will write the report." in body and "I will right" not in body
    assert "The mobile release is ready." in body


def test_without_javascript_a_correction_returns_to_the_line(signed_in, owner, ready):
    segment = _segment(ready, "survey report")
    response = signed_in(owner).post(f"/meetings/{ready.id}/segments/{segment.id}/", {"text": "Fixed."})
    assert response.url == f"/meetings/{ready.id}/#segment-{segment.id}"


def test_an_empty_correction_is_refused_and_changes_nothing(signed_in, owner, ready):
    segment = _segment(ready, "survey report")
    response = signed_in(owner).post(f"/meetings/{ready.id}/segments/{segment.id}/", {"text": "  "}, **HTMX)
    assert response.status_code == 400
    assert "A segment cannot be empty." in response.content.decode()
    assert response["HX-Retarget"] == "#flash"
    segment.refresh_from_db()
    assert segment.text == "I will write the survey report." and not segment.edited


def test_a_viewer_cannot_correct_a_line(signed_in, workspace, ready, member_of):
    client = signed_in(member_of(workspace, Role.VIEWER))
    segment = _segment(ready, "survey report")
    assert f'hx-get="/meetings/{ready.id}/segments/' not in client.get(f"/meetings/{ready.id}/").content.decode()
    assert client.get(f"/meetings/{ready.id}/segments/{segment.id}/edit/").status_code == 403
    assert client.post(f"/meetings/{ready.id}/segments/{segment.id}/", {"text": "x"}).status_code == 403
    segment.refresh_from_db()
    assert not segment.edited


def test_a_line_of_another_meeting_is_not_found(signed_in, owner, ready):
    other = Meeting.objects.create(workspace=ready.workspace, title="Other", organizer=owner)
    segment = _segment(ready, "survey report")
    response = signed_in(owner).post(f"/meetings/{other.id}/segments/{segment.id}/", {"text": "x"})
    assert response.status_code == 404


def test_another_workspace_cannot_correct_a_line(signed_in, outsider, ready):
    segment = _segment(ready, "survey report")
    assert signed_in(outsider).post(f"/meetings/{ready.id}/segments/{segment.id}/", {"text": "x"}).status_code == 404


# --- Renaming a speaker -------------------------------------------------------------


def test_renaming_a_speaker_updates_the_list_and_tells_the_room(signed_in, owner, ready):
    carol = ready.participants.get(name="Carol")
    response = signed_in(owner).post(f"/meetings/{ready.id}/participants/{carol.id}/", {"name": "Carol Diaz"}, **HTMX)
    body = response.content.decode()
    assert body.lstrip().startswith(f'<div id="participant-{carol.id}"')
    assert "Carol Diaz" in body and "(guest)" in body and "Saved" in body
    assert json.loads(response["HX-Trigger"]) == {"mina:renamed": {"participant": carol.id, "name": "Carol Diaz"}}
    page = signed_in(owner).get(f"/meetings/{ready.id}/").content.decode()
    assert page.count(f'<span class="speaker" data-participant-id="{carol.id}">Carol Diaz</span>') == 2


def test_without_javascript_a_rename_returns_to_the_list(signed_in, owner, ready):
    carol = ready.participants.get(name="Carol")
    response = signed_in(owner).post(f"/meetings/{ready.id}/participants/{carol.id}/", {"name": "Carol Diaz"})
    assert response.url == f"/meetings/{ready.id}/#participant-{carol.id}"


def test_a_speaker_needs_a_name(signed_in, owner, ready):
    carol = ready.participants.get(name="Carol")
    response = signed_in(owner).post(f"/meetings/{ready.id}/participants/{carol.id}/", {"name": " "}, **HTMX)
    assert response.status_code == 400 and "Give the participant a name, or choose a member." in response.content.decode()


def test_a_viewer_cannot_rename_and_another_meetings_speaker_is_not_found(
    signed_in, workspace, owner, ready, member_of
):
    carol = ready.participants.get(name="Carol")
    viewer = signed_in(member_of(workspace, Role.VIEWER))
    assert viewer.post(f"/meetings/{ready.id}/participants/{carol.id}/", {"name": "X"}).status_code == 403
    other = Meeting.objects.create(workspace=workspace, title="Other", organizer=owner)
    response = signed_in(owner).post(f"/meetings/{other.id}/participants/{carol.id}/", {"name": "X"})
    assert response.status_code == 404
    carol.refresh_from_db()
    assert carol.name == "Carol"


# --- Re-summarising -----------------------------------------------------------------


def test_resummarising_writes_the_summary_again(signed_in, owner, ready, django_capture_on_commit_callbacks):
    _segment(ready, "mobile release").delete()
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in(owner).post(f"/meetings/{ready.id}/summary/regenerate/", **HTMX)
    assert response.status_code == 202
    assert "writing the summary again" in response.content.decode()
    assert "mina:refresh" in json.loads(response["HX-Trigger"])
    assert "mobile release" not in Summary.objects.get(meeting=ready).overview


def test_resummarising_waits_for_processing_and_needs_a_member(signed_in, workspace, owner, ready, member_of):
    viewer = signed_in(member_of(workspace, Role.VIEWER))
    assert viewer.post(f"/meetings/{ready.id}/summary/regenerate/", **HTMX).status_code == 403
    Meeting.objects.filter(pk=ready.pk).update(status=Meeting.Status.PROCESSING)
    response = signed_in(owner).post(f"/meetings/{ready.id}/summary/regenerate/", **HTMX)
    assert response.status_code == 400
    assert "Wait until the meeting is processed" in response.content.decode()


# --- Uploads ------------------------------------------------------------------------


def _upload(client, meeting, name, **extra):
    upload = SimpleUploadedFile(name, (SPEECH / name).read_bytes())
    return client.post(f"/meetings/{meeting.id}/recordings/", {"file": upload}, **extra)


def test_an_upload_is_stored_and_queued(signed_in, owner, meeting):
    response = _upload(signed_in(owner), meeting, "short.wav", **HTMX)
    assert response.status_code == 201
    assert "Uploaded “short.wav”" in response.content.decode()
    recording = Recording.objects.get(meeting=meeting)
    assert recording.source == Recording.Source.UPLOAD and recording.uploaded_by == owner
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.PROCESSING


def test_without_javascript_an_upload_returns_to_the_meeting(signed_in, owner, meeting):
    response = _upload(signed_in(owner), meeting, "short.wav")
    assert response.url == f"/meetings/{meeting.id}/"


def test_a_file_that_is_not_audio_is_refused_with_the_reason(signed_in, owner, meeting):
    response = _upload(signed_in(owner), meeting, "not_audio.mp3", **HTMX)
    assert response.status_code == 400
    assert "This file is not audio we can read" in response.content.decode()
    assert not Recording.objects.exists()


def test_an_upload_needs_a_file(signed_in, owner, meeting):
    response = signed_in(owner).post(f"/meetings/{meeting.id}/recordings/", {}, **HTMX)
    assert response.status_code == 400 and "Choose an audio file" in response.content.decode()


def test_an_upload_over_the_limit_is_413(signed_in, owner, meeting, settings):
    settings.MINA_MAX_UPLOAD_MB = 0
    response = _upload(signed_in(owner), meeting, "short.wav", **HTMX)
    assert response.status_code == 413 and "That is too large" in response.content.decode()
    assert not Recording.objects.exists()


def test_no_upload_while_live_nor_by_a_viewer(signed_in, workspace, owner, meeting, member_of):
    assert _upload(signed_in(member_of(workspace, Role.VIEWER)), meeting, "short.wav").status_code == 403
    Meeting.objects.filter(pk=meeting.pk).update(status=Meeting.Status.LIVE)
    response = _upload(signed_in(owner), meeting, "short.wav", **HTMX)
    assert response.status_code == 400 and "upload once it has ended" in response.content.decode()
    assert not Recording.objects.exists()


def test_page_uploads_share_the_upload_rate_limit(signed_in, owner, meeting, settings):
    settings.MINA_RATE_LIMITS = {**settings.MINA_RATE_LIMITS, "upload": "1/h"}
    client = signed_in(owner)
    assert _upload(client, meeting, "not_audio.mp3", **HTMX).status_code == 400
    assert _upload(client, meeting, "short.wav", **HTMX).status_code == 429


# --- Downloads ----------------------------------------------------------------------


def test_the_transcript_downloads_as_text_subtitles_and_captions(signed_in, owner, ready):
    client = signed_in(owner)
    txt = client.get(f"/meetings/{ready.id}/export/transcript.txt")
    assert txt["Content-Type"] == "text/plain; charset=utf-8"
    assert (
        txt["Content-Disposition"] == f'attachment; filename="{ready.title.lower().replace(" ", "-")}-{ready.id}.txt"'
    )
    assert txt.content.decode().splitlines() == [
        "[00:00:01] Carol: The mobile release is almost ready.",
        "[00:00:25] Carol: I will write the survey report.",
    ]
    srt = client.get(f"/meetings/{ready.id}/export/transcript.srt").content.decode()
    assert "2\n00:00:25,672 --> 00:00:28,172\nCarol: I will write the survey report.\n" in srt
    vtt = client.get(f"/meetings/{ready.id}/export/transcript.vtt").content.decode()
    assert (
        vtt.startswith("WEBVTT\n") and "00:00:25.672 --> 00:00:28.172\n<v Carol>I will write the survey report." in vtt
    )


def test_the_summary_downloads_as_markdown(signed_in, owner, ready):
    response = signed_in(owner).get(f"/meetings/{ready.id}/export/summary.md")
    assert response["Content-Type"] == "text/markdown; charset=utf-8"
    body = response.content.decode()
    assert body.startswith(f"# {ready.title}\n") and "We ship on Monday." in body
    assert "## Decisions\n\n- Ship Monday" in body and "- [ ] Write the survey report (Carol)" in body


def test_no_summary_yet_and_unknown_downloads_are_not_found(signed_in, owner, meeting):
    client = signed_in(owner)
    response = client.get(f"/meetings/{meeting.id}/export/summary.md")
    assert response.status_code == 404 and "no summary yet" in response.content.decode()
    assert client.get(f"/meetings/{meeting.id}/export/transcript.pdf").status_code == 404


def test_a_viewer_downloads_but_another_workspace_cannot(signed_in, workspace, outsider, ready, member_of):
    assert (
        signed_in(member_of(workspace, Role.VIEWER)).get(f"/meetings/{ready.id}/export/transcript.txt").status_code
        == 200
    )
    assert signed_in(outsider).get(f"/meetings/{ready.id}/export/transcript.txt").status_code == 404


def test_downloads_need_sign_in(client, ready):
    assert client.get(f"/meetings/{ready.id}/export/transcript.txt").url.startswith("/accounts/sign-in/")
