from django.apps import AppConfig


class RoutingConfig(AppConfig):
    name = "routing"
    verbose_name = "分送流转"

    def ready(self):
        from . import audit_display

        audit_display.register()  # how the audit log names this app's objects and data fields
