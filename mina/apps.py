from django.apps import AppConfig


class MinaConfig(AppConfig):
    name = "mina"
    verbose_name = "Mina"
