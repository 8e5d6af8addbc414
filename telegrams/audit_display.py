"""How the audit log shows this app's objects and data (audit.catalog; called from TelegramsConfig.ready)."""
from __future__ import annotations

from django.urls import reverse

from audit import catalog

from .filters import RegisterFilter
from .models import ReplyMethod, ReturnReason, Scan, Telegram, TelegramKind, TelegramState


def _history(pk: int) -> str:
    return reverse("audit:telegram", args=[pk])


def describe_telegrams(ids: list[str]) -> dict[str, catalog.Shown]:
    rows = Telegram.objects.filter(pk__in=_ints(ids)).values_list("pk", "receipt_no")
    return {str(pk): catalog.Shown(receipt_no or "（未编号）", _history(pk)) for pk, receipt_no in rows}


def describe_scans(ids: list[str]) -> dict[str, catalog.Shown]:
    rows = Scan.objects.filter(pk__in=_ints(ids)).values_list("pk", "filename", "telegram_id", "telegram__receipt_no")
    return {str(pk): catalog.Shown(f"{receipt_no} · {filename}", _history(tid)) for pk, filename, tid, receipt_no in rows}


def find_telegrams(term: str) -> list[int]:
    return list(Telegram.objects.filter(receipt_no=term.strip()).values_list("pk", flat=True)[:1])


def _ints(ids: list[str]) -> list[int]:
    return [int(i) for i in ids if i.isdigit()]


def register() -> None:
    catalog.register_object("telegrams.telegram", label="来电", describe=describe_telegrams, find=find_telegrams)
    catalog.register_object("telegrams.scan", label="扫描件", describe=describe_scans)
    catalog.register_object("telegrams.register", label="收文登记簿")
    catalog.register_actions({"telegram.add_scans": "补充扫描件"})
    catalog.register_fields(
        {f.name: f.verbose_name for f in Telegram._meta.concrete_fields} | {"sender_unit": "来电单位", "scans": "扫描件"},
        values={"state": dict(TelegramState.choices)}, object_types=["telegrams.telegram"],
    )
    catalog.register_fields({"receipt_no": "收文号", "pages": "页数", "precedence": "等级"},
                            values={"format": {"html": "网页打印", "pdf": "PDF", "xlsx": "Excel", "csv": "CSV"}})
    # register.export: the filters the export was asked with (telegrams.filters.RegisterFilter)
    catalog.register_fields(
        {"rows": "行数", "range": "范围", "filters": "筛选条件", "sender": "来电单位", "date_from": "收报日期自",
         "date_to": "收报日期至"} | {name: f.label for name, f in RegisterFilter.base_filters.items()
                                    if name not in ("date_from", "date_to")},
        values={"state": dict(TelegramState.choices)}, object_types=["telegrams.register"],
    )

    # Issue 12: 初审, 拟办, 退文, 答复.
    catalog.register_actions({
        "telegram.review": "初审", "telegram.propose": "拟办", "telegram.return": "退文",
        "telegram.print_return_notice": "打印退文告知单", "telegram.reply": "答复",
    })
    catalog.register_fields(
        {"previous": "原值", "reasons": "退文原因", "other_reason": "其他原因", "note": "说明",
         "previous_state": "原状态", "cancelled": "撤销分送的单位", "orders_cancelled": "撤销的分送指令",
         "needed": "需要答复", "method": "答复方式", "doc_no": "答复文号", "replied_at": "答复时间",
         "replied_by": "答复人", "text_hmac": "答复内容摘要（HMAC）"},
        values={"kind": dict(TelegramKind.choices), "previous": dict(TelegramKind.choices),
                "reasons": dict(ReturnReason.choices), "method": dict(ReplyMethod.choices),
                "previous_state": dict(TelegramState.choices)},
        object_types=["telegrams.telegram"],
    )
