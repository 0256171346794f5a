"""JWT endpoints for native clients (/api/v1/auth/) and the signed-in user (/api/v1/me/)."""

from __future__ import annotations

from typing import Any

from django.urls import path, reverse
from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer
from rest_framework.views import APIView
from rest_framework_simplejwt import views as jwt_views

from core.ratelimit import limit_attempts

from .models import CalendarFeed, User
from .serializers import CalendarSerializer, MeSerializer
from .services import account_update, calendar_feed_get, calendar_feed_renew


class TokenObtainApi(jwt_views.TokenObtainPairView):
    """Email and password for an access and a refresh token."""

    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = request.data if isinstance(request.data, dict) else {}
        email = data.get("email")
        limit_attempts("sign_in", request, account=email if isinstance(email, str) else "")
        return super().post(request, *args, **kwargs)


class MeApi(generics.RetrieveUpdateAPIView):
    """The signed-in user; PATCH changes the display name and the mail settings (the time
    zone and hour of the daily digest, and whether summaries and digests are mailed)."""

    serializer_class = MeSerializer
    http_method_names = ["get", "patch", "head", "options"]

    def get_object(self) -> User:
        return self.request.user  # type: ignore[return-value]

    def perform_update(self, serializer: BaseSerializer) -> None:
        account_update(user=self.get_object(), **serializer.validated_data)


class CalendarApi(APIView):
    """The address of my private calendar feed (ICS: my open tasks with a due date, my
    workspaces' meetings); POST makes a new one and the old one answers 404."""

    @extend_schema(responses=CalendarSerializer)
    def get(self, request: Request) -> Response:
        return Response(self._answer(request, calendar_feed_get(user=request.user)))

    @extend_schema(request=None, responses=CalendarSerializer)
    def post(self, request: Request) -> Response:
        return Response(self._answer(request, calendar_feed_renew(user=request.user)))

    def _answer(self, request: Request, feed: CalendarFeed) -> dict[str, str]:
        return {"url": request.build_absolute_uri(reverse("meetings:calendar", args=[feed.token]))}


urlpatterns = [
    path("token/", TokenObtainApi.as_view(), name="token-obtain"),
    path("token/refresh/", jwt_views.TokenRefreshView.as_view(), name="token-refresh"),
    path("token/verify/", jwt_views.TokenVerifyView.as_view(), name="token-verify"),
    path("token/blacklist/", jwt_views.TokenBlacklistView.as_view(), name="token-blacklist"),
]
