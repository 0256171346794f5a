"""The base of every socket: who is there, whether they may stay, the error-then-close
pattern.

A socket is always accepted first, then refused with an `error` event carrying a code
and a readable message, then closed with 4000 + the HTTP status (closing before accept
would give the client a bare HTTP 403 and no reason). Who the user is comes from the
scope (set by the auth middleware) or a token in the first message; whether they may
stay is asked of the consumer, every MINA_SOCKET_RECHECK_S (`still_signed_in`,
`check_access`): the apps above answer, this module knows none of them.
"""

from __future__ import annotations

import asyncio
import collections
import json
import logging
from typing import Any

from asgiref.sync import sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from prometheus_client import Gauge

from . import metrics, ratelimit
from .errors import Forbidden, Invalid, MinaError, NotAuthenticated, Throttled
from .events import remember_loop

# Native clients offer ["mina.v1", "<access token>"]; the server selects the first.
SUBPROTOCOL = "mina.v1"

logger = logging.getLogger(__name__)

_open_sockets: collections.Counter[Any] = collections.Counter()

# Refusals of the authentication middleware, by code: a bad token is "sign in again"
# (4401); a cookie from the wrong page, or from no page at all, is forbidden (4403).
_AUTH_ERRORS: dict[str, tuple[type[MinaError], str]] = {
    "token_expired": (NotAuthenticated, "The access token has expired. Refresh it and connect again."),
    "token_not_valid": (NotAuthenticated, "The token is not valid. Sign in again."),
    "origin_not_allowed": (Forbidden, "This page's origin is not allowed to open Mina sockets."),
    "origin_missing": (Forbidden, "A socket signed in by cookie must come from a Mina page (with an Origin); "
                                  "apps sign in with a token."),
}


def _auth_error(code: str) -> MinaError:
    kind, message = _AUTH_ERRORS.get(code, (NotAuthenticated, "Sign in again."))
    return kind(message, code=code)


