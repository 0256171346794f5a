"""Under /api/v1/workspaces/<workspace_id>/webhooks/ (mina/urls.py)."""

from django.urls import path

from . import api

urlpatterns = [
    path("", api.EndpointsApi.as_view(), name="api-webhooks"),
    path("<int:endpoint_id>/", api.EndpointApi.as_view(), name="api-webhook"),
    path("<int:endpoint_id>/deliveries/", api.DeliveriesApi.as_view(), name="api-webhook-deliveries"),
]
