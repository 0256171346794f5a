"""The one rate limit: a fixed-window counter in the cache.

The cache is local memory embedded and Redis when scaled, so limits hold across
processes. Pages, the API (through `RateThrottle`) and sockets all call `check`.
"""

from __future__ import annotations

import hashlib
import logging
import time
from typing import Any

from django.conf import settings
from django.core.cache import cache
from rest_framework.throttling import BaseThrottle

from .errors import Throttled

logger = logging.getLogger(__name__)


def _parse(rate: str) -> tuple[int, int]:
    """'10/min' -> (10, 60)."""
    count, _, period = rate.partition("/")
    seconds = {"s": 1, "sec": 1, "min": 60, "m": 60, "h": 3600, "hour": 3600, "day": 86400, "d": 86400}
    return int(count), seconds[period]


def hit(key: str, rate: str) -> tuple[bool, int]:
    """Count one hit; (allowed, seconds until the window resets).

    Fails open: with the cache (Redis) down, pages, the API and sockets keep serving
    without limits rather than all failing; /health/detailed reports the cache down.
    """
    limit, window = _parse(rate)
    now = int(time.time())
    bucket = now // window
    cache_key = f"mina:rl:{key}:{bucket}"
    try:
        count = _count(cache_key, window)
    except Exception as exc:
        logger.warning("rate limit not checked, cache unavailable (%s)", type(exc).__name__)
        return True, window - now % window
    return count <= limit, window - now % window


def _count(cache_key: str, window: int) -> int:
    cache.add(cache_key, 0, timeout=window + 1)
    try:
        return int(cache.incr(cache_key))
    except ValueError:  # expired between add and incr
        cache.set(cache_key, 1, timeout=window + 1)
        return 1


def check(key: str, rate: str) -> None:
    """Raise Throttled (429 / 4429) when `key` went over `rate`."""
    allowed, retry_after = hit(key, rate)
    if not allowed:
        raise Throttled(f"Too many requests. Try again in {retry_after} seconds.", retry_after=retry_after)


def limit_attempts(scope: str, request: Any, *, account: str = "") -> None:
    """Attempts at something sensitive (signing in, resetting a password), counted per
    address and per account it tries: the page and the API share one budget."""
    rate = rate_for(scope)
    check(f"{scope}:address:{client_address(request)}", rate)
    if account:
        # Hashed: whatever a client sends stays a short, safe cache key.
        check(f"{scope}:account:{hashlib.sha256(account.strip().lower().encode()).hexdigest()[:32]}", rate)


def rate_for(scope: str) -> str:
    return str(settings.MINA_RATE_LIMITS[scope])


def client_address(request: Any) -> str:
    """REMOTE_ADDR only. X-Forwarded-For is whatever the client says; behind a proxy the
    server sets REMOTE_ADDR from it (MINA_PROXY_HEADERS, Daphne's --proxy-headers), and
    only there."""
    return str(request.META.get("REMOTE_ADDR") or "")


class RateThrottle(BaseThrottle):
    """DRF face of the same counter: per user when signed in, else per address."""

    scope = "api_user"
    anon_scope = "api_anon"

    def allow_request(self, request: Any, view: Any) -> bool:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            key, scope = f"{self.scope}:{user.pk}", self.scope
        else:
            key, scope = f"{self.anon_scope}:{self.get_ident(request)}", self.anon_scope
        allowed, self._wait = hit(key, rate_for(scope))
        return allowed

    def get_ident(self, request: Any) -> str:
        # DRF's own reads X-Forwarded-For when present: a forged header per request
        # would dodge every per-address limit.
        return client_address(request)

    def wait(self) -> float | None:
        return float(getattr(self, "_wait", 1))
