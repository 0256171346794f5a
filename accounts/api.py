"""JWT endpoints for native clients (/api/v1/auth/) and the signed-in user (/api/v1/me/)."""

from __future__ import annotations

from typing import Any

from django.urls import path
from rest_framework import generics
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework_simplejwt import views as jwt_views

from core.ratelimit import limit_attempts

from .models import User
from .serializers import MeSerializer


class TokenObtainApi(jwt_views.TokenObtainPairView):
    """Email and password for an access and a refresh token."""

    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = request.data if isinstance(request.data, dict) else {}
        email = data.get("email")
        limit_attempts("sign_in", request, account=email if isinstance(email, str) else "")
        return super().post(request, *args, **kwargs)


class MeApi(generics.RetrieveUpdateAPIView):
    """The signed-in user; PATCH changes the display name."""

    serializer_class = MeSerializer
    http_method_names = ["get", "patch", "head", "options"]

    def get_object(self) -> User:
        return self.request.user  # type: ignore[return-value]


urlpatterns = [
    path("token/", TokenObtainApi.as_view(), name="token-obtain"),
    path("token/refresh/", jwt_views.TokenRefreshView.as_view(), name="token-refresh"),
    path("token/verify/", jwt_views.TokenVerifyView.as_view(), name="token-verify"),
    path("token/blacklist/", jwt_views.TokenBlacklistView.as_view(), name="token-blacklist"),
]
