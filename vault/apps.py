from django.apps import AppConfig


class VaultConfig(AppConfig):
    name = "vault"
    verbose_name = "加密存储"

    def ready(self):
        from . import audit_display, checks  # noqa: F401  (checks registers the TELEGRAM_DATA_KEYS check)

        audit_display.register()  # how the audit log names key rotation
