"""How the audit log shows 催办记录 and their data (audit.catalog; called from RemindersConfig.ready)."""
from __future__ import annotations

from django.urls import reverse

from audit import catalog

from .models import ReminderKind, ReminderRecord


def describe_reminders(ids: list[str]) -> dict[str, catalog.Shown]:
    rows = (ReminderRecord.objects.filter(pk__in=[int(i) for i in ids if i.isdigit()])
            .values_list("pk", "telegram_id", "telegram__receipt_no", "delivery__unit__name", "kind"))
    return {str(pk): catalog.Shown(f"{receipt_no} · {unit} · {ReminderKind(kind).label}",
                                   reverse("audit:telegram", args=[tid]))
            for pk, tid, receipt_no, unit, kind in rows}


def register() -> None:
    catalog.register_object("reminders.reminderrecord", label="催办记录", describe=describe_reminders)
    catalog.register_actions({"reminders.sent": "催办", "routing.deadline_changed": "修改办结期限"})
    catalog.register_fields({"step": "催办步骤", "overdue_days": "逾期天数", "kind": "类型"},
                            values={"kind": dict(ReminderKind.choices)}, object_types=["reminders.reminderrecord"])
    catalog.register_fields({"from": "原期限", "to": "新期限", "reason": "修改原因"}, object_types=["routing.delivery"])
