"""verify_archive FILE.zip [--public-key KEY]: exit 0 printing `OK` when the package proves itself, else non-zero
naming what is wrong (a changed, missing or unlisted file, a broken chain, a missing entry, a bad signature).

Needs no database: it only calls archive.verifier (pure; `python -m archive.verifier` is the same without
manage.py) and skips Django's system checks, so it runs with DATABASE_URL pointing nowhere."""
from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from archive import verifier


class Command(BaseCommand):
    help = "离线校验归档包：通过时输出 OK，否则以非零退出并指出问题（文件被改动、缺失、审计链不符、签名无效）"
    requires_system_checks = []
    requires_migrations_checks = False

    def add_arguments(self, parser):
        parser.add_argument("package", help="归档包（.zip）")
        parser.add_argument("--public-key", metavar="KEY",
                            help="签名公钥（base64、PEM 或其文件；audit_public_key 打印的那个，保存在数据库和归档包之外）")

    def handle(self, *args, package, public_key=None, **options):
        try:
            verifier.verify(package, public_key)
        except verifier.Problem as problem:
            raise CommandError(f"{problem.kind}: {problem.message}")
        self.stdout.write("OK")
