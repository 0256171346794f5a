"""DRF glue: every API error in one shape, {"error": {"code", "message", "fields"}}."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import MinaError

_CODES = {
    status.HTTP_400_BAD_REQUEST: "validation_error",
    status.HTTP_401_UNAUTHORIZED: "not_authenticated",
    status.HTTP_403_FORBIDDEN: "forbidden",
    status.HTTP_404_NOT_FOUND: "not_found",
    status.HTTP_405_METHOD_NOT_ALLOWED: "method_not_allowed",
    status.HTTP_409_CONFLICT: "conflict",
    status.HTTP_413_REQUEST_ENTITY_TOO_LARGE: "too_large",
    status.HTTP_415_UNSUPPORTED_MEDIA_TYPE: "unsupported_media_type",
    status.HTTP_429_TOO_MANY_REQUESTS: "throttled",
}


def error_body(code: str, message: str, fields: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def _first_message(detail: Any) -> str:
    if isinstance(detail, dict):
        detail = next(iter(detail.values()), "")
    if isinstance(detail, list):
        detail = detail[0] if detail else ""
    if isinstance(detail, dict):
        return _first_message(detail)
    return str(detail)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, MinaError):
        response = Response(error_body(exc.code, exc.message, exc.fields), status=exc.status)
        retry_after = getattr(exc, "retry_after", None)
        if retry_after:
            response["Retry-After"] = str(retry_after)
        return response
    if isinstance(exc, Http404):
        exc = exceptions.NotFound("Not found.")
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    drf_response = drf_exception_handler(exc, context)
    if drf_response is None or not isinstance(exc, exceptions.APIException):
        return drf_response
    response = drf_response
    code = _CODES.get(response.status_code, "error")
    fields: dict[str, Any] = {}
    if isinstance(exc, exceptions.ValidationError):
        fields = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        message = "Some fields are not valid."
    else:
        message = _first_message(exc.detail)
        detail_code = exc.get_codes()
        if isinstance(detail_code, dict):  # simplejwt's errors: {"detail": ..., "code": ...}
            detail_code = detail_code.get("code")
        if isinstance(detail_code, str) and detail_code in {"token_expired", "token_not_valid"}:
            code = detail_code
    wait = getattr(exc, "wait", None)
    if isinstance(exc, exceptions.Throttled) and wait is not None:
        message = f"Too many requests. Try again in {int(wait) + 1} seconds."
    response.data = error_body(code, message, fields)
    return response
