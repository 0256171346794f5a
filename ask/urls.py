from django.urls import path

from . import views

app_name = "ask"

urlpatterns = [
    path("w/<int:workspace_id>/ask/", views.ask, name="ask"),
]
