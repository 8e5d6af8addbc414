from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = "审计日志"

    def ready(self):
        from django.urls import reverse

        from . import catalog

        catalog.register_object("audit.verificationrun", label="审计校验",
                                describe=lambda ids: {i: catalog.Shown(f"第{i}次", reverse("audit:verify")) for i in ids})
        catalog.register_object("audit.auditentry", label="审计日志")
