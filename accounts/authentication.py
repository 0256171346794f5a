"""JWT authentication that tells an expired token apart from a bad one."""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions
from rest_framework_simplejwt import authentication
from rest_framework_simplejwt.exceptions import ExpiredTokenError, TokenError
from rest_framework_simplejwt.settings import api_settings


class TokenExpired(exceptions.AuthenticationFailed):
    default_detail = "The access token has expired. Refresh it and try again."
    default_code = "token_expired"


class TokenInvalid(exceptions.AuthenticationFailed):
    default_detail = "The token is not valid. Sign in again."
    default_code = "token_not_valid"


def validate_access_token(raw: str | bytes) -> Any:
    """Return the validated access token or raise TokenExpired / TokenInvalid."""
    for token_class in api_settings.AUTH_TOKEN_CLASSES:
        try:
            return token_class(raw)
        except ExpiredTokenError as exc:
            raise TokenExpired() from exc
        except TokenError:
            continue
    raise TokenInvalid()


class JWTAuthentication(authentication.JWTAuthentication):
    def get_validated_token(self, raw_token: bytes) -> Any:
        return validate_access_token(raw_token)
