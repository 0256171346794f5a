"""Downloads: the renderers (shared with the pages) and the API endpoints that serve them."""

from datetime import UTC, date, datetime
from types import SimpleNamespace

import pytest

from meetings.models import Summary
from tests.api.helpers import error_code
from tests.factories import ParticipantFactory, SegmentFactory, TaskFactory
from transcription import exports
from transcription.models import Segment


def _seg(start_ms, end_ms, text, speaker=None):
    participant = SimpleNamespace(name=speaker) if speaker else None
    return SimpleNamespace(start_ms=start_ms, end_ms=end_ms, text=text, participant=participant)


SEGMENTS = [
    _seg(1_500, 4_250, "Good morning everyone.", "Alice"),
    _seg(3_723_004, 3_725_000, "David, please fix the login error\nbefore Thursday.", "Carol"),
    _seg(3_726_000, 3_727_000, "No speaker here <b>& more</b>"),
]


def test_txt_has_a_timestamp_and_speaker_per_line():
    assert exports.transcript_txt(SEGMENTS) == (
        "[00:00:01] Alice: Good morning everyone.\n"
        "[01:02:03] Carol: David, please fix the login error before Thursday.\n"
        "[01:02:06] No speaker here <b>& more</b>\n"
    )


def test_srt_numbers_cues_with_comma_milliseconds():
    assert exports.transcript_srt(SEGMENTS[:2]) == (
        "1\n00:00:01,500 --> 00:00:04,250\nAlice: Good morning everyone.\n"
        "\n"
        "2\n01:02:03,004 --> 01:02:05,000\nCarol: David, please fix the login error before Thursday.\n"
    )


def test_vtt_uses_voice_spans_and_escapes_markup():
    assert exports.transcript_vtt(SEGMENTS) == (
        "WEBVTT\n"
        "\n00:00:01.500 --> 00:00:04.250\n<v Alice>Good morning everyone.\n"
        "\n01:02:03.004 --> 01:02:05.000\n<v Carol>David, please fix the login error before Thursday.\n"
        "\n01:02:06.000 --> 01:02:07.000\nNo speaker here &lt;b&gt;&amp; more&lt;/b&gt;\n"
    )


def test_empty_transcripts_are_still_valid_files():
    assert exports.transcript_txt([]) == ""
    assert exports.transcript_srt([]) == ""
    assert exports.transcript_vtt([]) == "WEBVTT\n"


def test_summary_markdown_has_sections_and_checkboxes():
    meeting = SimpleNamespace(
        title="Weekly sync", started_at=datetime(2030, 1, 7, 9, 30, tzinfo=UTC), created_at=None,
        language_label="English",
    )
    summary = SimpleNamespace(
        overview="We planned the release.", key_points=["Login error"], decisions=["Ship Monday"],
        questions=["Do we keep the old app running?"],
    )
    tasks = [
        SimpleNamespace(title="Fix the login error", status="open", assignee=SimpleNamespace(name="David"),
                        owner_name="", due_date=date(2030, 1, 10), review="accepted"),
        SimpleNamespace(title="Write the survey report", status="done", assignee=None, owner_name="Carol",
                        due_date=None, review="accepted"),
        SimpleNamespace(title="Check the invoices", status="open", assignee=None, owner_name="",
                        due_date=None, review="suggested"),
    ]
    assert exports.summary_markdown(meeting, summary, tasks) == (
        "# Weekly sync\n\n_2030-01-07 09:30 UTC · English_\n\n"
        "## Summary\n\nWe planned the release.\n\n"
        "## Key points\n\n- Login error\n\n"
        "## Decisions\n\n- Ship Monday\n\n"
        "## Open questions\n\n- Do we keep the old app running?\n\n"
        "## Action items\n\n- [ ] Fix the login error (David, due 2030-01-10)\n"
        "- [x] Write the survey report (Carol)\n"
        "- [ ] Check the invoices _(suggested)_\n"
    )


def _transcript(meeting):
    alice = ParticipantFactory(meeting=meeting, name="Alice")
    SegmentFactory(meeting=meeting, participant=alice, start_ms=0, end_ms=900, text="live words")
    SegmentFactory(meeting=meeting, participant=alice, start_ms=0, end_ms=900, text="careful words",
                   kind=Segment.Kind.REFINED)


@pytest.mark.parametrize(
    "path,content_type,suffix,expected",
    [
        ("transcript.txt", "text/plain", "txt", "[00:00:00] Alice: careful words\n"),
        ("transcript.srt", "application/x-subrip", "srt", "1\n00:00:00,000 --> 00:00:00,900\nAlice: careful words\n"),
        ("transcript.vtt", "text/vtt", "vtt", "WEBVTT\n\n00:00:00.000 --> 00:00:00.900\n<v Alice>careful words\n"),
    ],
)
def test_transcript_downloads_prefer_the_refined_pass(meeting, owner, as_user, path, content_type, suffix, expected):
    meeting.title = "Weekly sync"
    meeting.save()
    _transcript(meeting)
    response = as_user(owner).get(f"/api/v1/meetings/{meeting.id}/export/{path}", HTTP_ACCEPT=content_type)
    assert response.status_code == 200
    assert response["Content-Type"] == f"{content_type}; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="weekly-sync-{meeting.id}.{suffix}"'
    assert response.content.decode() == expected


def test_summary_download_is_markdown_with_tasks(meeting, owner, as_user):
    Summary.objects.create(meeting=meeting, overview="We met.", key_points=[], decisions=["Ship"], engine="local")
    TaskFactory(meeting=meeting, title="Fix the login error", assignee=owner)
    response = as_user(owner).get(f"/api/v1/meetings/{meeting.id}/export/summary.md")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/markdown; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment;")
    body = response.content.decode()
    assert "## Decisions\n\n- Ship" in body and f"- [ ] Fix the login error ({owner.name})" in body


def test_summary_download_is_not_found_before_a_summary(meeting, owner, as_user):
    response = as_user(owner).get(f"/api/v1/meetings/{meeting.id}/export/summary.md")
    assert response.status_code == 404
    assert error_code(response) == "not_found"


@pytest.mark.parametrize("path", ["transcript.txt", "transcript.srt", "transcript.vtt", "summary.md"])
def test_another_workspace_cannot_download(meeting, outsider, as_user, path):
    _transcript(meeting)
    Summary.objects.create(meeting=meeting, overview="secret", engine="local")
    response = as_user(outsider).get(f"/api/v1/meetings/{meeting.id}/export/{path}")
    assert response.status_code == 404
    assert "secret" not in response.content.decode() and "careful" not in response.content.decode()
