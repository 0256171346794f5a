"""Small shared pieces of the REST API: input parsing and pagination."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers
from rest_framework.pagination import LimitOffsetPagination

from .languages import CODES, LANGUAGE_CHOICES

ID_MAX = 2**63 - 1  # the largest id a BigAutoField holds


def id_field(**kwargs: Any) -> serializers.IntegerField:
    """An object id in a body or a query: out of range is a 400, never a database error."""
    return serializers.IntegerField(min_value=1, max_value=ID_MAX, **kwargs)


def language_field(**kwargs: Any) -> serializers.ChoiceField:
    """A meeting's language: a Whisper code or "auto"; a wrong one is a 400 that lists them."""
    unknown = f'"{{input}}" is no language code Mina knows. Codes: {", ".join(CODES)}.'
    return serializers.ChoiceField(choices=LANGUAGE_CHOICES, error_messages={"invalid_choice": unknown}, **kwargs)


def validated(serializer_class: type[serializers.Serializer], data: Any, *, partial: bool = False) -> Any:
    """Parse input with a serializer; a ValidationError becomes a 400 in the error shape."""
    serializer = serializer_class(data=data, partial=partial)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class Page(LimitOffsetPagination):
    default_limit = 50
    max_limit = 500
