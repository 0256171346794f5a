"""A live stream's stats reach the operations page while it streams, through the real audio
socket and the real model."""

from __future__ import annotations

import re

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async

from meetings.models import Meeting
from tests.conftest import SPEECH
from tests.sockets import access_token, connect, receive_until
from tests.streaming import read_pcm, send_audio, start, stop
from transcription.consumers import audio as audio_socket
from transcription.models import Recording

pytestmark = pytest.mark.django_db(transaction=True)

SILENCE = b"\0" * 3200  # 100 ms


async def test_a_streams_stats_are_saved_while_it_streams_and_shown(meeting, owner, operator_client, monkeypatch):
    # Every frame touches the recording, instead of every 10 s.
    monkeypatch.setattr(audio_socket, "TOUCH_EVERY_S", 0.0)
    token = access_token(owner)
    watcher, _, _ = await connect(f"/ws/meetings/{meeting.id}/", token=token, origin=None)
    mic, _, _ = await connect(f"/ws/meetings/{meeting.id}/audio/", token=token, origin=None)
    try:
        await receive_until(watcher, "snapshot")
        await start(mic)
        # One sentence, then a second of silence: the voice detector ends it.
        await send_audio(mic, read_pcm(SPEECH / "short.wav") + SILENCE * 10)
        await receive_until(watcher, "transcript.final", timeout=60)
        await mic.send_to(bytes_data=SILENCE)  # the next frame saves the stats with the final in them
        recording = await database_sync_to_async(Recording.objects.get)(meeting=meeting)
        for _ in range(50):
            if recording.stats.get("finals"):
                break
            await mic.send_to(bytes_data=SILENCE)
            recording = await database_sync_to_async(Recording.objects.get)(meeting=meeting)
        page = await sync_to_async(operator_client.get)("/admin/ops/live/")
        await stop(mic)
    finally:
        await mic.disconnect()
        await watcher.disconnect()

    assert recording.status == Recording.Status.RECEIVING  # still streaming when read
    stats = recording.stats
    assert stats["finals"] == 1 and stats["audio_ms"] >= 4000
    assert stats["processing_ms"] > 0 and stats["final_latency_ms"]["median"] > 0
    assert stats["partials"] == len(stats["partial_latencies_ms"]) > 0
    assert min(stats["partial_latencies_ms"]) > 0

    assert (await database_sync_to_async(Meeting.objects.get)(pk=meeting.pk)).status == Meeting.Status.LIVE
    html = page.content.decode()
    row = re.search(rf'<tr id="live-stream-{recording.pk}">(.*?)</tr>', html, re.S).group(1)
    cells = [re.sub(r"\s+", " ", c).strip() for c in re.findall(r"<td>(.*?)</td>", row, re.S)]
    assert cells[1:3] == ["streaming", f"{stats['audio_ms'] / 1000:.0f} s"]
    assert cells[3] == f"{stats['processing_ms'] / stats['audio_ms']:.2f}"
    median, p90 = stats["final_latency_ms"]["median"], stats["final_latency_ms"]["p90"]
    assert cells[4] == f"{median} / {p90} ms"
    assert cells[6] == "1"
