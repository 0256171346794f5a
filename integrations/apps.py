from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = "Integrations"

    def ready(self) -> None:
        # Register this app's Celery tasks (queued by name: core.jobs.enqueue) and its
        # receivers of the signals the lower layers send (meetings.signals).
        from . import receivers, tasks  # noqa: F401
