"""What an archive package says about one telegram: its audit entries and its DA/T 46-style metadata.

Shared by the 归档 action (which records the metadata, the digests of the body and scans and the seqs of the
telegram's entries in its own audit entry) and the package export (printing/archive_package.py)."""
from __future__ import annotations

import hashlib

from django.db.models import Q, QuerySet
from django.utils import timezone

from annotations.models import Annotation, Circulation
from audit.models import AuditEntry
from routing.models import Delivery, Handback, ResultFile, RoutingOrder, UnknownUnit
from telegrams.models import Telegram

from .models import Archival, Retention

CLASSIFICATION_NONE = "无（明电）"


def objects_of(telegram: Telegram) -> list[tuple[str, list[str]]]:
    """(object_type, [ids]) of everything the audit chain records about this telegram."""
    deliveries = list(Delivery.objects.filter(telegram=telegram).values_list("pk", flat=True))
    return [
        ("telegrams.telegram", [str(telegram.pk)]),
        ("telegrams.scan", [str(pk) for pk in telegram.scans.values_list("pk", flat=True)]),
        ("routing.delivery", [str(pk) for pk in deliveries]),
        ("routing.routingorder", [str(pk) for pk in RoutingOrder.objects.filter(telegram=telegram).values_list("pk", flat=True)]),
        ("routing.unknownunit", [str(pk) for pk in UnknownUnit.objects.filter(telegram=telegram).values_list("pk", flat=True)]),
        ("routing.handback", [str(pk) for pk in Handback.objects.filter(delivery_id__in=deliveries).values_list("pk", flat=True)]),
        ("routing.resultfile", [str(pk) for pk in ResultFile.objects.filter(delivery_id__in=deliveries).values_list("pk", flat=True)]),
        ("annotations.annotation", [str(pk) for pk in Annotation.objects.filter(telegram=telegram).values_list("pk", flat=True)]),
        ("annotations.circulation", [str(pk) for pk in Circulation.objects.filter(telegram=telegram).values_list("pk", flat=True)]),
    ]


def entries_of(telegram: Telegram) -> QuerySet[AuditEntry]:
    """The telegram's audit entries, in seq order (the audit_object_idx index serves each type)."""
    match = Q(pk__in=[])
    for object_type, ids in objects_of(telegram):
        if ids:
            match |= Q(object_type=object_type, object_id__in=ids)
    return AuditEntry.objects.filter(match).order_by("seq")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def body_bytes(telegram: Telegram) -> bytes:
    return telegram.body.encode("utf-8")


def scan_name(index: int, filename: str) -> str:
    """A scan's path in the package: numbered (two scans may share a name) and without directories."""
    base = filename.replace("/", "_").replace("\\", "_").strip() or "scan"
    return f"scans/{index:02d}-{base}"


def metadata(telegram: Telegram, archival: Archival) -> dict:
    """The package's descriptive metadata: DA/T 46 elements (Chinese keys) and the receipt's own fields."""
    scans = list(telegram.scans.order_by("pk"))
    received = timezone.localtime(telegram.received_at)
    return {
        "题名": telegram.title,
        "文号": telegram.sender_doc_no,
        "责任者": telegram.sending_unit or telegram.sender_unit_name,
        "日期": (telegram.signed_on or received.date()).isoformat(),
        "密级": CLASSIFICATION_NONE,
        "保管期限": Retention(archival.retention).label,
        "保管期限代码": archival.retention,
        "档号": archival.archive_no,
        "全宗号": archival.fonds,
        "年度": archival.year,
        "件号": archival.item_no,
        "件数": 1,
        "页数": telegram.pages,
        "扫描件数": len(scans),
        "receipt": {
            "receipt_no": telegram.receipt_no,
            "sender_unit": telegram.sender_unit_name,
            "precedence": telegram.precedence,
            "classification": telegram.classification,
            "received_at": received.isoformat(),
            "title": telegram.title,
            "instruction": telegram.instruction,
            "sending_unit": telegram.sending_unit,
            "issuer": telegram.issuer,
            "sender_doc_no": telegram.sender_doc_no,
            "addressees": list(telegram.addressees or []),
            "cc": list(telegram.cc or []),
            "signatory": telegram.signatory,
            "signed_on": telegram.signed_on.isoformat() if telegram.signed_on else None,
            "copies": telegram.copies,
        },
    }


def content_digests(telegram: Telegram) -> dict[str, str]:
    """SHA-256 of the package files the archive entry vouches for: the body text and each scan as stored."""
    digests = {"body.txt": sha256(body_bytes(telegram))}
    for i, scan in enumerate(telegram.scans.order_by("pk"), start=1):
        digests[scan_name(i, scan.filename)] = scan.sha256
    return digests
