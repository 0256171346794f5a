"""The signature on every delivery: HMAC-SHA256 over `timestamp + "." + body` with the
endpoint's secret, sent as `X-Mina-Signature: v1=<hex>` beside `X-Mina-Timestamp`.

Signing the timestamp lets a receiver refuse old requests replayed at it
(docs/api.md shows the check).
"""

from __future__ import annotations

import hashlib
import hmac


def signature(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"v1={digest}"


def headers(*, secret: str, timestamp: int, body: bytes, event: str, event_id: str) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": "Mina-Webhooks/1",
        "X-Mina-Event": event,
        "X-Mina-Delivery": event_id,
        "X-Mina-Timestamp": str(timestamp),
        "X-Mina-Signature": signature(secret, timestamp, body),
    }


def verify(secret: str, timestamp: str, body: bytes, header: str) -> bool:
    """What a receiver does (the tests' receiver uses it; docs/api.md has a copy)."""
    expected = signature(secret, int(timestamp), body)
    return any(hmac.compare_digest(expected, part.strip()) for part in header.split(","))
