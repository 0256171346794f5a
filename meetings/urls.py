from django.urls import path

from . import views

app_name = "meetings"

urlpatterns = [
    path("", views.home, name="home"),
    path("w/<int:workspace_id>/meetings/", views.meeting_list, name="list"),
    path("w/<int:workspace_id>/meetings/new/", views.meeting_create, name="create"),
    path("meetings/<int:meeting_id>/", views.meeting_detail, name="detail"),
    path("meetings/<int:meeting_id>/end/", views.meeting_end, name="end"),
    path("tasks/", views.task_list, name="tasks"),
    path("tasks/<int:task_id>/", views.task_edit, name="task-edit"),
    path("tasks/<int:task_id>/status/", views.task_status, name="task-status"),
]
