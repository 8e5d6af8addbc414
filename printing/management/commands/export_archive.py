"""export_archive: the 归档包 of one telegram (`RECEIPT_NO --out FILE.zip`) or of a year (`--year 2026 --out DIR`:
one package per telegram archived under that 年度, named by 档号, plus index.json and index.csv).

Contract (DESIGN.md): prints the path written (one line per package); non-zero with a one-line Chinese reason.

A package needs a signed tree head covering the 归档 entry. Beat signs one every AUDIT_CHECKPOINT_INTERVAL; a
process that holds AUDIT_SIGNING_KEY (the signer, or the embedded default where every process has it) signs one
itself (as `audit_checkpoint` does) rather than make its caller wait. Elsewhere the reason says to wait."""
from __future__ import annotations

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from archive.actions import active_archival
from audit import services as audit_services
from audit import signing
from core.errors import ActionError
from core.mapping import command_error
from printing import archive_package
from telegrams.models import Telegram


class Command(BaseCommand):
    help = "导出归档包：export_archive RECEIPT_NO --out FILE.zip，或 export_archive --year 2026 --out DIR（每件一个包加索引）"

    def add_arguments(self, parser):
        parser.add_argument("receipt_no", nargs="?", help="收文号，如 宁机明收[2026]12号")
        parser.add_argument("--out", required=True, help="单件：归档包文件（.zip）；按年度：输出目录")
        parser.add_argument("--year", type=int, help="导出该年度（档号中的年度）全部已归档来电")
        parser.add_argument("--user", help="记入审计日志并打印处理单的账号（默认：归档人）")

    def handle(self, *args, receipt_no=None, out, year=None, user=None, **options):
        if bool(receipt_no) == bool(year):
            raise CommandError("请给出一个收文号，或用 --year 给出年度（二者选一）。")
        actor = self._user(user)
        if signing.can_sign():
            try:
                audit_services.sign_head()
            except audit_services.CheckpointRefused as exc:
                raise CommandError(f"拒绝签署检查点，不能导出：{exc.message}")
        try:
            if year:
                packages = archive_package.export_year(year, Path(out), actor=actor)
                for package in packages:
                    self.stdout.write(str(Path(out) / package.name))
                self.stdout.write(str(Path(out) / "index.json"))
                return
            telegram = Telegram.objects.filter(receipt_no=receipt_no.strip()).first()
            if telegram is None:
                raise CommandError(f"没有收文号为 {receipt_no} 的来电。")
            archival = active_archival(telegram)
            package = archive_package.build(telegram, actor=actor or (archival.archived_by if archival else None))
        except ActionError as exc:
            raise command_error(exc)
        path = Path(out)
        if path.parent and not path.parent.exists():
            raise CommandError(f"目录不存在：{path.parent}")
        path.write_bytes(package.content)
        self.stdout.write(str(path))

    def _user(self, name: str | None):
        if not name:
            return None
        user = get_user_model().objects.filter(username=name).first()
        if user is None:
            raise CommandError(f"没有账号 {name}。")
        return user
