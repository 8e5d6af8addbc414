"""audit_public_key: print the public half of AUDIT_SIGNING_KEY, to keep outside the database and pass to
`verify_audit --public-key`."""
from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from audit import signing


class Command(BaseCommand):
    help = "输出审计检查点签名公钥（base64 原始 32 字节；--pem 时输出 PEM）"

    def add_arguments(self, parser):
        parser.add_argument("--pem", action="store_true", help="以 PEM（SubjectPublicKeyInfo）格式输出")

    def handle(self, *args, pem=False, **options):
        try:
            self.stdout.write(signing.public_key_pem().rstrip("\n") if pem else signing.public_key_b64())
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc))
