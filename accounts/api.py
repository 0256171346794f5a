"""JWT endpoints for native clients (/api/v1/auth/) and the signed-in user (/api/v1/auth/me/)."""

from django.urls import path
from rest_framework import generics, serializers
from rest_framework_simplejwt import views as jwt_views

from .models import User

urlpatterns = [
    path("token/", jwt_views.TokenObtainPairView.as_view(), name="token-obtain"),
    path("token/refresh/", jwt_views.TokenRefreshView.as_view(), name="token-refresh"),
    path("token/verify/", jwt_views.TokenVerifyView.as_view(), name="token-verify"),
    path("token/blacklist/", jwt_views.TokenBlacklistView.as_view(), name="token-blacklist"),
]


class MeSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "email", "display_name", "name"]
        read_only_fields = ["id", "email", "name"]


class MeApi(generics.RetrieveUpdateAPIView):
    """The signed-in user; PATCH changes the display name."""

    serializer_class = MeSerializer

    def get_object(self) -> User:
        return self.request.user  # type: ignore[return-value]


urlpatterns.append(path("me/", MeApi.as_view(), name="me"))