class MinaConsumer(AsyncWebsocketConsumer):
    socket_name = "socket"  # its label in /metrics
    _metered: Gauge | None = None  # counted in /metrics' open sockets until it disconnects
    meeting_id: int | None = None
    user: Any = None
    closed = False

    async def connect(self) -> None:
        remember_loop()
        offered = self.scope.get("subprotocols") or []
        await self.accept(SUBPROTOCOL if SUBPROTOCOL in offered else None)
        self._metered = metrics.SOCKETS_OPEN.labels(socket=self.socket_name)
        self._metered.inc()
        self.meeting_id = int(self.scope["url_route"]["kwargs"]["meeting_id"])
        user = self.scope.get("user")
        error = self.scope.get("auth_error")
        if error:
            await self.fail(_auth_error(error))
            return
        if user is not None and user.is_authenticated:
            await self._authenticated(user)
            return
        # No cookie and no subprotocol token: the first message may carry the token.
        self._auth_timer = asyncio.get_running_loop().call_later(
            settings.MINA_START_TIMEOUT_S, lambda: asyncio.ensure_future(self._auth_timeout())
        )

    async def _auth_timeout(self) -> None:
        if self.user is None and not self.closed:
            await self.fail(NotAuthenticated("Sign in first.", code="not_authenticated"))

    async def _authenticated(self, user: Any) -> None:
        self.user = user
        try:
            await sync_to_async(ratelimit.check)(
                f"socket_connect:{user.pk}", ratelimit.rate_for("socket_connect")
            )
            self._count_open(user.pk)
            await self.on_authenticated()
        except MinaError as exc:
            await self.fail(exc)
            return
        self._recheck = asyncio.ensure_future(self._recheck_access())

    async def _recheck_access(self) -> None:
        """Signing out, a password change or a deactivated account ends the socket; so do
        leaving the workspace (4404), a role now too low (4403) and a deleted meeting."""
        session = self.scope.get("session")
        session_key = getattr(session, "session_key", None)
        while not self.closed:
            await asyncio.sleep(settings.MINA_SOCKET_RECHECK_S)
            if self.closed:
                return
            try:
                allowed = await self.still_signed_in(session_key)
                if allowed:
                    await self.check_access()
                    await self.on_recheck()
            except MinaError as exc:
                await self.fail(exc)
                return
            except Exception as exc:  # the database or Redis is down: try again next time
                logger.warning("socket re-check failed path=%s (%s)", self.scope.get("path"), type(exc).__name__)
                continue
            if not allowed:
                await self.fail(NotAuthenticated("Your session has ended. Sign in again.", code="session_ended"))
                return

    def _count_open(self, user_id: Any) -> None:
        """A cap on open sockets per user (per server process)."""
        if _open_sockets[user_id] >= settings.MINA_MAX_SOCKETS_PER_USER:
            raise Throttled("Too many open connections; close another tab or device first.", code="too_many_sockets")
        _open_sockets[user_id] += 1
        self._counted = user_id

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.closed:
            return
        try:
            if text_data is not None:
                await sync_to_async(ratelimit.check)(
                    f"socket_messages:{self.channel_name}", ratelimit.rate_for("socket_messages")
                )
            if self.user is None:
                await self._receive_token(text_data)
            elif text_data is not None:
                await self.on_message(parse_message(text_data))
            elif bytes_data is not None:
                await self.on_bytes(bytes_data)
        except MinaError as exc:
            await self.fail(exc, close=exc.status != 400 or self.close_on_bad_input(exc))

    async def _receive_token(self, text_data: str | None) -> None:
        message = parse_message(text_data or "")
        token = message.get("token")
        if not isinstance(token, str):
            raise NotAuthenticated("Sign in first: send a token in the first message.")
        self._auth_timer.cancel()
        user, error = await self.user_for_token(token)
        if error:
            raise _auth_error(error)
        await self._authenticated(user)
        if message.get("type") not in (None, "auth"):
            await self.on_message(message)

    async def fail(self, exc: MinaError, *, close: bool = True) -> None:
        logger.info(
            "socket refused path=%s user=%s code=%s status=%s",
            self.scope.get("path"), getattr(self.user, "pk", None), exc.code, exc.status,
        )
        await self.send_json({"type": "error", "meeting": self.meeting_id, "code": exc.code, "message": exc.message})
        if close:
            self.closed = True
            await self.close(code=exc.close_code)

    def close_on_bad_input(self, exc: MinaError) -> bool:
        """Whether a 400 closes the socket; subclasses keep it open for mere mistakes."""
        return True

    async def send_json(self, content: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(content, separators=(",", ":")))

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            # A server that stops waiting for the app (its close timeout, a shutdown)
            # cancels it, and `disconnect` may never have run: without this, its tasks
            # would run on and its place in the user's open sockets stay taken.
            self.release()

    async def disconnect(self, code: int) -> None:
        self.release()

    def release(self) -> None:
        """Let go of what the socket holds; nothing here waits, so it also runs while the
        app is being cancelled. Twice is harmless. Subclasses add theirs."""
        self.closed = True
        if self._metered is not None:
            self._metered.dec()
            self._metered = None
        counted = getattr(self, "_counted", None)
        if counted is not None:
            _open_sockets[counted] -= 1
            self._counted = None
        for pending in (getattr(self, "_auth_timer", None), getattr(self, "_recheck", None)):
            if pending is not None:
                pending.cancel()

    async def layer_recovered(self, message: dict[str, Any]) -> None:
        """The channel layer is back after a Redis outage (core/layers.py)."""
        if self.user is not None and not self.closed:
            await self.on_layer_recovered()

    # Subclasses fill these in.
    async def user_for_token(self, token: str) -> tuple[Any, str | None]:
        """(user, None) for a good access token, else (anonymous, an error code)."""
        raise NotImplementedError

    async def still_signed_in(self, session_key: str | None) -> bool:
        """Whether the account is active and, for a cookie socket, its session still valid."""
        raise NotImplementedError

    async def check_access(self) -> None:
        """Raise NotFound or Forbidden once the user may no longer be here."""
        raise NotImplementedError

    async def on_authenticated(self) -> None:
        raise NotImplementedError

    async def on_recheck(self) -> None:
        """Every MINA_SOCKET_RECHECK_S while the user stays allowed."""

    async def on_layer_recovered(self) -> None:
        """Group memberships and messages were lost with Redis: rejoin and resync."""

    async def on_message(self, message: dict[str, Any]) -> None:
        raise Invalid(f"Unknown message type {message.get('type')!r}.", code="unknown_type")

    async def on_bytes(self, data: bytes) -> None:
        raise Invalid("This socket takes no binary frames.", code="unexpected_binary")


def parse_message(text: str) -> dict[str, Any]:
    try:
        message = json.loads(text)
    except ValueError:
        raise Invalid("Messages must be JSON objects.", code="malformed_json") from None
    if not isinstance(message, dict):
        raise Invalid("Messages must be JSON objects.", code="malformed_json")
    return message
