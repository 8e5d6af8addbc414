"""``manage.py watch_intake [--folder PATH] [--user NAME]``: one look at the intake folder, as beat takes."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.errors import ActionError
from core.mapping import command_error
from intake import folder as intake_folder


class Command(BaseCommand):
    help = ("看一次收件文件夹（beat 每隔 INTAKE_FOLDER_INTERVAL 秒做的事）：.txt 按 import_telegram 登记，扫描件送识别并列入"
            "“待登记扫描件”等机要员确认；处理过的文件移入“已处理”，未能登记的移入“未登记”并附原因。"
            "每个文件输出一行：文件名<TAB>结果<TAB>收文号或原因。")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--folder", help="收件文件夹，默认 INTAKE_FOLDER")
        parser.add_argument("--user", help="登记人用户名（机要员），默认 INTAKE_USER 或第一个在用的机要员")

    def handle(self, *args: Any, folder: str | None, user: str | None, **options: Any) -> None:
        path = folder or settings.INTAKE_FOLDER
        if not path:
            raise CommandError("未设置收件文件夹：请设置 INTAKE_FOLDER 或用 --folder 指定。")
        try:
            actor = intake_folder.intake_account(user or settings.INTAKE_USER or None)
            result = intake_folder.watch(Path(path), actor=actor)
        except ActionError as exc:
            raise command_error(exc) from None
        if result.busy:
            raise CommandError("收件文件夹正由另一进程处理，请稍后再试。")
        for o in result.outcomes:
            self.stdout.write(f"{o.filename}\t{o.label}\t{o.receipt_no or o.message}")
        if not result.outcomes:
            self.stderr.write(f"收件文件夹中没有待处理的文件：{path}")

