from django.apps import AppConfig


class TranscriptionConfig(AppConfig):
    name = "transcription"
