from django.apps import AppConfig


class RemindersConfig(AppConfig):
    name = "reminders"
    verbose_name = "催办"

    def ready(self) -> None:
        from . import audit_display

        audit_display.register()  # how the audit log names 催办记录 and their data
