"""A whole meeting leaves no token, session id or transcript text in the logs."""

import asyncio
import logging

import pytest

from meetings.models import Meeting
from meetings.services import meeting_end
from tests.conftest import SPEECH
from tests.sockets import access_token, connect, receive, session_cookie
from tests.streaming import read_pcm, send_audio, start, stop

pytestmark = pytest.mark.django_db(transaction=True)


def test_logs_hold_no_secret_and_no_transcript(meeting, owner, caplog, client):
    caplog.set_level(logging.DEBUG)
    token = access_token(owner)

    async def scenario():
        cookie = await session_cookie(owner)
        watcher, _, _ = await connect(f"/ws/meetings/{meeting.id}/", user=owner)
        mic, _, _ = await connect(f"/ws/meetings/{meeting.id}/audio/", token=token, origin=None)
        try:
            await receive(watcher)
            await start(mic)
            await send_audio(mic, read_pcm(SPEECH / "short.wav"))
            await stop(mic)
        finally:
            await mic.disconnect()
            await watcher.disconnect()
        return cookie

    cookie = asyncio.run(scenario())
    meeting.refresh_from_db()
    meeting_end(meeting=meeting, membership=owner.memberships.get())
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.READY
    client.post("/accounts/sign-in/", {"username": owner.email, "password": "wrong-password"})
    client.get("/api/v1/auth/token/", HTTP_AUTHORIZATION=f"Bearer {token}")

    texts = list(meeting.segments.values_list("text", flat=True))
    assert texts
    logs = "\n".join(r.getMessage() for r in caplog.records) + caplog.text
    assert token not in logs
    assert token.split(".")[1] not in logs
    assert cookie.split("=")[1] not in logs
    assert "wrong-password" not in logs
    for text in texts:
        assert text not in logs
        assert "quarterly budget" not in logs.lower()
    assert "stream closed" in logs  # the logs are there, just clean


