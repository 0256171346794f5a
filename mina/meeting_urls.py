"""The pages of meetings and tasks, named `meetings:…`: the meetings app's own and those
that show what was said (transcription's)."""

from django.urls import path

from meetings import views
from transcription import views as transcript_views

app_name = "meetings"

urlpatterns = [
    path("", views.home, name="home"),
    path("w/<int:workspace_id>/meetings/", transcript_views.meeting_list, name="list"),
    path("w/<int:workspace_id>/meetings/new/", views.meeting_create, name="create"),
    path("meetings/<int:meeting_id>/", transcript_views.meeting_detail, name="detail"),
    path("meetings/<int:meeting_id>/panels/", transcript_views.meeting_panels, name="panels"),
    path("meetings/<int:meeting_id>/end/", views.meeting_end, name="end"),
    path("meetings/<int:meeting_id>/recordings/", transcript_views.recording_upload, name="upload"),
    path("meetings/<int:meeting_id>/summary/regenerate/", transcript_views.meeting_resummarize, name="resummarize"),
    path("meetings/<int:meeting_id>/segments/<int:segment_id>/", transcript_views.segment_detail, name="segment"),
    path("meetings/<int:meeting_id>/glossary/", transcript_views.meeting_glossary_add, name="glossary-add"),
    path("meetings/<int:meeting_id>/replace/", transcript_views.meeting_replace, name="replace"),
    path(
        "meetings/<int:meeting_id>/segments/<int:segment_id>/edit/",
        transcript_views.segment_edit_form,
        name="segment-edit",
    ),
    path(
        "meetings/<int:meeting_id>/participants/<int:participant_id>/",
        views.participant_rename,
        name="participant-rename",
    ),
    path(
        "meetings/<int:meeting_id>/participants/<int:participant_id>/suggestion/",
        views.participant_suggestion,
        name="participant-suggestion",
    ),
    path("meetings/<int:meeting_id>/export/<str:name>", transcript_views.meeting_export, name="export"),
    path("tasks/", views.task_list, name="tasks"),
    path("tasks/calendar/renew/", views.calendar_renew, name="calendar-renew"),
    path("calendar/<str:token>.ics", views.calendar_feed, name="calendar"),
    path("tasks/<int:task_id>/", views.task_edit, name="task-edit"),
    path("tasks/<int:task_id>/status/", views.task_status, name="task-status"),
    path("tasks/<int:task_id>/review/", views.task_review, name="task-review"),
    path("meetings/<int:meeting_id>/proposals/<int:proposal_id>/", views.done_proposal, name="done-proposal"),
    path("w/<int:workspace_id>/decisions/", views.decision_list, name="decisions"),
]
