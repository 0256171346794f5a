"""Live transcription through the real ASGI app, real audio and the real model."""

import asyncio
import json

import pytest
from channels.db import database_sync_to_async

from meetings.models import Meeting
from tests.conftest import SPEECH
from tests.factories import MembershipFactory, UserFactory
from tests.sockets import access_token, connect, expect_refusal, receive
from tests.streaming import only_turns_of, read_pcm, send_audio, start, stop, wer
from transcription.models import Recording, Segment
from workspaces.models import Role

pytestmark = pytest.mark.django_db(transaction=True)

STANDUP = json.loads((SPEECH / "standup.json").read_text())
REFERENCE = (SPEECH / "standup.txt").read_text()


async def audio_socket(meeting, user):
    ws, connected, _ = await connect(f"/ws/meetings/{meeting.id}/audio/", token=access_token(user), origin=None)
    assert connected
    return ws


async def watcher(meeting, user, after=None):
    path = f"/ws/meetings/{meeting.id}/" + (f"?after={after}" if after is not None else "")
    ws, _, _ = await connect(path, token=access_token(user), origin=None)
    snapshot = await receive(ws)
    assert snapshot["type"] == "snapshot"
    return ws, snapshot


@database_sync_to_async
def finals(meeting):
    return list(Segment.objects.filter(meeting=meeting, kind="final").select_related("participant").order_by("start_ms"))


async def test_standup_streams_to_partials_and_finals_for_every_watcher(meeting, owner, workspace, member_of):
    viewer = await database_sync_to_async(member_of)(workspace, Role.VIEWER)
    first, _ = await watcher(meeting, owner)
    second, _ = await watcher(meeting, viewer)
    mic = await audio_socket(meeting, owner)
    try:
        ready = await start(mic)
        assert ready["received_ms"] == 0
        await send_audio(mic, read_pcm(SPEECH / "standup.wav"))
        await stop(mic)
        segments = await finals(meeting)
        events_first = await _drain_events(first)
        events_second = await _drain_events(second)
    finally:
        for ws in (mic, first, second):
            await ws.disconnect()

    text = " ".join(s.text for s in segments)
    for phrase in ("mobile release", "login error", "survey report"):
        assert phrase in text.lower()
    assert wer(REFERENCE, text) < 0.25, text
    # Each turn starts within 1.5 s of a segment start.
    starts = [s.start_ms for s in segments]
    for turn in STANDUP["turns"]:
        assert min(abs(turn["start_ms"] - s) for s in starts) < 1500, (turn, starts)

    final_ids = [e["id"] for e in events_first if e["type"] == "transcript.final"]
    assert final_ids == [s.id for s in sorted(segments, key=lambda s: s.id)]
    assert [e["id"] for e in events_second if e["type"] == "transcript.final"] == final_ids
    assert any(e["type"] == "transcript.partial" for e in events_first)
    partial = next(e for e in events_first if e["type"] == "transcript.partial")
    assert {"utterance_id", "participant", "start_ms", "end_ms", "text", "meeting"} <= set(partial)
    meeting_now = await database_sync_to_async(Meeting.objects.get)(pk=meeting.pk)
    assert meeting_now.status == Meeting.Status.LIVE
    assert any(e["type"] == "meeting.status" and e["status"] == "live" for e in events_first)

    late, snapshot = await watcher(meeting, owner)
    await late.disconnect()
    assert [s["id"] for s in snapshot["segments"]] == final_ids

    recording = await database_sync_to_async(Recording.objects.get)(meeting=meeting)
    assert recording.status == Recording.Status.QUEUED
    assert abs(recording.duration_ms - STANDUP["duration_ms"]) < 50


async def _drain_events(ws, quiet=0.5):
    # receive_nothing waits without cancelling the app (a timed-out receive would).
    seen = []
    while not await ws.receive_nothing(timeout=quiet):
        seen.append(await receive(ws))
    return seen


async def test_one_socket_per_speaker_labels_segments_by_speaker(workspace, meeting):
    pcm = read_pcm(SPEECH / "standup.wav")
    people = {}
    for name in ("Alice", "David", "Carol"):
        people[name] = await database_sync_to_async(
            lambda n=name: MembershipFactory(workspace=workspace, user=UserFactory(display_name=n)).user
        )()
    sockets = {name: await audio_socket(meeting, user) for name, user in people.items()}
    try:
        for ws in sockets.values():
            await start(ws)
        await asyncio.gather(
            *(send_audio(ws, only_turns_of(pcm, STANDUP["turns"], name)) for name, ws in sockets.items())
        )
        for ws in sockets.values():
            await stop(ws)
    finally:
        for ws in sockets.values():
            await ws.disconnect()
    segments = await finals(meeting)
    by_speaker = {}
    for segment in segments:
        by_speaker.setdefault(segment.participant.name, []).append(segment.text.lower())
    assert set(by_speaker) == {"Alice", "David", "Carol"}
    assert any("survey report" in t for t in by_speaker["Carol"])
    assert any("login error" in t for t in by_speaker["David"])
    assert any("please fix" in t for t in by_speaker["Alice"])
    for turn in STANDUP["turns"]:
        mine = [s for s in segments if s.participant.name == turn["speaker"]]
        assert min(abs(turn["start_ms"] - s.start_ms) for s in mine) < 1500


@pytest.mark.parametrize("name", ["silence.wav", "noise.wav"])
async def test_silence_and_noise_give_no_segments(meeting, owner, name):
    mic = await audio_socket(meeting, owner)
    try:
        await start(mic)
        await send_audio(mic, read_pcm(SPEECH / name))
        await stop(mic)
    finally:
        await mic.disconnect()
    assert await finals(meeting) == []


