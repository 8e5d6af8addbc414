from django.apps import AppConfig
from django.core import checks


class RoutingConfig(AppConfig):
    name = "routing"
    verbose_name = "分送流转"

    def ready(self) -> None:
        from .checks import deadline_settings

        checks.register(deadline_settings)
