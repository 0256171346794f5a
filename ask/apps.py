from django.apps import AppConfig


class AskConfig(AppConfig):
    name = "ask"
    verbose_name = "Ask Mina"

    def ready(self) -> None:
        # Register the indexing job (services queue it by name) and the receivers of the
        # signals that keep the index current.
        from . import receivers, tasks  # noqa: F401
