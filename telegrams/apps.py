from django.apps import AppConfig


class TelegramsConfig(AppConfig):
    name = "telegrams"
    verbose_name = "收文登记"

    def ready(self):
        from . import audit_display

        audit_display.register()  # how the audit log names this app's objects and data fields
