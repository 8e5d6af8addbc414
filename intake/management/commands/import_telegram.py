"""``manage.py import_telegram FILE|FOLDER [--user NAME]``: register telegrams from their text files."""
from __future__ import annotations

from argparse import RawDescriptionHelpFormatter
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from directory import roles
from intake.importing import ImportRefused, folder_files, import_file, import_folder

HELP = """\
登记来电文本（与登记表单走同一流程：编号、加密、审计、按批办分送）。

FILE：登记一份 .txt（UTF-8 或 GB18030）。成功时输出的最后一行是收文号；失败时以非零状态退出，并给出一行中文原因。
FOLDER：逐个登记文件夹中的 *.txt（不含子文件夹），每份文件按内容（SHA-256）只导入一次，再次运行会跳过已导入的文件。
每登记一份，在标准输出单独打印一行收文号；跳过的文件及原因（已导入过、重复收文、无法读取、密电、缺少必填项……）和汇总写到标准错误。退出状态：只有在一份也没能登记、并且有失败（“已导入过”不算失败）时才非零。
文本中带有收文号的（纸质已编号的补录），号码未被占用时沿用，否则拒绝。
批办中有机构目录里找不到的单位时照常登记：已知单位照常分送，未找到的列入“待处理单位”。
--user：登记人（须为在用的机要员），默认是“机要员”组中第一个在用账号。"""


class Command(BaseCommand):
    help = HELP

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any):
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.formatter_class = RawDescriptionHelpFormatter  # keep the help's paragraphs
        return parser

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="来电文本文件（.txt）或文件夹")
        parser.add_argument("--user", help="登记人用户名（机要员），默认第一个在用的机要员")

    def handle(self, *args: Any, path: str, user: str | None, **options: Any) -> None:
        actor = _actor(user)
        target = Path(path)
        if target.is_dir():
            self._folder(target, actor)
        elif target.is_file():
            try:
                telegram = import_file(target, actor=actor)
            except ImportRefused as exc:
                raise CommandError(f"{target.name}：{exc.message}") from None
            self.stdout.write(telegram.receipt_no)
        elif target.exists():
            raise CommandError(f"不是文件或文件夹：{target}")
        else:
            raise CommandError(f"文件不存在：{target}")

    def _folder(self, folder: Path, actor) -> None:
        if not folder_files(folder):
            self.stderr.write(f"文件夹中没有 .txt 文件：{folder}")
            return
        report = import_folder(folder, actor=actor)
        # Reasons and the summary first (stderr), then the numbers: a receipt number stays the last line.
        for skipped in report.skipped:
            self.stderr.write(f"跳过 {skipped.filename}（{skipped.reason}）：{skipped.message}")
        self.stderr.write(
            f"已登记 {len(report.imported)} 份，跳过 {len(report.skipped)} 份"
            f"（其中已导入过 {len(report.skipped) - len(report.failures)} 份）。"
        )
        self.stderr.flush()
        for _, telegram in report.imported:
            self.stdout.write(telegram.receipt_no)
        if not report.imported and report.failures:
            raise CommandError(f"没有登记任何来电：{len(report.failures)} 份文件未能导入（原因见上）。")


def _actor(username: str | None):
    User = get_user_model()
    if username is not None:
        actor = User.objects.filter(username=username).first()
        if actor is None or not actor.is_active:
            raise CommandError(f"用户不存在或已停用：{username}")
        if not roles.is_clerk(actor):
            raise CommandError(f"用户 {username} 不是机要员，不能登记来电。")
        return actor
    actor = User.objects.filter(is_active=True, groups__name=roles.CLERK).order_by("id").first()
    if actor is None:
        raise CommandError("没有在用的机要员账号，请先创建或用 --user 指定。")
    return actor
