"""The 催办记录 of a telegram as the telegram page and the 处理单 show them: the office, leaders and admins see
every unit's; a unit's 承办人 only its own unit's."""
from __future__ import annotations

from directory import roles
from directory.access import unit_id_of
from telegrams.models import Telegram

from .models import ReminderRecord


def for_telegram(telegram: Telegram, viewer=None) -> list[ReminderRecord]:
    """Oldest first. Without a viewer (an export for the record) all of them."""
    qs = ReminderRecord.objects.filter(telegram=telegram).select_related("delivery__unit", "by__person")
    if viewer is not None and not roles.sees_register(viewer):
        qs = qs.filter(delivery__unit_id=unit_id_of(viewer))
    return list(qs.order_by("due_at", "id"))


def who(record: ReminderRecord) -> str:
    if record.by is None:
        return "系统自动"
    person = getattr(record.by, "person", None) if hasattr(record.by, "person") else None
    return person.full_name if person and person.full_name else record.by.get_username()
