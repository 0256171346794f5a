"""Socket clients that behave as Mina's clients must when the server or Redis fails.

`Watcher` remembers every segment it has seen (from snapshots and events) and reconnects
with `after=<last seen id>`. `Microphone` keeps the audio it sent and, reconnecting with
its `stream_id`, resends from the server's `received_ms`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable
from typing import Any

import websockets

from tests.streaming import FRAME_BYTES

BYTES_PER_MS = 32


async def wait_until(condition: Callable[[], object], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        await asyncio.sleep(0.05)


async def _connect(url: str, token: str) -> Any:
    return await asyncio.wait_for(websockets.connect(url, subprotocols=["mina.v1", token]), 10)


class Watcher:
    def __init__(self, address: str, meeting_id: int, token: str) -> None:
        self.address, self.meeting_id, self.token = address, meeting_id, token
        self.events: list[dict[str, Any]] = []
        self.segments: dict[int, dict[str, Any]] = {}
        self.closes: list[int | None] = []
        self.ws: Any = None
        self._reader: asyncio.Task[None] | None = None

    @property
    def last_id(self) -> int:
        return max(self.segments, default=0)

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e["type"] == kind]

    async def connect(self) -> None:
        url = f"ws://{self.address}/ws/meetings/{self.meeting_id}/?after={self.last_id}"
        snapshots = len(self.of_type("snapshot"))
        self.ws = await _connect(url, self.token)
        self._reader = asyncio.ensure_future(self._read(self.ws))
        await wait_until(lambda: len(self.of_type("snapshot")) > snapshots, 10, "the snapshot on connect")

    async def _read(self, ws: Any) -> None:
        try:
            async for text in ws:
                event = json.loads(text)
                self.events.append(event)
                if event["type"] == "snapshot":
                    self.segments.update((s["id"], s) for s in event["segments"])
                elif event["type"] in ("transcript.final", "transcript.refined"):
                    self.segments[event["id"]] = event
        except websockets.ConnectionClosed:
            pass
        self.closes.append(ws.close_code)

    @property
    def open(self) -> bool:
        return self._reader is not None and not self._reader.done()

    async def reconnect(self, timeout: float = 30) -> None:
        """Retry until the server is back, as a client's backoff loop would."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                await self.connect()
                return
            except (OSError, websockets.InvalidHandshake, AssertionError):
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.2)

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        if self._reader is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._reader, 5)


class Microphone:
    def __init__(self, address: str, meeting_id: int, token: str, pcm: bytes) -> None:
        self.address, self.meeting_id, self.token, self.pcm = address, meeting_id, token, pcm
        self.stream_id: str | None = None
        self.position = 0  # bytes of `pcm` sent on the current connection
        self.resumed_at: list[int] = []  # received_ms the server gave at each (re)start
        self.ws: Any = None

    async def start(self) -> None:
        self.ws = await _connect(f"ws://{self.address}/ws/meetings/{self.meeting_id}/audio/", self.token)
        start = {"type": "start", "sample_rate": 16000, "format": "pcm_s16le"}
        if self.stream_id:
            start["stream_id"] = self.stream_id
        await self.ws.send(json.dumps(start))
        ready = await self._next("ready")
        self.stream_id = ready["stream_id"]
        self.resumed_at.append(ready["received_ms"])
        self.position = ready["received_ms"] * BYTES_PER_MS  # resend whatever the server lacks

    async def send_until(self, ms: int | None = None, pace_s: float = 0.0) -> None:
        """Send audio up to `ms` into the recording (all of it if None), in 100 ms frames."""
        end = len(self.pcm) if ms is None else min(len(self.pcm), ms * BYTES_PER_MS)
        while self.position < end:
            frame = self.pcm[self.position : min(end, self.position + FRAME_BYTES)]
            await self.ws.send(frame)
            self.position += len(frame)
            await asyncio.sleep(pace_s)

    async def send_until_cut_off(self, pace_s: float = 0.01) -> None:
        """Keep streaming until the server goes away (the test kills it meanwhile)."""
        try:
            await self.send_until(None, pace_s)
        except websockets.ConnectionClosed:
            return
        raise AssertionError("the whole recording was sent before the server went away")

    async def resume(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                await self.start()
                return
            except (OSError, websockets.InvalidHandshake, websockets.ConnectionClosed):
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.2)

    async def stop(self, timeout: float = 60) -> dict[str, Any]:
        await self.ws.send(json.dumps({"type": "stop"}))
        return await self._next("stopped", timeout)

    async def _next(self, kind: str, timeout: float = 15) -> dict[str, Any]:
        while True:
            event = json.loads(await asyncio.wait_for(self.ws.recv(), timeout))
            if event["type"] == kind:
                return event
            assert event["type"] != "error", event

    async def close(self) -> None:
        if self.ws is not None:
            with contextlib.suppress(Exception):
                await self.ws.close()


def http(address: str, path: str, *, token: str | None = None, method: str = "GET",
         body: bytes | None = None, content_type: str | None = None, timeout: float = 30,
         headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    """A plain HTTP request; (status, body) whatever the status."""
    import urllib.error
    import urllib.request

    request = urllib.request.Request(f"http://{address}{path}", data=body, method=method)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    if content_type:
        request.add_header("Content-Type", content_type)
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (loopback only)
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def multipart(field: str, filename: str, data: bytes) -> tuple[bytes, str]:
    boundary = "mina-fault-boundary"
    body = (
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{filename}\"\r\n"
        f"Content-Type: application/octet-stream\r\n\r\n"
    ).encode() + data + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"
