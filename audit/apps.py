from django.apps import AppConfig
from django.db.models.signals import post_migrate

from .privileges import after_migrate


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = "审计日志"

    def ready(self):
        post_migrate.connect(after_migrate, sender=self, dispatch_uid="audit.grant_app_role")
