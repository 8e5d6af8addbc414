"""manage.py rebuild_body_index — (re)build the body search's blind index (vault/blind.py)."""
from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from telegrams import search
from vault import blind


class Command(BaseCommand):
    help = (
        "为正文检索建立盲索引：对没有索引、或索引不在 TELEGRAM_INDEX_KEYS 当前密钥下的来电，解密正文并重新计算标签。"
        "更换索引密钥（或未单独配置索引密钥时轮换 TELEGRAM_DATA_KEYS）后运行；分批进行，可中断后重跑。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500, help="每批行数（每批一个事务）")
        parser.add_argument("--all", action="store_true", help="全部重建（包括已在当前密钥下的）")

    def handle(self, *args, batch_size: int, all: bool, **options):
        if batch_size < 1:
            raise CommandError("--batch-size 必须是正整数")
        try:
            current = blind.index_keyring().current
        except ValueError as exc:
            raise CommandError(f"TELEGRAM_INDEX_KEYS 配置有误：{exc}") from exc
        redone, kept = search.rebuild(batch_size=batch_size, everything=all)
        self.stdout.write(f"已重建 {redone} 件来电的正文索引，{kept} 件已是当前索引密钥（{current}）")
