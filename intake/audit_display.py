"""How the audit log names the desk's held scans and their actions (audit.catalog; called from IntakeConfig.ready)."""
from __future__ import annotations

from django.urls import reverse

from audit import catalog

from .models import IntakeScan, IntakeSource, IntakeState


def describe_scans(ids: list[str]) -> dict[str, catalog.Shown]:
    rows = (IntakeScan.objects.filter(pk__in=[int(i) for i in ids if i.isdigit()])
            .values_list("pk", "filename", "telegram_id", "telegram__receipt_no"))
    shown = {}
    for pk, filename, telegram_id, receipt_no in rows:
        if telegram_id:
            shown[str(pk)] = catalog.Shown(f"{receipt_no} · {filename}", reverse("audit:telegram", args=[telegram_id]))
        else:
            shown[str(pk)] = catalog.Shown(filename, reverse("intake:scans"))
    return shown


def register() -> None:
    catalog.register_actions({
        "intake.scan_received": "接收待识别扫描件", "intake.scan_held": "暂存扫描件",
        "intake.scan_registered": "扫描件随来电登记", "intake.scan_set_aside": "搁置扫描件",
        "intake.scan_read": "查看识别结果", "intake.scan_viewed": "查看待登记扫描件",
    })
    catalog.register_object("intake.intakescan", label="待登记扫描件", describe=describe_scans)
    catalog.register_fields({
        "source": "来源", "ocr_job": "识别任务", "size": "大小（字节）", "page": "页", "reason": "搁置原因",
    }, values={"source": dict(IntakeSource.choices), "state": dict(IntakeState.choices)},
        object_types=["intake.intakescan"])
