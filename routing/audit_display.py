"""How the audit log shows this app's objects and data (audit.catalog; called from RoutingConfig.ready)."""
from __future__ import annotations

from django.urls import reverse

from audit import catalog

from .models import Delivery, DeliveryState, Handback, ResultFile, Role, RoutingOrder, UnknownUnit


def describe_deliveries(ids: list[str]) -> dict[str, catalog.Shown]:
    rows = (Delivery.objects.filter(pk__in=[int(i) for i in ids if i.isdigit()])
            .values_list("pk", "telegram_id", "telegram__receipt_no", "unit__name", "role"))
    return {
        str(pk): catalog.Shown(f"{receipt_no} · {unit}（{Role(role).label}）", reverse("audit:telegram", args=[tid]))
        for pk, tid, receipt_no, unit, role in rows
    }


def describe_orders(ids: list[str]) -> dict[str, catalog.Shown]:
    rows = (RoutingOrder.objects.filter(pk__in=[int(i) for i in ids if i.isdigit()])
            .values_list("pk", "telegram_id", "telegram__receipt_no", "source"))
    sources = dict(RoutingOrder.Source.choices)
    return {
        str(pk): catalog.Shown(f"{receipt_no} · 来源：{sources.get(source, source)}", reverse("audit:telegram", args=[tid]))
        for pk, tid, receipt_no, source in rows
    }


def describe_unknown_units(ids: list[str]) -> dict[str, catalog.Shown]:
    rows = (UnknownUnit.objects.filter(pk__in=[int(i) for i in ids if i.isdigit()])
            .values_list("pk", "telegram_id", "telegram__receipt_no", "name"))
    return {str(pk): catalog.Shown(f"{receipt_no} · {name}", reverse("audit:telegram", args=[tid]))
            for pk, tid, receipt_no, name in rows}


def describe_handbacks(ids: list[str]) -> dict[str, catalog.Shown]:
    rows = (Handback.objects.filter(pk__in=[int(i) for i in ids if i.isdigit()])
            .values_list("pk", "delivery__telegram_id", "delivery__telegram__receipt_no", "delivery__unit__name"))
    return {str(pk): catalog.Shown(f"{receipt_no} · {unit}退回", reverse("audit:telegram", args=[tid]))
            for pk, tid, receipt_no, unit in rows}


def describe_files(ids: list[str]) -> dict[str, catalog.Shown]:
    rows = (ResultFile.objects.filter(pk__in=[int(i) for i in ids if i.isdigit()])
            .values_list("pk", "delivery__telegram_id", "delivery__telegram__receipt_no", "delivery__unit__name", "filename"))
    return {str(pk): catalog.Shown(f"{receipt_no} · {unit} · {name}", reverse("audit:telegram", args=[tid]))
            for pk, tid, receipt_no, unit, name in rows}


def register() -> None:
    catalog.register_object("routing.delivery", label="分送", describe=describe_deliveries)
    catalog.register_object("routing.routingorder", label="分送指令", describe=describe_orders)
    catalog.register_object("routing.unknownunit", label="未找到的单位", describe=describe_unknown_units)
    catalog.register_actions({
        "routing.unknown_units": "批办中有未找到的单位", "routing.unknown_routed": "补分送未找到的单位",
        "routing.unknown_set_aside": "未找到的单位不分送",
    })
    catalog.register_fields(
        {"deliveries": "分送单位", "routes": "分送单位", "deadline": "办结期限", "close": "宣布全件办结",
         "source": "来源", "text": "指示原文", "names": "未找到的单位", "note": "说明"},
        values={"role": dict(Role.choices), "source": dict(RoutingOrder.Source.choices)},
    )
    catalog.register_fields({"name": "批办中的名称", "unit": "分送给"}, object_types=["routing.unknownunit"])
    catalog.register_fields({}, values={"state": dict(DeliveryState.choices)}, object_types=["routing.delivery"])
    # Issue 12: a unit's 退回 and 转办, re-routing, 代签收, attachments.
    catalog.register_object("routing.handback", label="单位退回", describe=describe_handbacks)
    catalog.register_object("routing.resultfile", label="办理结果附件", describe=describe_files)
    catalog.register_actions({
        "routing.hand_back": "单位退回", "routing.reroute": "退回后改送", "routing.handback_settled": "退回后不再分送",
        "routing.transfer": "转办", "routing.download_file": "下载办理结果附件",
    })
    catalog.register_fields({"from_unit": "退回单位", "to_unit": "转办给", "approved_by": "同意转办的领导",
                             "proxy": "机要员代办", "files": "附件"})
