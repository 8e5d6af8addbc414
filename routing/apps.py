from django.apps import AppConfig
from django.core import checks


class RoutingConfig(AppConfig):
    name = "routing"
    verbose_name = "分送流转"

    def ready(self) -> None:
        from vault import crypto, registry

        from . import audit_display
        from .checks import deadline_settings

        registry.register(registry.SealedField("routing.Delivery", "result_enc",
                                               lambda d: crypto.aad_for("delivery", d.pk, "result")))
        registry.register(registry.SealedFiles("routing.ResultFile", "key_id", path=lambda f: f.path, aad=lambda f: f.aad))
        audit_display.register()  # how the audit log names this app's objects and data fields
        checks.register(deadline_settings)
