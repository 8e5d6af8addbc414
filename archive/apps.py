from django.apps import AppConfig


class ArchiveConfig(AppConfig):
    name = "archive"
    verbose_name = "归档"

    def ready(self) -> None:
        from . import audit_display

        audit_display.register()  # how the audit log names this app's actions and data fields
