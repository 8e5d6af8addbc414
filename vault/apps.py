from django.apps import AppConfig


class VaultConfig(AppConfig):
    name = "vault"
    verbose_name = "加密存储"

    def ready(self):
        from . import checks  # noqa: F401  (registers the TELEGRAM_DATA_KEYS check)
