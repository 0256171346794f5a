from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"

    def ready(self) -> None:
        from . import audit, schema  # noqa: F401  (signal receivers; the OpenAPI auth extension)
