"""Sending to a channel-layer group from anywhere: a request, a consumer, a helper
thread, the embedded job thread or a Celery worker.

With the in-memory layer an event produced on another thread must be handed to the
server's event loop (`run_coroutine_threadsafe`), or it waits for that loop's next
wake-up (up to a second under Daphne). A send never fails its caller: a socket that
misses an event resyncs from the database.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer

logger = logging.getLogger(__name__)

_server_loop: asyncio.AbstractEventLoop | None = None
_loop_lock = threading.Lock()


def remember_loop() -> None:
    """Called from async code on the server's loop (each socket connect)."""
    global _server_loop
    with _loop_lock:
        _server_loop = asyncio.get_running_loop()


async def agroup_send(group: str, message: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        await layer.group_send(group, message)
    except Exception as exc:  # Redis down: watchers resync from the database
        logger.warning("event not sent group=%s (%s)", group, type(exc).__name__)


def group_send(group: str, message: dict[str, Any]) -> None:
    """Send from synchronous code on any thread."""
    layer = get_channel_layer()
    if layer is None:
        return
    loop = _server_loop
    if isinstance(layer, InMemoryChannelLayer) and loop is not None and not loop.is_closed():
        future = asyncio.run_coroutine_threadsafe(agroup_send(group, message), loop)
        future.add_done_callback(_log_failure)
        return
    try:
        async_to_sync(agroup_send)(group, message)
    except Exception:
        logger.exception("event not sent group=%s", group)


def _log_failure(future: Any) -> None:
    if future.exception() is not None:
        logger.error("event not sent: %r", future.exception())
