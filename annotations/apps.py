from django.apps import AppConfig


class AnnotationsConfig(AppConfig):
    name = "annotations"
    verbose_name = "领导批示"

    def ready(self):
        from . import audit_display

        audit_display.register()  # how the audit log names this app's objects and data fields
