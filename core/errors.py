"""The one error type for business rules.

Services raise these; DRF, the pages and the sockets each turn them into a response
once (HTTP status, or socket close code 4000 + status).
"""

from __future__ import annotations

from typing import Any


class MinaError(Exception):
    status = 400
    code = "validation_error"

    def __init__(
        self, message: str, *, code: str | None = None, fields: dict[str, list[str]] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.fields = fields or {}

    @property
    def close_code(self) -> int:
        return 4000 + self.status


class Invalid(MinaError):
    status = 400
    code = "validation_error"


class NotAuthenticated(MinaError):
    status = 401
    code = "not_authenticated"


class Forbidden(MinaError):
    status = 403
    code = "forbidden"


class NotFound(MinaError):
    status = 404
    code = "not_found"


class Conflict(MinaError):
    status = 409
    code = "conflict"


class TooLarge(MinaError):
    status = 413
    code = "too_large"


class Throttled(MinaError):
    status = 429
    code = "throttled"

    def __init__(self, message: str, *, retry_after: int | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after  # seconds, sent as the Retry-After header
