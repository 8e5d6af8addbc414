from django.apps import AppConfig


class AnnotationsConfig(AppConfig):
    name = "annotations"
    verbose_name = "领导批示"

    def ready(self) -> None:
        from vault import crypto, registry

        from . import audit_display

        registry.register(registry.SealedField("annotations.Annotation", "text_enc",
                                               lambda a: crypto.aad_for("annotation", a.uid, "text")))
        audit_display.register()  # how the audit log names this app's objects and data fields
