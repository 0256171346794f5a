from django.urls import path

from . import views

app_name = "transcription"

urlpatterns = [
    path("recordings/<int:recording_id>/audio", views.recording_audio, name="recording-audio"),
]
