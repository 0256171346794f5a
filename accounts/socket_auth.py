"""Who is on the other end of a socket.

Browsers authenticate with the session cookie, and then the Origin must be one of
ALLOWED_HOSTS (a page elsewhere cannot ride the cookie); a browser always sends one, so a
cookie without it is not a browser's and is refused too. Native clients send a JWT as
the subprotocols ["mina.v1", "<access token>"] (or as `token` in their first message,
handled by the consumer) and may send no Origin. Tokens never travel in the URL.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any
from urllib.parse import urlsplit

from channels.auth import AuthMiddleware
from channels.db import database_sync_to_async
from channels.sessions import CookieMiddleware, SessionMiddleware
from django.conf import settings
from django.contrib.auth import HASH_SESSION_KEY, get_user_model
from django.contrib.auth.models import AnonymousUser
from django.http.request import validate_host
from rest_framework import exceptions

from core.sockets import SUBPROTOCOL, MinaConsumer

from .authentication import JWTAuthentication, validate_access_token


def origin_allowed(scope: dict[str, Any]) -> bool | None:
    """True/False for the Origin header; None when the client sent none."""
    for name, value in scope.get("headers", []):
        if name == b"origin":
            host = urlsplit(value.decode("latin1")).hostname or ""
            return validate_host(host, settings.ALLOWED_HOSTS)
    return None


def origin_error(scope: dict[str, Any]) -> str | None:
    """Why a cookie socket may not go on (its user is already resolved), or None."""
    allowed = origin_allowed(scope)
    if allowed is False:
        return "origin_not_allowed"
    if allowed is None and scope["user"].is_authenticated:
        return "origin_missing"
    return None


def token_from_subprotocols(scope: dict[str, Any]) -> str | None:
    protocols = scope.get("subprotocols") or []
    if len(protocols) >= 2 and protocols[0] == SUBPROTOCOL:
        return str(protocols[1])
    return None


@database_sync_to_async
def user_for_token(raw: str) -> tuple[Any, str | None]:
    """(user, None) for a good token; (AnonymousUser, error code) otherwise."""
    try:
        token = validate_access_token(raw)
        user = JWTAuthentication().get_user(token)
    except exceptions.AuthenticationFailed as exc:
        code = exc.get_codes()
        return AnonymousUser(), code if isinstance(code, str) else "token_not_valid"
    return user, None


class TokenAuthMiddleware:
    """Authenticate by JWT subprotocol first, else by session cookie with Origin check."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        scope = dict(scope)
        raw = token_from_subprotocols(scope)
        if raw is not None:
            user, error = await user_for_token(raw)
            scope.update(user=user, auth_error=error, auth_method="jwt")
            return await self.inner(scope, receive, send)
        return await self._session_stack(scope, receive, send)

    async def _session_stack(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        async def checked(scope: dict[str, Any], receive: Any, send: Any) -> Any:
            scope["auth_method"] = "session"
            scope["auth_error"] = origin_error(scope)
            if scope["auth_error"]:
                scope["user"] = AnonymousUser()
            return await self.inner(scope, receive, send)

        stack = CookieMiddleware(SessionMiddleware(AuthMiddleware(checked)))
        return await stack(scope, receive, send)


class SignedInConsumer(MinaConsumer):
    """A socket of a signed-in user: tokens in the first message, and the account and
    session checked again at every re-check (signing out, a password change or a
    deactivated account ends the socket)."""

    async def user_for_token(self, token: str) -> tuple[Any, str | None]:
        return await user_for_token(token)

    async def still_signed_in(self, session_key: str | None) -> bool:
        return await _still_signed_in(self.user.pk, session_key)


@database_sync_to_async
def _still_signed_in(user_id: Any, session_key: str | None) -> bool:
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return False
    if session_key is None:  # a JWT: valid until it expires; the account must stay active
        return True
    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key=session_key)
    if not store.exists(session_key):
        return False
    stored = store.load().get(HASH_SESSION_KEY)
    return stored is None or stored == user.get_session_auth_hash()
