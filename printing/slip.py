"""What the printed 处理单 (processing slip) shows: the receipt header, every 批示, the 批办, the deliveries with
their results, and the telegram itself. Plain data for the template; no rendering here."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from annotations.models import Annotation
from telegrams.models import Telegram


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


def display_name(user) -> str:
    if user is None:
        return ""
    person = getattr(user, "person", None) if hasattr(user, "person") else None
    return person.full_name if person and person.full_name else user.get_username()


def delivery_lines(telegram: Telegram) -> list[DeliveryLine]:
    deliveries = telegram.deliveries.select_related("unit", "signed_by__person", "done_by__person").order_by("id")
    return [
        DeliveryLine(
            unit=d.unit.name, role=d.get_role_display(), state=d.get_state_display(), deadline=d.deadline,
            signed_at=d.signed_at, signed_by=display_name(d.signed_by), done_at=d.done_at, done_by=display_name(d.done_by),
            result=d.result,  # decrypts
        )
        for d in deliveries
    ]


def paragraphs(text: str) -> list[str]:
    """Body lines as paragraphs; blank lines and stray indentation are dropped (the template indents)."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def slip_context(telegram: Telegram, *, printed_by, for_pdf: bool) -> dict:
    return {
        "t": telegram,
        "annotations": list(Annotation.objects.filter(telegram=telegram).select_related("author__person")),
        "deliveries": delivery_lines(telegram),
        "paragraphs": paragraphs(telegram.body),
        "registered_by": display_name(telegram.registered_by),
        "printed_by": display_name(printed_by),
        "printed_at": timezone.localtime(),
        "for_pdf": for_pdf,
    }
