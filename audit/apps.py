from django.apps import AppConfig
from django.db.models.signals import post_migrate

from .privileges import after_migrate


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = "审计日志"

    def ready(self):
        post_migrate.connect(after_migrate, sender=self, dispatch_uid="audit.grant_app_role")
        from django.urls import reverse

        from . import catalog

        catalog.register_object("audit.verificationrun", label="审计校验",
                                describe=lambda ids: {i: catalog.Shown(f"第{i}次", reverse("audit:verify")) for i in ids})
        catalog.register_object("audit.auditentry", label="审计日志")
