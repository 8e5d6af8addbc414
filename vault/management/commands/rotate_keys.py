"""manage.py rotate_keys — re-encrypt every stored value under the first key of TELEGRAM_DATA_KEYS."""
from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from vault import crypto, services


class Command(BaseCommand):
    help = (
        "用 TELEGRAM_DATA_KEYS 的第一个密钥重新加密全部密文（正文、批示、办结结果、扫描件）。"
        "分批进行，可中断后重跑：已在当前密钥下的值会跳过。完成后即可从密钥环中删除旧密钥。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=services.BATCH_SIZE, help="每批行数（每批一个事务）")
        parser.add_argument(
            "--remove-orphans", action="store_true",
            help="同时删除 SCAN_ROOT 下没有对应记录、且已超过一小时的扫描文件和临时文件",
        )

    def handle(self, *args, batch_size: int, remove_orphans: bool, **options):
        if batch_size < 1:
            raise CommandError("--batch-size 必须是正整数")
        try:
            crypto.keyring()
        except ValueError as exc:
            raise CommandError(f"TELEGRAM_DATA_KEYS 配置有误：{exc}") from exc
        self._progress_shown = False
        progress = self._progress if self.stderr.isatty() else None
        try:
            report = services.rotate_keys(batch_size=batch_size, progress=progress, remove_orphans=remove_orphans)
        except services.RotationFailed as exc:
            self._end_progress()
            raise CommandError(
                f"无法解密 {exc.what}（{exc.reason}）；该批未写入，之前的批次已完成，修复后可重跑"
            ) from exc
        self._end_progress()
        line = f"已重新加密 {report.reencrypted} 项，跳过 {report.skipped} 项（当前密钥 {report.key_id}）"
        if report.relabelled:
            line += f"，修正 {report.relabelled} 个扫描件的密钥标记"
        self.stdout.write(line)
        if report.orphans:
            if remove_orphans:
                self.stdout.write(f"已删除 {report.orphans_removed} 个无记录的扫描文件")
            else:
                self.stdout.write(f"发现 {report.orphans} 个无记录的扫描文件（可用 --remove-orphans 删除）")

    def _progress(self, kind: str, done: int, total: int) -> None:
        # \r + erase to end of line: one status line, rewritten in place.
        self.stderr.write(f"\r{kind}：{done}/{total}\x1b[K", ending="", style_func=lambda text: text)
        self.stderr.flush()
        self._progress_shown = True

    def _end_progress(self) -> None:
        if self._progress_shown:
            self.stderr.write("", style_func=lambda text: text)
