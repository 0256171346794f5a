from django.apps import AppConfig


class WorkspacesConfig(AppConfig):
    name = "workspaces"

    def ready(self) -> None:
        # Register this app's Celery tasks: services queue them by name (core.jobs.enqueue).
        from . import tasks  # noqa: F401
