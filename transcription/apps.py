from django.apps import AppConfig


class TranscriptionConfig(AppConfig):
    name = "transcription"

    def ready(self) -> None:
        # Register this app's Celery tasks (services queue them by name: core.jobs.enqueue)
        # and its receivers of other apps' signals.
        from . import receivers, tasks  # noqa: F401
