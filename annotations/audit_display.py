"""How the audit log shows this app's objects and data (audit.catalog; called from AnnotationsConfig.ready)."""
from __future__ import annotations

from django.urls import reverse

from audit import catalog

from .models import Annotation


def describe_annotations(ids: list[str]) -> dict[str, catalog.Shown]:
    rows = (Annotation.objects.filter(pk__in=[int(i) for i in ids if i.isdigit()])
            .values_list("pk", "telegram_id", "telegram__receipt_no", "author_name", "version"))
    return {
        str(pk): catalog.Shown(f"{receipt_no} · {author}第{version}版批示", reverse("audit:telegram", args=[tid]))
        for pk, tid, receipt_no, author, version in rows
    }


def register() -> None:
    catalog.register_object("annotations.annotation", label="批示", describe=describe_annotations)
    catalog.register_fields({
        "version": "版本", "supersedes": "更正的批示", "text_hmac": "批示内容摘要（HMAC）", "archive": "归档",
        "read_requests": "请阅示",
    })
