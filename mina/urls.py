from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from ask.api import AskApi

from . import health, metrics, ops_views
from .apidocs import ApiDocsView

urlpatterns = [
    path("health/", health.live, name="health"),
    path("health/detailed", health.detailed, name="health-detailed"),
    path("metrics", metrics.serve, name="metrics"),
    # Before the admin's own URLs, whose catch-all would take `ops` for an app's name.
    path("admin/ops/", include(ops_views.urlpatterns)),
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("api/v1/ask/", AskApi.as_view(), name="api-ask"),
    # Before the rest of the API, which answers 404 to any path it does not know.
    path("api/v1/workspaces/<int:workspace_id>/webhooks/", include("integrations.api_urls")),
    path("api/v1/", include("mina.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", ApiDocsView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include("ask.urls")),
    path("", include("transcription.urls")),
    path("", include("workspaces.urls")),
    path("", include("integrations.urls")),
    path("", include("mina.meeting_urls")),
]
