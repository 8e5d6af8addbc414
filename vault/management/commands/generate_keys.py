"""manage.py generate_keys — fresh secrets for a production .env, in the form settings.py reads."""
from __future__ import annotations

from django.core.management.base import BaseCommand

from core.secrets import fresh_secrets


class Command(BaseCommand):
    help = (
        "输出新的 DJANGO_SECRET_KEY、TELEGRAM_DATA_KEYS 和 AUDIT_SIGNING_KEY（每行 NAME=值），供生产环境 .env 使用。"
        "轮换数据密钥时，把新的 TELEGRAM_DATA_KEYS 放在原密钥之前（逗号分隔），再运行 rotate_keys。"
    )
    requires_system_checks = ()  # must work even when the current configuration is broken

    def handle(self, *args, **options):
        for name, value in fresh_secrets().items():
            self.stdout.write(f"{name}={value}")
