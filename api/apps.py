"""The REST API (/api/v1/, Django REST framework + drf-spectacular) and the admin's page of integration accounts
and their tokens. It sits on top of every domain app: its views call the same actions and access helpers as the
pages, so it adds no rule of its own."""
from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = "接口"

    def ready(self) -> None:
        from vault import crypto, registry

        from . import audit_display, schema  # noqa: F401  (schema: the token scheme's OpenAPI description)

        registry.register(registry.SealedField("api.ApiToken", "key_enc", lambda t: crypto.aad_for("api_token", t.uid, "key")))
        audit_display.register()  # how the audit log names tokens and the API channel
