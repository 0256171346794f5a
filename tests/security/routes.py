"""Every route Mina answers, from Django's resolver and the OpenAPI schema."""

from __future__ import annotations

import re
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver
from drf_spectacular.generators import SchemaGenerator


def walk(patterns: list[Any] | None = None, prefix: str = "", namespace: str = "") -> Any:
    """(route, "namespace:name") of every named URL pattern."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}:{pattern.namespace}".strip(":") if pattern.namespace else namespace
            yield from walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield prefix + str(pattern.pattern), f"{namespace}:{pattern.name}".strip(":")


def page_routes() -> list[tuple[str, str]]:
    """(name, route) of every route outside the admin and the API: pages, partials, downloads."""
    return sorted((name, route) for route, name in walk() if not route.startswith(("admin/", "api/v1/")))


def api_operations() -> list[tuple[str, str]]:
    """(METHOD, path) of every operation in the OpenAPI schema."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return sorted(
        (method.upper(), path)
        for path, operations in schema["paths"].items()
        for method in operations
        if method in {"get", "post", "put", "patch", "delete"}
    )


def params(route: str) -> list[str]:
    """The names of a route's parameters: `<int:meeting_id>` (Django) or `{meeting_id}` (OpenAPI)."""
    return [a or b for a, b in re.findall(r"<(?:\w+:)?(\w+)>|\{(\w+)\}", route)]


def page_url(name: str, route: str, ids: dict[str, Any]) -> str:
    """The route filled in with `ids` (and harmless values for the parameters that are not ids)."""
    from django.urls import reverse

    values = {**ids, "name": "transcript.txt", "uidb64": "MQ"}
    return reverse(name, kwargs={p: values[p] for p in params(route)})
