"""manage.py remind_overdue [--at ISO-8601]: the reminder (催办) pass beat runs, as of now or the given time.
Prints one line per reminder sent: <receipt_no>\t<unit name>\t<kind>; a second run at the same time prints
nothing (each step is claimed once: reminders.actions)."""
from __future__ import annotations

from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from reminders import actions


def parse_at(text: str) -> datetime:
    """An ISO-8601 date or date-time; without an offset it is local time (TIME_ZONE)."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise CommandError(f"时间格式不正确：{text}（应为 ISO-8601，如 2026-10-09T09:00 或 2026-10-09T09:00+08:00）") from None
    if not 1949 <= moment.year <= 2099:
        raise CommandError(f"时间超出范围：{text}（只能是 1949 年至 2099 年之间）")
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


class Command(BaseCommand):
    help = "运行催办（按办结期限提醒与逾期催办），每发出一条催办输出一行：收文号<TAB>单位<TAB>类型"

    def add_arguments(self, parser):
        parser.add_argument("--at", metavar="ISO-8601", help="以该时间运行（默认现在），如 2026-10-09T09:00")

    def handle(self, *args, at: str | None, **options):
        now = parse_at(at) if at else timezone.now()
        for sent in actions.run_pass(now):
            self.stdout.write(f"{sent.receipt_no}\t{sent.unit}\t{sent.kind}")
