"""audit_checkpoint: sign a checkpoint of the chain head now (what beat does on its interval).

Contract (DESIGN.md): prints `checkpoint <seq> <hash>` (the head just signed, or the last witnessed checkpoint
when nothing was appended since); non-zero, with the reason, and an alarm when the chain no longer matches the
witness log."""
from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from audit import services


class Command(BaseCommand):
    help = "立即签署审计链头检查点并写入见证日志，输出 “checkpoint <seq> <hash>”；链与见证日志不符时拒绝签署、告警并以非零退出。"

    def handle(self, *args, **options):
        try:
            signed = services.sign_head()
        except services.CheckpointRefused as exc:
            raise CommandError(f"拒绝签署检查点：{exc.message}")
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc))
        self.stdout.write(f"checkpoint {signed.seq} {signed.hash}")
