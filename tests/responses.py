"""What a test client's response carries, streamed or not."""

from __future__ import annotations

from typing import Any

from asgiref.sync import async_to_sync


async def _collect(chunks: Any) -> bytes:
    return b"".join([chunk async for chunk in chunks])


def content_of(response: Any) -> bytes:
    """The whole body: plain, streamed, or streamed from an async iterator (recordings are)."""
    if not response.streaming:
        return bytes(response.content)
    if response.is_async:
        return bytes(async_to_sync(_collect)(response.streaming_content))
    return b"".join(response.streaming_content)
