from django.apps import AppConfig


class TelegramsConfig(AppConfig):
    name = "telegrams"
    verbose_name = "收文登记"

    def ready(self) -> None:
        from vault import crypto, registry

        from . import audit_display

        registry.register(registry.SealedField("telegrams.Telegram", "body_enc",
                                               lambda t: crypto.aad_for("telegram", t.uid, "body")))
        registry.register(registry.SealedFiles("telegrams.Scan", "key_id", path=lambda s: s.path, aad=lambda s: s.aad))
        registry.register(registry.SealedField("telegrams.Reply", "text_enc", lambda r: crypto.aad_for("reply", r.uid, "text")))
        audit_display.register()  # how the audit log names this app's objects and data fields
