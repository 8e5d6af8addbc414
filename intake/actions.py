"""Registering a received telegram, from whatever source: resolve its 批办 against the directory, then one
transaction writes the record (telegrams.actions.register) and — in the same transaction, through the `attach`
hook — the routing order for the units found, the 待处理 list for names the directory lacks, and the held scans
(IntakeScan) it takes over. A received telegram is always registered: an unknown unit in its 批办 is flagged for
the clerk, never a reason to refuse.

The only code that assigns `IntakeScan.state`: a scan is received (for OCR or only held), registered with a
telegram, or set aside with a reason; each change is audited in its own transaction."""
from __future__ import annotations

import dataclasses
import hashlib
import re
from collections.abc import Sequence

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from audit.services import record
from core.errors import ActionError, InvalidInput, NotAllowed
from directory import snapshot
from ocr import actions as ocr_actions
from ocr import engine as ocr_engine
from routing import actions as routing_actions
from routing.models import RoutingOrder
from routing.planning import RoutingPlan, plan_for
from telegrams import actions as telegram_actions
from telegrams import scanfiles
from telegrams.inputs import ScanUpload, TelegramInput
from telegrams.models import Precedence, Telegram, TelegramState
from vault import crypto, files

from .models import INTAKE_LIFECYCLE, IntakeScan, IntakeSource, IntakeState


def plan(data: TelegramInput, units: snapshot.Snapshot | None = None) -> RoutingPlan | None:
    """The 批办 resolved against the directory (None without one). Unparseable text raises InvalidInput."""
    if not data.instruction.strip() or data.received_at is None:
        return None
    return plan_for(data.instruction, received_on=timezone.localdate(data.received_at), units=units)


def register(data: TelegramInput, *, actor: AbstractBaseUser, held: Sequence[IntakeScan] = ()) -> Telegram:
    """Register `data`; `held` scans (waiting IntakeScans: the OCR upload, scans kept across a failed validation,
    a folder scan) become the telegram's scans in the same transaction — no second upload. Raises the actions'
    typed errors (telegrams.actions.AlreadyRegistered for a submission seen before, Duplicate, InvalidInput,
    NotAllowed — also for a held scan another registration took first) with nothing written.

    The telegram returned carries `unknown_names`: the 批办's names the directory lacks, now on the clerk's
    待处理单位 list (the page that says so needs no query for them)."""
    # The 批办 and the sender are resolved against one snapshot of the directory: the one in memory, checked by the
    # statement that numbers the telegram (no query of its own); if the directory changed meanwhile, the
    # transaction rolls back and the registration is planned again with the units as they are now.
    units, held = snapshot.cached(), list(held)
    for attempt in range(3):
        units = units or snapshot.current()
        try:
            return _register(data, actor=actor, held=held, units=units)
        except snapshot.Stale:
            if attempt == 2:  # changed under three tries in a row: the clerk is asked to save again
                raise
            units = None
            for scan in held:  # taken over in memory by the attempt rolled back
                scan.refresh_from_db()
    raise AssertionError("unreachable")


def _register(data: TelegramInput, *, actor: AbstractBaseUser, held: Sequence[IntakeScan],
              units: snapshot.Snapshot) -> Telegram:
    routes = plan(data, units)
    state = TelegramState.REGISTERED
    if routes is not None and routes.routes:
        state = TelegramState.INSTRUCTED  # written so at once: no second UPDATE for the order
    held = list(held)
    for scan in held:
        _check_waiting(scan)
    if held:  # decrypted before the transaction: the registration queue never waits on file reads
        data = dataclasses.replace(data, scans=[*data.scans, *(
            ScanUpload(s.filename, s.content_type, s.read()) for s in held)])

    # 特提 ahead of the queue: its 批办 is routed in the registering transaction (open_order's `inline`), so its
    # deliveries commit with it and no worker queue stands in between.
    inline = bool(settings.ROUTE_URGENT_INLINE and data.precedence == Precedence.TETI)

    def attach(telegram: Telegram) -> list:
        entries: list = []
        if routes is not None:
            routing_actions.open_order(telegram, source=RoutingOrder.Source.INSTRUCTION, text=telegram.instruction,
                                       plan=routes, actor=actor, keep_unknown=True, audit_batch=entries,
                                       inline=inline)
        if held:
            entries += _take_over(held, telegram, actor)
        return entries

    telegram = telegram_actions.register(data, actor=actor, state=state, units=units, attach=attach)
    telegram.unknown_names = tuple(routes.unknown) if routes is not None else ()
    return telegram


def _check_waiting(scan: IntakeScan, new: str = IntakeState.REGISTERED) -> None:
    if scan.state == new == IntakeState.REGISTERED and scan.telegram_id:
        number = Telegram.objects.filter(pk=scan.telegram_id).values_list("receipt_no", flat=True).first()
        raise NotAllowed(f"扫描件“{scan.filename}”已登记为 {number}，不能再次登记。", field="held",
                         code="scan_taken", existing=scan.telegram_id)
    INTAKE_LIFECYCLE.check(scan.state, new, message=f"扫描件“{scan.filename}”已{scan.get_state_display()}，不能再登记。"
                           if scan.state != IntakeState.WAITING else None)


