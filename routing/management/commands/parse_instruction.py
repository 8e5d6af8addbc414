"""manage.py parse_instruction "TEXT" [--json] [--received-on YYYY-MM-DD]: show what a 批办/批示 routes to."""
from __future__ import annotations

import json
from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError
from django.utils import timezone

from routing.instructions import Directory, InstructionError, parse, unknown_message

ROLE_LABELS = {"lead": "牵头", "assist": "配合", "handle": "办理", "read": "阅知"}


class Command(BaseCommand):
    help = "解析批办/批示内容，输出送达单位、角色、办结期限（--json 输出约定的 JSON）"

    def add_arguments(self, parser):
        parser.add_argument("text", help="批办或批示内容，如“请组织部牵头，宣传部配合办理。”")
        parser.add_argument("--json", action="store_true", dest="as_json",
                            help="输出 JSON：routes, unknown, deadline, archive")
        parser.add_argument("--received-on", metavar="YYYY-MM-DD",
                            help="收报日期，用于补全不带年份的日期（默认今天）")

    def handle(self, *args, text: str, as_json: bool, received_on: str | None, **options):
        received = _parse_date(received_on) if received_on else timezone.localdate()
        try:
            parse(text, Directory([]), received_on=received)  # refuse bad text before touching the database
        except InstructionError as exc:
            raise CommandError(" ".join(str(exc).split())) from exc
        try:
            directory = Directory.from_db()
        except DatabaseError as exc:
            raise CommandError(f"无法读取机构目录（数据库未就绪？请先运行 migrate）：{exc.__class__.__name__}") from exc
        try:
            parsed = parse(text, directory, received_on=received)
        except InstructionError as exc:
            # One line: CommandError makes manage.py exit non-zero with just this message.
            raise CommandError(" ".join(str(exc).split())) from exc
        if as_json:
            self.stdout.write(json.dumps(parsed.to_json_dict(), ensure_ascii=False))
            return
        for route in parsed.routes:
            self.stdout.write(f"{route.unit}\t{ROLE_LABELS.get(route.role, route.role)}")
        if parsed.needs_instruction:
            self.stdout.write("呈阅示：" + "、".join(parsed.needs_instruction))
        if parsed.deadline:
            self.stdout.write(f"办结期限：{parsed.deadline.isoformat()}")
        if parsed.archive:
            self.stdout.write("存档")
        if parsed.unknown:
            self.stdout.write(unknown_message(parsed, directory))
        if not (parsed.routes or parsed.needs_instruction or parsed.archive or parsed.unknown):
            self.stdout.write("未识别出送达单位")


def _parse_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"--received-on 日期格式应为 YYYY-MM-DD：{value}") from exc
