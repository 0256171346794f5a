from django.urls import path

from transcription.consumers import AudioConsumer, MeetingConsumer

websocket_urlpatterns = [
    path("ws/meetings/<int:meeting_id>/", MeetingConsumer.as_asgi()),
    path("ws/meetings/<int:meeting_id>/audio/", AudioConsumer.as_asgi()),
]
