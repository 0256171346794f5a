"""channels_redis, made to ride out a Redis outage instead of killing every socket.

Stock channels_redis raises from `receive` when Redis goes away, and Channels then ends
the consumer: every open socket of the process dies, audio sockets included, though they
need Redis only to publish events. Here `receive` waits for Redis instead and, once it
answers again, hands the consumer one `layer.recovered` message: its group memberships
and the messages sent meanwhile were lost with Redis, so the consumer joins its group
again and resyncs (see MeetingConsumer).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from channels_redis.core import RedisChannelLayer as StockRedisChannelLayer
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

RECOVERED = {"type": "layer.recovered"}
# What a lost, refused or hung Redis connection raises (TimeoutError is an OSError).
OUTAGE = (RedisError, OSError)


class RedisChannelLayer(StockRedisChannelLayer):
    retry_min_s = 0.2
    retry_max_s = 2.0

    async def receive(self, channel: str) -> dict[str, Any]:
        # The read runs as a task of its own, so a cancel always ends the caller at once.
        # A cancel can get lost below us (redis-py ends a cancelled read with an error or
        # an empty answer, and channels_redis reads again), and a socket closing then
        # waited on its read for ever: about 1 scaled reconnect test in 15 hung so. The
        # read is asked to stop again until it does.
        reading = asyncio.ensure_future(self._receive(channel))
        try:
            return await asyncio.shield(reading)
        except asyncio.CancelledError:
            _cancel_until_done(reading)
            raise

    async def _receive(self, channel: str) -> dict[str, Any]:
        try:
            return await super().receive(channel)  # type: ignore[no-any-return]
        except asyncio.CancelledError:
            # A socket closed while its receive held the read lock: stock channels_redis
            # leaves the channel's (empty) buffer behind, ~1.5 KB per closed socket.
            buffer = self.receive_buffer.get(channel)
            if buffer is not None and buffer.empty():
                del self.receive_buffer[channel]
            raise
        except OUTAGE as exc:
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                # A read cancelled mid-command can surface as redis-py's ConnectionError:
                # the cancel was asked for, so it is one, not an outage to wait out.
                raise asyncio.CancelledError from exc
            logger.warning("channel layer unreachable (%s); waiting for Redis", type(exc).__name__)
        await self._wait_for_redis(channel)
        logger.info("channel layer reachable again")
        return dict(RECOVERED)

    async def _wait_for_redis(self, channel: str) -> None:
        delay = self.retry_min_s
        index = self.consistent_hash(self.non_local_name(channel))
        while True:
            await asyncio.sleep(delay)
            try:
                await self.connection(index).ping()
                return
            except OUTAGE:
                delay = min(self.retry_max_s, delay * 2)


def _cancel_until_done(task: asyncio.Future[Any], every_s: float = 1.0) -> None:
    if task.done():
        if not task.cancelled():
            task.exception()  # retrieved: nobody awaits it any more
        return
    task.cancel()
    asyncio.get_running_loop().call_later(every_s, _cancel_until_done, task, every_s)
