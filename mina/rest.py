"""Small shared pieces of the REST API: input parsing and pagination."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers
from rest_framework.pagination import LimitOffsetPagination


def validated(serializer_class: type[serializers.Serializer], data: Any, *, partial: bool = False) -> Any:
    """Parse input with a serializer; a ValidationError becomes a 400 in the error shape."""
    serializer = serializer_class(data=data, partial=partial)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class Page(LimitOffsetPagination):
    default_limit = 50
    max_limit = 500
