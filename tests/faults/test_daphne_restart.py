"""Daphne killed and started again while a participant streams (scaled mode)."""

import asyncio
import wave

import pytest

from tests.conftest import SPEECH
from tests.faults.conftest import scaled_only
from tests.faults.processes import Redis, daphne, running, server_env
from tests.faults.scenarios import stream_through_a_crash
from tests.sockets import access_token
from tests.streaming import read_pcm
from transcription.models import Recording

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow, scaled_only]


def test_a_stream_continues_through_a_daphne_restart_with_nothing_lost_or_doubled(meeting, owner):
    pcm = read_pcm(SPEECH / "standup.wav")
    redis = Redis()
    web = daphne(server_env(REDIS_URL=redis.url, MINA_LIVE_TRANSCRIBER="pool"))
    with running(web, redis):
        redis.start()
        web.start()
        seen = asyncio.run(stream_through_a_crash(web, meeting.id, access_token(owner), pcm, crash_after_ms=11_000))

    mic, watcher = seen["mic"], seen["watcher"]
    resumed_at = mic.resumed_at[1] * 32
    assert mic.resumed_at[0] == 0 and 11_000 * 32 <= resumed_at <= seen["sent_before_crash"]
    assert seen["stopped"]["received_ms"] == len(pcm) // 32
    recording = Recording.objects.get(meeting=meeting)
    with wave.open(recording.file.path, "rb") as wav:
        assert wav.readframes(wav.getnframes()) == pcm, "the audio is whole: nothing lost, nothing twice"
    after_restart = meeting.segments.filter(kind="final").exclude(id__in=seen["stored_before_restart"])
    assert after_restart.exists() and all(s.start_ms >= resumed_at // 32 - 1000 for s in after_restart), (
        "timestamps continue from where the stream resumed"
    )
    assert watcher.closes and watcher.closes[0] != 1000, "the watcher saw the crash and reconnected"
