"""A telegram as the contracts name its fields (show_telegram --json, the API's detail)."""
from __future__ import annotations

from django.utils import timezone

from annotations.models import Annotation
from routing.models import Delivery
from telegrams.models import Telegram


def telegram_as_json(t: Telegram) -> dict:
    received = timezone.localtime(t.received_at).isoformat() if t.received_at else None
    deliveries = [
        {"unit": d.unit.name, "role": d.role, "state": d.state,
         "deadline": d.deadline.isoformat() if d.deadline else None}
        for d in Delivery.objects.filter(telegram=t).select_related("unit").order_by("id")
    ]
    annotations = [
        {"author": a.author_name, "text": a.text, "at": timezone.localtime(a.created_at).isoformat()}
        for a in Annotation.objects.filter(telegram=t).order_by("created_at", "id")
    ]
    latest = annotations[-1]["text"] if annotations else None
    return {
        "receipt_no": t.receipt_no,
        "sender_unit": t.sender_unit_name,
        "precedence": t.precedence,
        "classification": t.classification,
        "received_at": received,
        "title": t.title,
        "annotation": latest,
        "instruction": t.instruction or None,
        "sending_unit": t.sending_unit or None,
        "sender_doc_no": t.sender_doc_no or None,
        "addressees": list(t.addressees),
        "body": t.body or None,
        "signatory": t.signatory or None,
        "signed_on": t.signed_on.isoformat() if t.signed_on else None,
        "cc": list(t.cc),
        "state": t.state,  # TelegramState: registered|instructed|in_progress|done|closed|returned|archived|void
        "deliveries": deliveries,
        "annotations": annotations,
    }
