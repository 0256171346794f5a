"""Who said it: voices told apart in uploads and room microphones, named once, and the
owners of tasks following their names (real audio, the real engine and database)."""

from __future__ import annotations

import asyncio
import json
from collections import Counter

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from meetings import services as meeting_services
from meetings.models import Meeting, Participant, Summary, Task
from tests.api.helpers import client_for
from tests.conftest import REAL, SPEECH
from tests.factories import MeetingFactory, MembershipFactory, SegmentFactory, TaskFactory, UserFactory
from tests.sockets import access_token, connect
from tests.streaming import read_pcm, send_audio, start, stop
from transcription import selectors
from transcription.models import Recording
from transcription.services import upload_create
from workspaces.models import Role

pytestmark = pytest.mark.django_db(transaction=True)

THREE = json.loads((SPEECH / "three_voices.json").read_text())


def _upload(meeting, user, path, **extra):
    upload_create(
        meeting=meeting, membership=user.memberships.get(workspace=meeting.workspace),
        upload=SimpleUploadedFile(path.name, path.read_bytes()), **extra,
    )
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.READY, meeting.error


def _speaker_of_turns(meeting) -> dict[str, Counter]:
    """For each speaker of the script, how much of their turns' words each participant has."""
    found: dict[str, Counter] = {}
    words = [(w["start_ms"], w["end_ms"], s.participant_id) for s in selectors.segment_list(meeting=meeting) for w in s.words]
    for turn in THREE["turns"]:
        inside = [p for start, end, p in words if turn["start_ms"] <= (start + end) // 2 <= turn["end_ms"]]
        found.setdefault(turn["speaker"], Counter()).update(inside)
    return found


def test_an_upload_of_three_voices_gets_three_speakers_whose_lines_match_the_script(meeting, owner):
    _upload(meeting, owner, SPEECH / "three_voices.flac")
    speakers = list(meeting.participants.order_by("id"))
    assert [p.name for p in speakers] == ["Speaker 1", "Speaker 2", "Speaker 3"]
    heard = _speaker_of_turns(meeting)
    mostly = {name: counts.most_common(1)[0] for name, counts in heard.items()}
    assert len({participant for participant, _ in mostly.values()}) == 3, "each voice its own speaker"
    for name, counts in heard.items():
        assert mostly[name][1] >= 0.9 * sum(counts.values()), (name, counts)
    recording = Recording.objects.get(meeting=meeting)
    assert recording.speakers == [p.pk for p in speakers]


def test_the_conversation_suggests_names_and_none_is_applied_by_itself(meeting, owner, workspace):
    for name in ("Eva", "Malik"):
        MembershipFactory(workspace=workspace, role=Role.MEMBER, user=UserFactory(display_name=name))
    _upload(meeting, owner, SPEECH / "three_voices.flac")
    by_speaker = {name: counts.most_common(1)[0][0] for name, counts in _speaker_of_turns(meeting).items()}
    eva, malik = Participant.objects.get(pk=by_speaker["Eva"]), Participant.objects.get(pk=by_speaker["Malik"])
    # "Actually, Eva, you know Leon …" - "Sure, I can do that."
    assert eva.suggested_name == "Eva" and "Sure" in eva.suggestion_reason
    # "Malik, please write to Leon …" - "Will do …" (heard "Malick": the member's name)
    assert malik.suggested_name == "Malik"
    assert eva.name.startswith("Speaker") and malik.name.startswith("Speaker")


def test_accepting_a_suggested_member_names_every_line_and_gives_them_the_tasks(meeting, owner, workspace):
    eva_member = MembershipFactory(workspace=workspace, role=Role.MEMBER, user=UserFactory(display_name="Eva")).user
    speaker = Participant.objects.create(meeting=meeting, name="Speaker 2", suggested_name="Eva")
    lines = [SegmentFactory(meeting=meeting, participant=speaker, kind="refined") for _ in range(3)]
    mine = TaskFactory(meeting=meeting, title="Write to Leon", owner_name="Speaker 2")
    other = TaskFactory(meeting=meeting, title="Book the room", owner_name="Speaker 3")
    client = client_for(owner)
    response = client.patch(
        f"/api/v1/meetings/{meeting.id}/participants/{speaker.id}/", {"name": "Eva"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["user"] == eva_member.id and response.json()["suggested_name"] == ""
    assert {s.participant.name for s in selectors.segment_list(meeting=meeting)} == {"Eva"}
    assert all(s.participant_id == speaker.id for s in lines)
    mine.refresh_from_db()
    other.refresh_from_db()
    assert (mine.assignee, mine.owner_name) == (eva_member, "")
    assert (other.assignee, other.owner_name) == (None, "Speaker 3")


def test_a_guest_name_carries_over_to_the_tasks_of_the_label(meeting, owner):
    speaker = Participant.objects.create(meeting=meeting, name="Speaker 1")
    task = TaskFactory(meeting=meeting, title="Send the slides", owner_name="Speaker 1")
    meeting_services.participant_rename(participant=speaker, membership=owner.memberships.get(), name="Dr Patel")
    task.refresh_from_db()
    assert (task.assignee, task.owner_name) == (None, "Dr Patel")


def test_the_titles_and_summary_that_name_the_label_name_the_person(meeting, owner, workspace):
    lena = MembershipFactory(workspace=workspace, role=Role.MEMBER, user=UserFactory(display_name="Lena")).user
    speaker = Participant.objects.create(meeting=meeting, name="Speaker 1")
    Summary.objects.create(
        meeting=meeting, engine="local",
        overview="It ended with two action items for Speaker 1 and Speaker 12.",
        decisions=["Speaker 1 leads the pilot"], questions=["Can Speaker 1 start?"], key_points=["Speaker 1 asked for a pilot"],
    )
    send = TaskFactory(meeting=meeting, title="Send Speaker 1 the sandbox keys", owner_name="Speaker 2")
    other = TaskFactory(meeting=meeting, title="Call Speaker 12 back", owner_name="Speaker 2")
    edited = TaskFactory(meeting=meeting, title="Brief Speaker 1 on the plan", owner_name="Speaker 2", edited=True)
    response = client_for(owner).patch(
        f"/api/v1/meetings/{meeting.id}/participants/{speaker.id}/", {"name": "Lena"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["user"] == lena.id
    titles = {t.pk: t.title for t in Task.objects.filter(meeting=meeting)}
    assert titles[send.pk] == "Send Lena the sandbox keys"
    assert titles[other.pk] == "Call Speaker 12 back"  # another label
    assert titles[edited.pk] == "Brief Speaker 1 on the plan"  # a person's own words stay
    assert Task.objects.get(pk=send.pk).owner_name == "Speaker 2"  # still the other speaker's
    summary = client_for(owner).get(f"/api/v1/meetings/{meeting.id}/summary/").json()
    assert summary["overview"] == "It ended with two action items for Lena and Speaker 12."
    assert summary["decisions"] == ["Lena leads the pilot"]
    assert summary["key_points"] == ["Lena asked for a pilot"] and summary["questions"] == ["Can Lena start?"]


def test_a_name_a_person_gave_is_not_rewritten_in_the_text(meeting, owner):
    speaker = Participant.objects.create(meeting=meeting, name="Will")
    task = TaskFactory(meeting=meeting, title="Ask Will whether we ship", owner_name="Speaker 2")
    meeting_services.participant_rename(participant=speaker, membership=owner.memberships.get(), name="William")
    task.refresh_from_db()
    assert task.title == "Ask Will whether we ship"


def test_a_suggestion_turned_down_is_gone(meeting, owner):
    speaker = Participant.objects.create(meeting=meeting, name="Speaker 1", suggested_name="Tom")
    response = client_for(owner).delete(f"/api/v1/meetings/{meeting.id}/participants/{speaker.id}/suggestion/")
    assert response.status_code == 204
    speaker.refresh_from_db()
    assert (speaker.name, speaker.suggested_name) == ("Speaker 1", "")


def test_talk_time_per_speaker_in_seconds_and_share(meeting, owner):
    _upload(meeting, owner, SPEECH / "three_voices.flac")
    rows = client_for(owner).get(f"/api/v1/meetings/{meeting.id}/talk-time/").json()
    assert len(rows) == 3 and all(row["talk_ms"] > 5_000 for row in rows)
    assert sum(row["share"] for row in rows) == pytest.approx(1.0)
    page = client_for(owner).get(f"/meetings/{meeting.id}/")
    assert page.status_code in (200, 302)


def test_one_voice_stays_one_speaker(meeting, owner):
    _upload(meeting, owner, REAL / "jfk.flac")
    assert [p.name for p in meeting.participants.all()] == ["Speaker 1"]


@pytest.mark.parametrize("name", ["silence.wav", "noise.wav"])
def test_silence_and_noise_give_no_speaker(meeting, owner, name):
    _upload(meeting, owner, SPEECH / name)
    assert not meeting.participants.exists()


def test_the_uploader_may_say_how_many_speak(meeting, owner):
    _upload(meeting, owner, SPEECH / "three_voices.flac", expected_speakers=2)
    assert meeting.participants.count() == 2


async def _stream(meeting, user, room: bool):
    ws, connected, _ = await connect(f"/ws/meetings/{meeting.id}/audio/", token=access_token(user), origin=None)
    assert connected
    try:
        await start(ws, **({"room": True} if room else {}))
        await send_audio(ws, read_pcm(SPEECH / "short.wav"))
        await stop(ws)
    finally:
        await ws.disconnect()


@pytest.mark.parametrize("room", [False, True])
def test_a_person_s_own_microphone_keeps_them_and_a_room_s_is_told_apart(workspace, owner, room):
    meeting = MeetingFactory(workspace=workspace, organizer=owner)
    asyncio.run(_stream(meeting, owner, room))
    recording = Recording.objects.get(meeting=meeting)
    assert recording.room_microphone is room
    meeting_services.meeting_end(meeting=meeting, membership=owner.memberships.get())
    names = {s.participant.name for s in selectors.segment_list(meeting=meeting)}
    assert names == ({"Speaker 1"} if room else {owner.name})


def test_tasks_follow_a_self_assigned_item_to_the_speaker_once_named(meeting, owner, workspace):
    """"I will …" said by an unnamed voice: the task shows the voice's label until named."""
    carol = MembershipFactory(workspace=workspace, role=Role.MEMBER, user=UserFactory(display_name="Carol")).user
    voice = Participant.objects.create(meeting=meeting, name="Speaker 2")
    SegmentFactory(meeting=meeting, participant=voice, kind="refined", text="I will write the survey report by Friday.")
    from transcription.summaries import summary_generate

    summary_generate(meeting=meeting)
    task = Task.objects.get(meeting=meeting, title__icontains="survey report")
    assert (task.assignee, task.owner_name) == (None, "Speaker 2")
    meeting_services.participant_rename(participant=voice, membership=owner.memberships.get(), user=carol)
    task.refresh_from_db()
    assert task.assignee == carol
