from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.db.backends.signals import connection_created


class MinaConfig(AppConfig):
    name = "mina"
    verbose_name = "Mina"

    def ready(self) -> None:
        if settings.MINA_LOG_SQL:
            connection_created.connect(_log_queries)


def _log_queries(sender: Any, connection: Any, **kwargs: Any) -> None:
    """Django logs queries only with DEBUG on, unless a connection asks for it."""
    connection.force_debug_cursor = True
