"""System checks for the deadline and reminder settings (`manage.py check`, run at start-up)."""
from __future__ import annotations

from django.conf import settings
from django.core import checks
from django.utils import timezone

from . import deadlines


def deadline_settings(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    problems: list[checks.CheckMessage] = []
    for precedence, text in settings.REMINDER_CADENCE.items():
        try:
            deadlines.parse_cadence(text)
        except ValueError as exc:
            problems.append(checks.Error(f"REMINDER_CADENCE {precedence}: {exc}", id="routing.E001"))
    try:
        deadlines.reminder_time()
    except ValueError:
        problems.append(checks.Error(f"REMINDER_TIME 应为 HH:MM，而不是 {settings.REMINDER_TIME!r}", id="routing.E002"))
    try:
        deadlines.overrides()
    except ValueError as exc:
        problems.append(checks.Error(f"DEADLINE_EXTRA_HOLIDAYS/DEADLINE_EXTRA_WORKDAYS: {exc}", id="routing.E003"))
    working = deadlines.WORKING in (settings.DEADLINE_COUNTING, settings.DEADLINE_COUNTING_TETI)
    year = timezone.localdate().year
    if working and year not in deadlines.calendar_years():
        problems.append(checks.Warning(
            f"chinese-calendar 没有 {year} 年的法定节假日数据：工作日按周一至周五计算。",
            hint="升级 chinese-calendar，或在 DEADLINE_EXTRA_HOLIDAYS / DEADLINE_EXTRA_WORKDAYS 中写明本年度安排。",
            id="routing.W001",
        ))
    return problems
