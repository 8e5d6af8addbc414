from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "提醒"

    def ready(self) -> None:
        from . import listeners

        listeners.connect()
