"""The receiving side of meeting events: one group membership per server process.

If every meeting socket joined the meeting's group with its own channel, channels_redis
would push one copy of each event per watcher through Redis, and each socket's task would
wake, decode and serialise it again: about 1 ms of CPU per watcher per event, so one final
to 500 watchers of a process took half a second (benchmarks/fanout.py). Here each process
joins a meeting's group once, with a channel of its own, while it has watchers of that
meeting; each event is read once, serialised once, and the same text is written to every
local socket of the meeting.

`events.py` is the sending side; what a socket does with an event is `Watcher.deliver`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import weakref
from typing import Any, Protocol

from channels.layers import get_channel_layer

from .events import group_name

logger = logging.getLogger(__name__)


class Watcher(Protocol):
    async def deliver(self, event: dict[str, Any], text: str) -> None: ...


class Hub:
    def __init__(self) -> None:
        self.layer: Any = None
        self.channel: str | None = None
        self.watchers: dict[int, set[Watcher]] = {}
        self.reader: asyncio.Task[None] | None = None

    async def join(self, meeting_id: int, watcher: Watcher) -> None:
        """Also renews the process's membership before the group expiry; may raise while
        Redis is down (the watcher is registered all the same and resyncs later)."""
        self.watchers.setdefault(meeting_id, set()).add(watcher)
        await self._group_add(meeting_id)

    async def leave(self, meeting_id: int, watcher: Watcher) -> None:
        if not self._drop(meeting_id, watcher) or self.channel is None:
            return
        try:
            await self.layer.group_discard(group_name(meeting_id), self.channel)
        finally:
            if not self.watchers:
                self._stop_reading()
        if meeting_id in self.watchers:  # someone joined while we were leaving
            await self._group_add(meeting_id)

    def forget(self, meeting_id: int, watcher: Watcher) -> None:
        """`leave` for a socket cancelled before it could: waits for nothing (the process's
        group membership lapses by its expiry), and leaves no read pending once no watcher
        is left."""
        if self._drop(meeting_id, watcher) and not self.watchers:
            self._stop_reading()

    def _drop(self, meeting_id: int, watcher: Watcher) -> bool:
        """Whether that was the meeting's last watcher in this process."""
        members = self.watchers.get(meeting_id)
        if members is None:
            return False
        members.discard(watcher)
        if members:
            return False
        del self.watchers[meeting_id]
        return True

    def _stop_reading(self) -> None:
        """No watcher left in this process: no read left pending on the layer either (the
        next watcher starts a new one)."""
        if self.reader is not None:
            self.reader.cancel()
        self.layer = self.channel = self.reader = None

    async def _group_add(self, meeting_id: int) -> None:
        layer = get_channel_layer()
        if layer is None:
            return
        if layer is not self.layer:  # the first watcher (or tests swapped the layer)
            self._stop_reading()
            # The default prefix: channels_redis reads one key per prefix under one lock,
            # so a channel of another prefix waits up to 5 s behind the sockets' reads.
            self.layer, self.channel = layer, await layer.new_channel()
            self.reader = asyncio.ensure_future(self._read(layer, self.channel))
        await layer.group_add(group_name(meeting_id), self.channel)

    async def _read(self, layer: Any, channel: str) -> None:
        # Until the hub lets this reader go: a cancel that reached it as a return (or an
        # error) instead of CancelledError must not leave a reader looping for ever.
        while self.reader is asyncio.current_task():
            try:
                message = await layer.receive(channel)
            except Exception:  # core.layers waits out Redis itself; anything else: try again
                logger.exception("meeting events not readable; retrying")
                await asyncio.sleep(1.0)
                continue
            try:
                if message.get("type") == "layer.recovered":  # Redis forgot our groups
                    for meeting_id in list(self.watchers):
                        await self._group_add(meeting_id)
                else:
                    await self._fan_out(message["event"])
            except Exception:  # one bad event must not stop the ones after it
                logger.exception("meeting event not handled type=%s", message.get("type"))

    async def _fan_out(self, event: dict[str, Any]) -> None:
        members = self.watchers.get(event.get("meeting", 0))
        if not members:
            return
        text = json.dumps(event, separators=(",", ":"))
        for watcher in list(members):
            try:
                await watcher.deliver(event, text)
            except Exception:  # a socket closing under us; the others still get it
                logger.warning("event not delivered to a socket meeting=%s", event.get("meeting"), exc_info=True)


# One hub per event loop: a server has one; tests run a loop per test.
_hubs: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Hub] = weakref.WeakKeyDictionary()


def hub() -> Hub:
    loop = asyncio.get_running_loop()
    found = _hubs.get(loop)
    if found is None:
        found = _hubs[loop] = Hub()
    return found
