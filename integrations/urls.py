from django.urls import path

from . import views

app_name = "integrations"

urlpatterns = [
    path("w/<int:workspace_id>/webhooks/", views.webhooks, name="webhooks"),
    path("w/<int:workspace_id>/webhooks/deliveries/", views.deliveries, name="deliveries"),
    path("w/<int:workspace_id>/webhooks/<int:endpoint_id>/delete/", views.endpoint_delete, name="delete"),
    path("w/<int:workspace_id>/webhooks/<int:endpoint_id>/enable/", views.endpoint_enable, name="enable"),
]
