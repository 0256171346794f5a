"""A participant streams while the server process is killed and started again."""

from __future__ import annotations

import asyncio
from typing import Any

from channels.db import database_sync_to_async

from tests.faults.clients import Microphone, Watcher, wait_until
from tests.faults.processes import Web
from transcription.models import Segment


def finals_stored(meeting_id: int) -> set[int]:
    return set(Segment.objects.filter(meeting_id=meeting_id, kind="final").values_list("id", flat=True))


async def wait_until_stored(condition: Any, timeout: float, what: str) -> None:
    """wait_until for a condition that reads the database."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not await database_sync_to_async(condition)():
        assert asyncio.get_running_loop().time() < deadline, f"timed out after {timeout} s waiting for {what}"
        await asyncio.sleep(0.2)


async def stream_through_a_crash(web: Web, meeting_id: int, token: str, pcm: bytes, *,
                                 crash_after_ms: int) -> dict[str, Any]:
    """Stream `pcm`; at `crash_after_ms` into it, kill -9 the server mid-stream and start it
    again; both clients reconnect, the stream goes on and stops. Returns what the clients saw."""
    watcher = Watcher(web.address, meeting_id, token)
    mic = Microphone(web.address, meeting_id, token, pcm)
    try:
        await watcher.connect()
        await mic.start()
        await mic.send_until(crash_after_ms)
        await wait_until(lambda: watcher.of_type("transcript.final"), 60, "a final before the crash")
        streaming = asyncio.ensure_future(mic.send_until_cut_off())
        await asyncio.sleep(0.3)
        await asyncio.to_thread(web.kill)
        sent_before_crash = mic.position
        stored_before_restart = await database_sync_to_async(finals_stored)(meeting_id)
        await asyncio.wait_for(streaming, 10)
        await wait_until(lambda: not watcher.open, 10, "the watcher to notice")

        await asyncio.to_thread(web.start)
        await mic.resume()
        await watcher.reconnect()
        await mic.send_until()
        stopped = await mic.stop()
        await wait_until_stored(lambda: finals_stored(meeting_id) <= set(watcher.segments), 30, "every final")
        return {
            "watcher": watcher, "mic": mic, "stopped": stopped, "sent_before_crash": sent_before_crash,
            "stored_before_restart": stored_before_restart,
        }
    finally:
        await mic.close()
        await watcher.close()
