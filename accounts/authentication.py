"""JWT authentication that tells an expired token apart from a bad one, and a race-free refresh."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from rest_framework import exceptions
from rest_framework_simplejwt import authentication
from rest_framework_simplejwt.exceptions import ExpiredTokenError, InvalidToken, TokenError
from rest_framework_simplejwt.serializers import TokenRefreshSerializer
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken


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


class RotatingRefreshSerializer(TokenRefreshSerializer):
    """Refresh with rotation where two concurrent uses of one token cannot both win.

    simplejwt checks the blacklist, then blacklists: two requests racing between those
    steps would both get new tokens. Locking the token's row first serialises them.
    """

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        with transaction.atomic():
            try:
                jti = RefreshToken(attrs["refresh"])[api_settings.JTI_CLAIM]
            except TokenError as exc:
                raise InvalidToken(str(exc)) from exc
            list(OutstandingToken.objects.select_for_update(of=("self",)).filter(jti=jti))
            if BlacklistedToken.objects.filter(token__jti=jti).exists():
                raise InvalidToken("Token is blacklisted")
            return super().validate(attrs)