async def test_reconnect_resumes_the_stream_without_loss_or_duplicates(meeting, owner):
    pcm = read_pcm(SPEECH / "standup.wav")
    half = len(pcm) // 2 // 3200 * 3200
    mic = await audio_socket(meeting, owner)
    ready = await start(mic)
    await send_audio(mic, pcm[:half])
    await mic.disconnect()  # dropped, no stop

    mic = await audio_socket(meeting, owner)
    try:
        resumed = await start(mic, stream_id=ready["stream_id"])
        assert resumed["stream_id"] == ready["stream_id"]
        # Frames still in flight when the socket dropped may be lost; the server says
        # how far it got and the client resends from there.
        assert resumed["received_ms"] <= half // 32
        await send_audio(mic, pcm[resumed["received_ms"] * 32 :])
        stopped = await stop(mic)
    finally:
        await mic.disconnect()
    recording = await database_sync_to_async(Recording.objects.get)(meeting=meeting)
    assert stopped["received_ms"] == len(pcm) // 32
    with recording.file.open("rb") as fh:
        assert fh.read()[44:] == pcm
    segments = await finals(meeting)
    starts = [s.start_ms for s in segments]
    assert starts == sorted(starts)
    texts = [s.text for s in segments]
    assert len(texts) == len(set(texts))
    assert "survey report" in " ".join(texts).lower()


# --- Bad input -------------------------------------------------------------------------


async def test_text_that_is_not_json_gets_an_error_and_the_stream_goes_on(meeting, owner):
    mic = await audio_socket(meeting, owner)
    try:
        await start(mic)
        await mic.send_to(text_data="not json")
        assert (await receive(mic))["code"] == "malformed_json"
        await mic.send_json_to({"type": "dance"})
        assert (await receive(mic))["code"] == "unknown_type"
        await mic.send_to(bytes_data=b"\x00\x00" * 10)
        await stop(mic)
    finally:
        await mic.disconnect()


async def test_odd_and_oversized_frames_are_refused_and_not_stored(meeting, owner):
    mic = await audio_socket(meeting, owner)
    try:
        await start(mic)
        await mic.send_to(bytes_data=b"\x00" * 3201)
        assert (await receive(mic))["code"] == "odd_frame"
        await mic.send_to(bytes_data=b"\x00" * 32002)
        assert (await receive(mic))["code"] == "frame_too_long"
        await mic.send_to(bytes_data=b"\x00" * 3200)
        stopped = await stop(mic)
    finally:
        await mic.disconnect()
    assert stopped["received_ms"] == 100


async def test_binary_before_start_closes_4400(meeting, owner):
    mic = await audio_socket(meeting, owner)
    try:
        await mic.send_to(bytes_data=b"\x00" * 3200)
        assert (await expect_refusal(mic, 4400))["code"] == "not_started"
    finally:
        await mic.disconnect()


@pytest.mark.parametrize("start_message", [
    {"sample_rate": 44100, "format": "pcm_s16le"},
    {"sample_rate": 16000, "format": "opus"},
])
async def test_another_format_is_unsupported_4400(meeting, owner, start_message):
    mic = await audio_socket(meeting, owner)
    try:
        await mic.send_json_to({"type": "start", **start_message})
        assert (await expect_refusal(mic, 4400))["code"] == "unsupported_format"
    finally:
        await mic.disconnect()


async def test_no_start_in_time_is_4408(meeting, owner):
    mic = await audio_socket(meeting, owner)
    try:
        assert (await expect_refusal(mic, 4408, timeout=5))["code"] == "start_timeout"
    finally:
        await mic.disconnect()


async def test_audio_faster_than_real_time_is_cut_4429(meeting, owner, settings):
    settings.MINA_REALTIME_SLACK = 1.5
    settings.MINA_RESUME_BURST_MS = 1000
    mic = await audio_socket(meeting, owner)
    try:
        await start(mic)
        await send_audio(mic, b"\x00\x00" * 16000 * 5)
        assert (await expect_refusal(mic, 4429))["code"] == "too_fast"
    finally:
        await mic.disconnect()


# --- Access ----------------------------------------------------------------------------


async def test_another_workspace_is_4404(meeting, outsider):
    mic = await audio_socket(meeting, outsider)
    try:
        await expect_refusal(mic, 4404)
    finally:
        await mic.disconnect()


async def test_a_viewer_cannot_record_4403(workspace, meeting, member_of):
    viewer = await database_sync_to_async(member_of)(workspace, Role.VIEWER)
    mic = await audio_socket(meeting, viewer)
    try:
        assert (await expect_refusal(mic, 4403))["code"] == "forbidden"
    finally:
        await mic.disconnect()


async def test_signed_out_is_4401(meeting):
    mic, _, _ = await connect(f"/ws/meetings/{meeting.id}/audio/", origin=None)
    try:
        await expect_refusal(mic, 4401, timeout=5)
    finally:
        await mic.disconnect()


async def test_a_finished_meeting_cannot_be_recorded_4409(meeting, owner):
    meeting.status = Meeting.Status.READY
    await database_sync_to_async(meeting.save)()
    mic = await audio_socket(meeting, owner)
    try:
        await mic.send_json_to({"type": "start", "sample_rate": 16000, "format": "pcm_s16le"})
        assert (await expect_refusal(mic, 4409))["code"] == "not_live"
    finally:
        await mic.disconnect()
