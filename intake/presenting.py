"""What the registration form and the desk's intake pages show about a held scan and a registration still being
typed: the scan's URLs and OCR progress, what it read as the form's prefill, and the deadline saving would give.
Nothing here writes but the audit entry of a scan's text being read (as a telegram's body is)."""
from __future__ import annotations

from datetime import date, datetime

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from audit.services import record
from core.errors import ActionError
from ocr import actions as ocr_actions
from ocr.models import OcrState
from routing import deadlines
from routing.models import Role
from routing.planning import default_deadline
from telegrams.inputs import TelegramInput
from telegrams.models import Precedence, Telegram
from telegrams.textparse import TelegramParseError

from . import actions, prefill
from .models import IntakeScan


def scan_urls(scan: IntakeScan) -> dict[str, str]:
    return {
        "form": f"{reverse('telegrams:create')}?scan={scan.uid}",
        "status": reverse("intake:scan_status", args=[scan.uid]),
        "prefill": reverse("intake:scan_prefill", args=[scan.uid]),
        "file": reverse("intake:scan_file", args=[scan.uid]),
    }


def status_of(scan: IntakeScan) -> dict:
    """What the progress line shows: 排队中 / 正在识别第 2 页，共 3 页 / 已完成 / 识别失败：…; `final` once it
    will not change again (no OCR for a held scan)."""
    job = scan.ocr_job
    if job is None:
        return {"state": "none", "progress": "未识别（仅保存扫描件）", "page": 0, "pages": scan.pages, "final": True,
                "ok": False}
    return {"state": job.state, "progress": job.progress, "page": job.page, "pages": job.pages,
            "final": job.state in (OcrState.DONE, OcrState.FAILED), "ok": job.state == OcrState.DONE,
            "confidence": round(job.mean_confidence, 2) if job.mean_confidence is not None else None}


def read_prefill(scan: IntakeScan, *, actor=None) -> prefill.Prefill | None:
    """What the scan's OCR read, as the form's prefill; None while it is not read (or could not be). With an
    `actor` the reading is audited: it shows the telegram's text, like opening its body."""
    if scan.ocr_job is None or scan.ocr_job.state != OcrState.DONE:
        return None
    try:
        filled = prefill.from_ocr(ocr_actions.result_of(scan.ocr_job))
    except TelegramParseError:
        return None
    if actor is not None:
        with transaction.atomic():
            record(actor, "intake.scan_read", scan, {"file": scan.filename})
    return filled


def _received(value) -> datetime | None:
    if isinstance(value, datetime):
        return value
    for fmt in ("%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"):
        try:
            return timezone.make_aware(datetime.strptime(value.strip(), fmt))
        except (ValueError, AttributeError):
            continue
    return None


def full_date(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def deadline_preview(values) -> dict:
    """The deadline saving would give the deliveries — the 批办's explicit date (请…于X月X日前办结), else the
    precedence's DEADLINE_DAYS from the day received — and where the 批办 would send it. Nothing is written."""
    precedence = (values.get("precedence") or "").strip()
    received = _received(values.get("received_at") or "")
    instruction = (values.get("instruction") or "").strip()
    if precedence not in Precedence.values or received is None or not 1949 <= received.year <= 9000:
        return {"deadline": None, "text": "选择等级并填写收报时间后显示办理期限。", "routes": "", "note": ""}
    routes_text, note, explicit = "", "", None
    if instruction:
        try:
            plan = actions.plan(TelegramInput(sender_unit_name="", precedence=precedence, received_at=received,
                                              title="", instruction=instruction))
        except ActionError as exc:
            note = exc.message
        else:
            explicit = plan.deadline
            routes_text = "、".join(f"{r['unit']}（{Role(r['role']).label}）" for r in plan.routes)
            if plan.unknown:
                note = plan.describe_unknown() + "。保存后已知单位照常分送，未找到的单位列入“待处理单位”。"
            if plan.files_only:
                routes_text = "存档，不分送"
    if explicit:
        deadline, basis = explicit, "批办指定"
    else:
        deadline = default_deadline(Telegram(precedence=precedence, received_at=received))
        days = settings.DEADLINE_DAYS.get(precedence, 10)
        unit = "个工作日" if deadlines.counting_for(precedence) == deadlines.WORKING else "天"
        basis = f"{precedence}，收报后 {days} {unit}"
    lead = "办理期限" if instruction else "办理期限（领导批示分送后）"
    return {"deadline": deadline.isoformat(), "text": f"{lead}：{full_date(deadline)}（{basis}）",
            "routes": f"分送：{routes_text}" if routes_text else "", "note": note}
