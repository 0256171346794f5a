from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from . import health, metrics
from .apidocs import ApiDocsView

urlpatterns = [
    path("health/", health.live, name="health"),
    path("health/detailed", health.detailed, name="health-detailed"),
    path("metrics", metrics.serve, name="metrics"),
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("api/v1/", include("mina.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", ApiDocsView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include("transcription.urls")),
    path("", include("workspaces.urls")),
    path("", include("mina.meeting_urls")),
]
