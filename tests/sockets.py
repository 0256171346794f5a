"""Helpers to open Mina's sockets in tests through the real ASGI application."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from rest_framework_simplejwt.tokens import AccessToken

from mina.asgi import application


@database_sync_to_async
def session_cookie(user: Any) -> str:
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"


def access_token(user: Any) -> str:
    return str(AccessToken.for_user(user))


async def connect(
    path: str,
    *,
    user: Any = None,
    token: str | None = None,
    origin: str | None = "http://testserver",
) -> tuple[WebsocketCommunicator, bool, Any]:
    headers = []
    if user is not None:
        headers.append((b"cookie", (await session_cookie(user)).encode()))
    if origin is not None:
        headers.append((b"origin", origin.encode()))
    subprotocols = ["mina.v1", token] if token else None
    communicator = WebsocketCommunicator(application, path, headers=headers, subprotocols=subprotocols)
    connected, subprotocol = await communicator.connect(timeout=5)
    return communicator, connected, subprotocol


async def receive(communicator: WebsocketCommunicator, timeout: float = 5) -> dict[str, Any]:
    return json.loads(await communicator.receive_from(timeout=timeout))


async def receive_until(communicator: WebsocketCommunicator, kind: str, timeout: float = 30) -> dict[str, Any]:
    while True:
        event = await receive(communicator, timeout)
        if event["type"] == kind:
            return event


async def expect_refusal(communicator: WebsocketCommunicator, close_code: int, timeout: float = 5) -> dict[str, Any]:
    event = await receive(communicator, timeout)
    assert event["type"] == "error", event
    output = await communicator.receive_output(timeout)
    assert output == {"type": "websocket.close", "code": close_code}, output
    return event


async def abandon(communicator: WebsocketCommunicator) -> None:
    """The server stops waiting for the socket's app (its close timeout, a shutdown) and
    cancels it, maybe before its disconnect handler ran."""
    communicator.future.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await communicator.future


async def tasks_left(*names: str, wait: float = 2.0) -> list[str]:
    """Tasks of these coroutines (qualified names) still running after `wait` seconds."""
    deadline = asyncio.get_running_loop().time() + wait
    while True:
        left = [
            t.get_coro().__qualname__ for t in asyncio.all_tasks()
            if not t.done() and t.get_coro().__qualname__ in names
        ]
        if not left or asyncio.get_running_loop().time() > deadline:
            return left
        await asyncio.sleep(0.05)
