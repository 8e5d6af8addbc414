from django.apps import AppConfig


class RoutingConfig(AppConfig):
    name = "routing"
    verbose_name = "分送流转"

    def ready(self) -> None:
        from vault import crypto, registry

        registry.register(registry.SealedField("routing.Delivery", "result_enc",
                                               lambda d: crypto.aad_for("delivery", d.pk, "result")))
        registry.register(registry.SealedFiles("routing.ResultFile", "key_id", path=lambda f: f.path, aad=lambda f: f.aad))