def _take_over(held: list[IntakeScan], telegram: Telegram, actor: AbstractBaseUser) -> list:
    """Inside the registration's transaction (after the telegram row, before the number): each held scan goes
    from 待登记 to 已登记 only if it still waits — a conditional UPDATE, so two clerks saving the same scan cannot
    both take it (the second one's registration rolls back whole)."""
    now = timezone.now()
    entries = []
    for scan in held:
        taken = IntakeScan.objects.filter(pk=scan.pk, state=IntakeState.WAITING).update(
            state=IntakeState.REGISTERED, telegram=telegram, closed_by=actor, closed_at=now)
        if not taken:
            scan.refresh_from_db()
            _check_waiting(scan)  # raises: somebody registered or set it aside meanwhile
        scan.state, scan.telegram, scan.closed_by, scan.closed_at = IntakeState.REGISTERED, telegram, actor, now
        # A function: the receipt number it quotes is allocated after this runs (audit.services.record_many).
        entries.append(("intake.scan_registered", scan, lambda scan=scan: {
            "file": scan.filename, "sha256": scan.sha256, "source": scan.source,
            "ocr_job": scan.ocr_job_id, "receipt_no": telegram.receipt_no,
        }, ""))
    return entries


def preflight(data: TelegramInput) -> dict[str, str]:
    """What saving would refuse or flag, by field, without writing: the paste preview shows it before the clerk
    presses 保存. The same checks as the action (telegrams.actions.problems), plus the 批办's unknown units."""
    notes = {exc.field or "": exc.message for exc in reversed(telegram_actions.problems(data, with_database=True))}
    try:
        routes = plan(data)
    except ActionError as exc:
        notes[exc.field or "instruction"] = exc.message
    else:
        if routes is not None and routes.unknown:
            notes["instruction"] = routes.describe_unknown() + "。保存后已知单位照常分送，未找到的单位列入“待处理单位”。"
    return notes


def _checked(filename: str, content: bytes) -> tuple[str, str]:
    """(clean file name, content type judged by content) or InvalidInput: the same rules as the form's scans."""
    name = re.sub(r"[\\/\x00-\x1f]", "_", filename or "scan")[-200:] or "scan"
    if not content:
        raise InvalidInput(f"扫描件“{name}”为空。", field="scan")
    if len(content) > settings.SCAN_MAX_BYTES:
        raise InvalidInput(f"扫描件“{name}”超过{settings.SCAN_MAX_BYTES // (1024 * 1024)}MB，请压缩后再上传。", field="scan")
    kind = ocr_engine.kind_of(content)
    if kind is None:
        raise InvalidInput(f"扫描件“{name}”不是PDF、JPEG或PNG文件（按文件内容判断）。", field="scan")
    try:
        scanfiles.image_size(content, kind)
    except scanfiles.BadImage as exc:
        raise InvalidInput(f"扫描件“{name}”的{exc}，请重新扫描。", field="scan") from None
    return name, kind


def hold(upload: ScanUpload, *, actor: AbstractBaseUser, source: str = IntakeSource.FORM) -> IntakeScan:
    """Keep a scan for a registration still to come (no OCR): sealed to disk, recorded, audited."""
    name, kind = _checked(upload.filename, upload.content)
    scan = IntakeScan(source=source, filename=name, content_type=kind, size=len(upload.content),
                      sha256=hashlib.sha256(upload.content).hexdigest(), key_id=crypto.keyring().current,
                      created_by=actor)
    INTAKE_LIFECYCLE.check_initial(scan.state)
    # Written before the row, as telegrams' scans are (a row never points at nothing), and removed again if the
    # transaction is refused (vault.files).
    with transaction.atomic(), files.removed_on_error() as written:
        files.write_sealed(scan.own_path, crypto.seal(upload.content, scan.aad), written)
        scan.save()
        record(actor, "intake.scan_held", scan, {"file": scan.filename, "sha256": scan.sha256, "size": scan.size,
                                                 "source": scan.source})
    return scan


def receive(filename: str, content: bytes, *, actor: AbstractBaseUser, source: str = IntakeSource.UPLOAD) -> IntakeScan:
    """A scan to be read into the form: an OCR job on the `ocr` queue (sent after commit) and the scan waiting
    for a clerk to confirm what was read. Without the OCR extra an upload is refused (InvalidInput, code
    "ocr_unavailable") and a folder scan is only held, for a clerk to register by hand beside it."""
    name, kind = _checked(filename, content)
    if not ocr_engine.available():
        if source == IntakeSource.FOLDER:
            return hold(ScanUpload(name, kind, content), actor=actor, source=source)
        raise InvalidInput("本系统未安装文字识别组件，不能识别扫描件；请粘贴电报文本或手工填写。", field="scan",
                           code="ocr_unavailable")
    with transaction.atomic():
        job = ocr_actions.submit(actor=actor, filename=name, content=content)
        scan = IntakeScan(source=source, ocr_job=job, filename=job.filename, content_type=job.content_type,
                          size=job.size, sha256=job.sha256, created_by=actor)
        INTAKE_LIFECYCLE.check_initial(scan.state)
        scan.save()
        record(actor, "intake.scan_received", scan, {"file": scan.filename, "sha256": scan.sha256,
                                                     "source": scan.source, "ocr_job": job.pk})
    return scan


def set_aside(scan: IntakeScan, *, actor: AbstractBaseUser, reason: str) -> IntakeScan:
    """搁置: not registered (a copy of one registered already, not a telegram, unreadable) — kept with the reason."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("请填写搁置原因。", field="reason")
    with transaction.atomic():
        scan = IntakeScan.objects.select_for_update().get(pk=scan.pk)
        INTAKE_LIFECYCLE.check(scan.state, IntakeState.SET_ASIDE)
        scan.state, scan.reason = IntakeState.SET_ASIDE, reason[:200]
        scan.closed_by, scan.closed_at = actor, timezone.now()
        scan.save(update_fields=["state", "reason", "closed_by", "closed_at"])
        record(actor, "intake.scan_set_aside", scan, {"file": scan.filename, "reason": scan.reason})
    return scan
