"""Uploads: every common format is transcribed; bad files are refused and leave nothing."""


import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from core.errors import Invalid, TooLarge
from meetings.models import Meeting
from tests.conftest import REAL, SPEECH
from tests.streaming import wer
from transcription import services
from transcription.models import Recording, Segment

STABLE = ["mobile release", "login error", "survey report"]
REFERENCE = (SPEECH / "standup.txt").read_text()


def upload(meeting, user, path, name=None):
    data = path.read_bytes()
    return services.upload_create(
        meeting=meeting,
        membership=user.memberships.get(workspace=meeting.workspace),
        upload=SimpleUploadedFile(name or path.name, data),
    )


def transcript(meeting):
    return " ".join(meeting.segments.filter(kind="refined").order_by("start_ms").values_list("text", flat=True))


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("name", ["standup.wav", "standup.mp3", "standup.m4a", "standup.ogg", "standup.webm"])
def test_every_format_gives_refined_segments(meeting, owner, name):
    recording = upload(meeting, owner, SPEECH / name)
    recording.refresh_from_db()
    meeting.refresh_from_db()
    assert recording.status == Recording.Status.DONE, recording.error
    assert recording.progress == 100
    assert meeting.status == Meeting.Status.READY
    text = transcript(meeting).lower()
    for phrase in STABLE:
        assert phrase in text
    assert wer(REFERENCE, text) < 0.2


@pytest.mark.django_db(transaction=True)
def test_real_speech_flac(meeting, owner):
    upload(meeting, owner, REAL / "jfk.flac")
    text = transcript(meeting).lower()
    assert "ask not what your country can do for you" in text
    assert wer((REAL / "jfk.txt").read_text(), text) < 0.1


@pytest.mark.django_db(transaction=True)
def test_the_content_decides_not_the_name(meeting, owner):
    upload(meeting, owner, SPEECH / "short.wav", name="recording.mp3")
    assert "quarterly budget" in transcript(meeting).lower()


@pytest.mark.parametrize(
    "name, code",
    [("not_audio.mp3", "not_audio"), ("corrupt.wav", "corrupt"), ("truncated.wav", "too_short")],
)
def test_bad_files_are_refused_and_leave_nothing(meeting, owner, name, code, settings):
    with pytest.raises(Invalid) as info:
        upload(meeting, owner, SPEECH / name)
    assert info.value.code == code or (name == "truncated.wav" and info.value.code in {"corrupt", "too_short", "empty"})
    assert info.value.message
    assert not Recording.objects.exists() and not Segment.objects.exists()
    assert not (settings.MEDIA_ROOT / "recordings").exists() or not any((settings.MEDIA_ROOT / "recordings").iterdir())


def test_an_empty_file_is_refused(meeting, owner):
    with pytest.raises(Invalid) as info:
        services.upload_create(
            meeting=meeting, membership=owner.memberships.get(), upload=SimpleUploadedFile("a.wav", b"")
        )
    assert info.value.code == "empty"
    assert not Recording.objects.exists()


def test_under_a_tenth_of_a_second_is_refused(meeting, owner, tmp_path):
    import io

    from transcription.audio import write_wav

    buffer = io.BytesIO()
    write_wav(buffer, b"\x10\x00" * 800)  # 50 ms
    with pytest.raises(Invalid) as info:
        services.upload_create(
            meeting=meeting, membership=owner.memberships.get(), upload=SimpleUploadedFile("tiny.wav", buffer.getvalue())
        )
    assert info.value.code == "too_short"


def test_over_the_size_limit_is_413(meeting, owner, settings):
    settings.MINA_MAX_UPLOAD_MB = 0
    with pytest.raises(TooLarge):
        upload(meeting, owner, SPEECH / "short.wav")
    assert not Recording.objects.exists()


def test_over_the_length_limit_is_refused(meeting, owner, settings):
    settings.MINA_MAX_AUDIO_MINUTES = 0.2  # 12 s; standup is 33 s
    with pytest.raises(Invalid) as info:
        upload(meeting, owner, SPEECH / "standup.wav")
    assert info.value.code == "too_long"


def test_a_viewer_cannot_upload(workspace, meeting, member_of):
    from core.errors import Forbidden
    from workspaces.models import Role

    viewer = member_of(workspace, Role.VIEWER)
    with pytest.raises(Forbidden):
        upload(meeting, viewer, SPEECH / "short.wav")


@pytest.mark.django_db(transaction=True)
def test_progress_is_reported_as_job_progress_events(meeting, owner, monkeypatch):
    from meetings import events

    sent = []
    monkeypatch.setattr(events, "send", lambda meeting_id, event: sent.append(event))
    upload(meeting, owner, SPEECH / "standup.wav")
    percents = [e["percent"] for e in sent if e["type"] == "job.progress" and e["stage"] == "transcribing"]
    assert percents == sorted(percents) and percents[-1] == 100 and len(percents) > 2
    assert any(e["type"] == "transcript.refined" for e in sent)
    assert any(e["type"] == "meeting.status" and e["status"] == "ready" for e in sent)


@pytest.mark.django_db(transaction=True)
def test_the_transcribe_command(meeting, owner):
    from django.core.management import call_command

    call_command("transcribe", str(meeting.id), str(SPEECH / "short.wav"))
    assert "quarterly budget" in transcript(meeting).lower()


def test_the_transcribe_command_names_a_bad_file(meeting, owner):
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="not_audio"):
        call_command("transcribe", str(meeting.id), str(SPEECH / "not_audio.mp3"))




@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("name", ["silence.wav", "noise.wav"])
def test_silence_or_noise_alone_gives_a_ready_meeting_with_nothing_invented(meeting, owner, name):
    recording = upload(meeting, owner, SPEECH / name)
    recording.refresh_from_db()
    meeting.refresh_from_db()
    assert (recording.status, meeting.status) == (Recording.Status.DONE, Meeting.Status.READY), meeting.error
    assert not meeting.segments.exists(), "no words, and no [inaudible] mark: nobody spoke"


@pytest.mark.django_db(transaction=True)
def test_a_file_that_ends_mid_page_gives_the_part_it_holds(meeting, owner, tmp_path):
    data = (SPEECH / "standup.ogg").read_bytes()
    cut = tmp_path / "cut-off.ogg"
    cut.write_bytes(data[: int(len(data) * 0.6) + 1])  # the upload broke off in the middle of a page
    recording = upload(meeting, owner, cut)
    recording.refresh_from_db()
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.READY and recording.status == Recording.Status.DONE
    segments = list(meeting.segments.filter(kind="refined"))
    text = " ".join(s.text for s in segments).lower()
    assert "mobile release" in text and "login error" in text
    assert "survey report" not in text, "said after the file ends: nothing invented"
    assert max(s.end_ms for s in segments) <= recording.duration_ms + 100
