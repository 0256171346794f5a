"""One HTTP attempt at a delivery, bounded in time, to the address that was checked."""

from __future__ import annotations

import ssl
import time
from dataclasses import dataclass
from functools import cache

import httpx2

from .addresses import Refused, check


@dataclass(frozen=True)
class Outcome:
    ok: bool
    status_code: int | None
    duration_ms: int
    error: str


@cache
def _tls() -> ssl.SSLContext:
    """One TLS context for every attempt: building one (loading the CA bundle) costs
    ~60 ms here, most of an attempt's cost and a cap on the queue's throughput
    (docs/performance.md, Webhooks)."""
    return httpx2.create_ssl_context(trust_env=False)  # as the client: no SSL_CERT_FILE from the environment


def post(url: str, *, body: bytes, headers: dict[str, str], timeout_s: float, allow_private: bool) -> Outcome:
    started = time.monotonic()
    try:
        target = check(url, allow_private=allow_private)
    except Refused as refused:
        return Outcome(False, None, 0, refused.message)
    netloc = target.parts.netloc
    # No proxies from the environment and no redirects: either could send the request
    # somewhere that was not checked. The body of the answer is never read.
    timeout = httpx2.Timeout(timeout_s, connect=timeout_s)
    try:
        with (
            httpx2.Client(timeout=timeout, verify=_tls(), trust_env=False, follow_redirects=False) as client,
            client.stream(
                "POST",
                target.pinned_url,
                content=body,
                headers={**headers, "Host": netloc},
                extensions={"sni_hostname": target.parts.hostname},
            ) as response,
        ):
            code = response.status_code
    except httpx2.TimeoutException:
        return Outcome(False, None, _ms(started), f"No answer within {timeout_s:g} s.")
    except httpx2.HTTPError as exc:
        return Outcome(False, None, _ms(started), f"Could not connect: {type(exc).__name__}: {exc}"[:500])
    ok = 200 <= code < 300
    return Outcome(ok, code, _ms(started), "" if ok else f"The receiver answered HTTP {code}.")


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
