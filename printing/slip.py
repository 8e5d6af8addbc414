"""What the printed 处理单 (processing slip) shows: the receipt header, every 批示, the 批办 and 拟办, the deliveries
with their read receipts, 退回/转办 and results, the 催办记录 (a unit's result only to those allowed to see it: the clerk,
leaders, admins and the unit itself), the 传阅 record, the 答复, and the telegram itself. Plain data for the
template; no rendering here."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Prefetch
from django.utils import timezone

from annotations.models import Annotation, Circulation, CirculationStep
from archive.models import Archival
from directory import roles
from reminders import records as reminder_records
from routing.access import sees_result
from telegrams.models import Telegram, TelegramReturn


@dataclass
class DeliveryLine:
    unit: str
    role: str
    state: str
    deadline: object
    signed_at: datetime | None
    signed_by: str
    done_at: datetime | None
    done_by: str
    result: str
    shows_result: bool = True
    proxy: str = ""  # who signed for the unit (代签收)
    receipt: str = ""
    files: list[str] = field(default_factory=list)
    handed_back: str = ""  # 退回 and what became of it
    transferred: str = ""  # 转办


def display_name(user) -> str:
    if user is None:
        return ""
    person = getattr(user, "person", None) if hasattr(user, "person") else None
    return person.full_name if person and person.full_name else user.get_username()


def delivery_lines(telegram: Telegram, viewer=None) -> list[DeliveryLine]:
    """Every delivery; a unit's result (and attachments) only when `viewer` may see it — other units see that it
    finished, not what it wrote. Without a viewer (an export for the record) every result is shown."""
    deliveries = (telegram.deliveries.select_related("unit", "signed_by__person", "done_by__person", "handback__rerouted_to",
                                                     "transfer__to_unit")
                  .prefetch_related("files").order_by("id"))
    lines = []
    for d in deliveries:
        shows = viewer is None or sees_result(viewer, d)
        handback = getattr(d, "handback", None) if hasattr(d, "handback") else None
        moved = getattr(d, "transfer", None) if hasattr(d, "transfer") else None
        lines.append(DeliveryLine(
            unit=d.unit.name, role=d.get_role_display(), state=d.get_state_display(), deadline=d.deadline,
            signed_at=d.signed_at, signed_by=display_name(d.signed_by), done_at=d.done_at, done_by=display_name(d.done_by),
            result=d.result if shows else "",  # decrypts only what is shown
            shows_result=shows, proxy=display_name(d.signed_by) if d.proxy_signed else "", receipt=d.receipt,
            files=[f.filename for f in d.files.all()] if shows else [],
            handed_back=(f"退回：{handback.reason}" + (f"（已改送{handback.rerouted_to.name}）" if handback.rerouted_to
                                                    else f"（{handback.resolution}）" if handback.resolution else "")
                         ) if handback else "",
            transferred=f"转办{moved.to_unit.name}：{moved.reason}（经{moved.approved_by}同意）" if moved else "",
        ))
    return lines


def paragraphs(text: str) -> list[str]:
    """Body lines as paragraphs; blank lines and stray indentation are dropped (the template indents)."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def slip_context(telegram: Telegram, *, printed_by, for_pdf: bool) -> dict:
    return {
        "t": telegram,
        "annotations": list(Annotation.objects.filter(telegram=telegram).select_related("author__person")),
        "deliveries": delivery_lines(telegram, printed_by),
        # 传阅 among leaders and the text of a 答复: for the office and leaders (the page's rule too).
        "circulations": list(Circulation.objects.filter(telegram=telegram).select_related("started_by__person")
                             .prefetch_related(Prefetch("steps", queryset=CirculationStep.objects.order_by("position")))
                             .order_by("started_at", "id")) if roles.sees_register(printed_by) else [],
        "replies": list(telegram.replies.select_related("recorded_by__person")),
        "reminders": [(r, reminder_records.who(r)) for r in reminder_records.for_telegram(telegram, printed_by)],
        "reply_text_shown": roles.sees_register(printed_by),
        "returned": TelegramReturn.objects.filter(telegram=telegram).select_related("returned_by__person").first(),
        "archival": Archival.objects.filter(telegram=telegram, revoked_at__isnull=True).first(),
        "paragraphs": paragraphs(telegram.body),
        "registered_by": display_name(telegram.registered_by),
        "printed_by": display_name(printed_by),
        "printed_at": timezone.localtime(),
        "for_pdf": for_pdf,
    }


def return_notice_context(telegram: Telegram, returned: TelegramReturn, *, printed_by, for_pdf: bool) -> dict:
    """The 退文告知单: to the sender, which telegram, every reason of the checklist with the ticked ones marked."""
    return {
        "t": telegram, "r": returned, "checklist": returned.checklist,
        "returned_by": display_name(returned.returned_by), "printed_by": display_name(printed_by),
        "printed_at": timezone.localtime(), "for_pdf": for_pdf,
    }
