"""The OpenAPI schema: every operation documents its error bodies too.

Errors all share one shape (core/api.py); the statuses an operation can answer with
follow from its method and path, plus what a view lists in `error_statuses`.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "Every 4xx answer has this shape.",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {
                    "type": "string",
                    "description": (
                        "Stable, for clients to switch on: validation_error, not_authenticated, "
                        "token_expired, token_not_valid, forbidden, not_found, conflict, too_large, "
                        "throttled, and specific ones such as not_live, not_audio, corrupt, too_short."
                    ),
                },
                "message": {"type": "string", "description": "For people; may change."},
                "fields": {
                    "type": "object",
                    "additionalProperties": {},
                    "description": "Per-field messages for validation errors; empty otherwise.",
                },
            },
            "required": ["code", "message", "fields"],
        }
    },
    "required": ["error"],
}

DESCRIPTIONS = {
    400: "Bad input (`validation_error` with `fields`, or a specific code).",
    401: "Not signed in (`not_authenticated`, `token_expired`, `token_not_valid`).",
    403: "The role in this workspace is too low (`forbidden`).",
    404: "Not found, or in a workspace you are not a member of (`not_found`).",
    409: "Conflicts with the current state (`conflict`).",
    413: "The upload is too large (`too_large`).",
    415: "Send the body as multipart/form-data (`unsupported_media_type`).",
    429: "Too many requests (`throttled`).",
}


class MinaAutoSchema(AutoSchema):
    def _get_request_for_media_type(self, serializer: Any, direction: Any = "request") -> Any:
        # drf-spectacular documents every PATCH body as partial; a serializer marked
        # `required_on_patch` (one field to change, and it must be there) keeps its required fields.
        if self.method != "PATCH" or not getattr(serializer, "required_on_patch", False):
            return super()._get_request_for_media_type(serializer, direction)
        self.method = "PUT"
        try:
            return super()._get_request_for_media_type(serializer, direction)
        finally:
            self.method = "PATCH"

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction)
        component = ResolvedComponent(
            name="Error", type=ResolvedComponent.SCHEMA, object="Error", schema=ERROR_SCHEMA
        )
        self.registry.register_on_missing(component)
        for status in sorted(self._error_statuses()):
            responses.setdefault(
                str(status),
                {"description": DESCRIPTIONS[status], "content": {"application/json": {"schema": component.ref}}},
            )
        return responses

    def _error_statuses(self) -> set[int]:
        statuses = {401, 429}
        if self.method in ("POST", "PUT", "PATCH"):
            statuses |= {400, 403}
        if self.method == "DELETE":
            statuses.add(403)
        if "{" in self.path:
            statuses.add(404)
        extra = getattr(self.view, "error_statuses", ())
        if isinstance(extra, dict):
            extra = extra.get(self.method, ())
        return statuses | set(extra)

