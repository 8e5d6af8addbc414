"""How the audit log shows this app's objects and data (audit.catalog; called from AnnotationsConfig.ready)."""
from __future__ import annotations

from django.urls import reverse

from audit import catalog

from .models import Annotation, Circulation


def describe_annotations(ids: list[str]) -> dict[str, catalog.Shown]:
    rows = (Annotation.objects.filter(pk__in=[int(i) for i in ids if i.isdigit()])
            .values_list("pk", "telegram_id", "telegram__receipt_no", "author_name", "version"))
    return {
        str(pk): catalog.Shown(f"{receipt_no} · {author}第{version}版批示", reverse("audit:telegram", args=[tid]))
        for pk, tid, receipt_no, author, version in rows
    }


def describe_circulations(ids: list[str]) -> dict[str, catalog.Shown]:
    rows = (Circulation.objects.filter(pk__in=[int(i) for i in ids if i.isdigit()])
            .values_list("pk", "telegram_id", "telegram__receipt_no"))
    return {str(pk): catalog.Shown(f"{receipt_no} · 领导传阅", reverse("audit:telegram", args=[tid]))
            for pk, tid, receipt_no in rows}


def register() -> None:
    catalog.register_object("annotations.annotation", label="批示", describe=describe_annotations)
    catalog.register_fields({
        "version": "版本", "supersedes": "更正的批示", "text_hmac": "批示内容摘要（HMAC）", "archive": "归档",
        "read_requests": "请阅示",
    })
    # Issue 12: 同意拟办 and 传阅 among leaders.
    catalog.register_object("annotations.circulation", label="领导传阅", describe=describe_circulations)
    catalog.register_actions({"annotation.circulate": "发起传阅", "annotation.circulation_pass": "传阅阅毕"})
    catalog.register_fields({"approves_proposal": "同意拟办", "leaders": "传阅领导", "leader": "领导",
                             "position": "顺序", "next": "传下一位"})
