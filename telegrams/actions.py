"""Every state change of a telegram: register, correct, void, follow its deliveries, file, add scans. The only code that
assigns `Telegram.state`; each action checks the transition against TELEGRAM_LIFECYCLE, writes its audit entry
in the same transaction and announces its effect after commit (telegrams.events)."""
from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import NamedTuple

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models.functions import Now
from django.utils import timezone

from audit.services import record, record_many
from core.errors import ActionError, Duplicate, InvalidInput, NotAllowed
from core.events import announce
from directory import snapshot
from vault import crypto, files

from . import numbering
from .events import TelegramOpened, TelegramRegistered, TelegramVoided
from .inputs import HEADER_FIELDS, ScanUpload, TelegramInput, normalize_doc_no
from .models import TELEGRAM_LIFECYCLE, Precedence, Scan, Telegram, TelegramChange, TelegramState

# An audit entry prepared by another app for the registration's own append: (action, obj, data, object_type).
AuditItem = tuple


class AlreadyRegistered(Duplicate):
    """The same submission (form token or Idempotency-Key) registered a telegram already; `existing` is its pk."""

    code = "already_registered"


def _duplicate(data: TelegramInput) -> Duplicate:
    existing = (Telegram.objects.filter(sender_unit_name=data.sender_unit_name.strip(), sender_doc_no=data.sender_doc_no)
                .exclude(state=TelegramState.VOID).values_list("pk", "receipt_no").first())
    pk, receipt_no = existing or (None, "")
    where = f"（收文号 {receipt_no}）" if receipt_no else ""
    return Duplicate(f"重复收文：{data.sender_unit_name} 的 {data.sender_doc_no} 已经登记过{where}。", field="sender_doc_no",
                     existing=pk, receipt_no=receipt_no)


def check_received_at(value: datetime, field: str = "received_at") -> None:
    if value > timezone.now() + timezone.timedelta(minutes=1):
        raise InvalidInput("收报时间不能晚于当前时间。", field=field)
    if value.year < 1949:
        raise InvalidInput("收报时间不正确。", field=field)


def _lengths(data: TelegramInput) -> list[ActionError]:
    """Text longer than its column: the same limits for every source (a form also says so before posting)."""
    found = []
    for f in Telegram._meta.concrete_fields:
        value = getattr(data, f.name, None)
        if isinstance(value, str) and f.max_length and len(value.strip()) > f.max_length:
            found.append(InvalidInput(f"{f.verbose_name}不能超过{f.max_length}字。", field=f.name))
    for name, label in (("addressees", "主送"), ("cc", "抄送")):
        if len("、".join(getattr(data, name))) > 2000:
            found.append(InvalidInput(f"{label}不能超过2000字。", field=name))
    return found


def problems(data: TelegramInput, *, with_database: bool = False) -> list[ActionError]:
    """Everything that would refuse this registration, without writing anything. The register action raises the
    first one; the paste preview shows them all (`with_database`: also a duplicate or a taken number, which the
    action itself leaves to the unique indexes)."""
    found: list[ActionError] = []
    if data.classification and data.classification != "明电":
        found.append(NotAllowed("密电等涉密电报不得在本系统登记，请按密件渠道处理。", field="classification", code="classified"))
    if not data.sender_unit_name.strip():
        found.append(InvalidInput("请填写来电单位。", field="sender_unit_name"))
    if data.precedence not in Precedence.values:
        found.append(InvalidInput("等级只能是特提、特急、加急或平急。", field="precedence"))
    if not data.title.strip():
        found.append(InvalidInput("标题不能为空。", field="title"))
    if data.received_at is None:
        found.append(InvalidInput("请填写收报时间。", field="received_at"))
    else:
        try:
            check_received_at(data.received_at)
        except InvalidInput as exc:
            found.append(exc)
    if data.signed_on and (data.signed_on.year < 1949 or data.signed_on > timezone.localdate() + timezone.timedelta(days=1)):
        found.append(InvalidInput("成文日期不正确。", field="signed_on"))
    for name, label in (("pages", "页数"), ("copies", "份数")):
        value = getattr(data, name)
        if value is not None and not 1 <= value <= 9999:
            found.append(InvalidInput(f"{label}应在1到9999之间。", field=name))
    found += _lengths(data)
    if data.receipt_no and data.received_at is not None:
        try:
            year, seq = numbering.check_paper_number(data.receipt_no, timezone.localtime(data.received_at).year)
            if with_database and Telegram.objects.filter(receipt_year=year, receipt_seq=seq).exists():
                found.append(Duplicate(f"收文号 {numbering.format_receipt_no(year, seq)} 已被占用。", field="receipt_no",
                                       code="number_taken"))
        except InvalidInput as exc:
            found.append(exc)
    if with_database and data.sender_doc_no and Telegram.objects.filter(
        sender_unit_name=data.sender_unit_name.strip(), sender_doc_no=normalize_doc_no(data.sender_doc_no)
    ).exclude(state=TelegramState.VOID).exists():
        found.append(_duplicate(dataclasses.replace(data, sender_doc_no=normalize_doc_no(data.sender_doc_no))))
    return found


def _unit_id_for(name: str, units: snapshot.Snapshot | None = None) -> int | None:
    """The directory unit a sender name stands for (full or short name), from the in-memory directory."""
    found = (units or snapshot.current()).find(name)
    return found.id if found else None


def _store_scan(telegram: Telegram, upload: ScanUpload, actor: AbstractBaseUser, written: list) -> Scan:
    scan = Scan(
        telegram=telegram, filename=upload.filename[:200], content_type=upload.content_type,
        size=len(upload.content), sha256=hashlib.sha256(upload.content).hexdigest(), uploaded_by=actor,
        key_id=crypto.keyring().current,
    )
    # The file before the row, so the row never points at nothing; `written` lets register remove the file
    # when its transaction rolls back (vault.files).
    files.write_sealed(scan.path, crypto.seal(upload.content, scan.aad), written)
    scan.save()
    return scan


def register(data: TelegramInput, *, actor: AbstractBaseUser, state: str = TelegramState.REGISTERED,
             units: snapshot.Snapshot | None = None,
             attach: Callable[[Telegram], list[AuditItem]] | None = None) -> Telegram:
    """Register a received telegram in one transaction: the row (encrypted body), its scans, whatever `attach`
    writes for it (intake passes the routing order of its 批办, so this app needs none of routing's), then the
    receipt number, then the audit entries — one lock of the chain head for the registration and what was
    attached. `state` is the initial state the caller determined (已批办 when the 批办 routes).

    Raises AlreadyRegistered when the same submission registered a telegram before (the caller shows that one),
    Duplicate for the same sender's number registered before, InvalidInput/NotAllowed for bad input."""
    refused = problems(data)
    if refused:
        raise refused[0]
    TELEGRAM_LIFECYCLE.check_initial(state)
    data.sender_doc_no = normalize_doc_no(data.sender_doc_no)
    sender = data.sender_unit_name.strip()
    telegram = Telegram(
        sender_unit_name=sender, sender_unit_id=_unit_id_for(sender, units),
        precedence=data.precedence, received_at=data.received_at, title=data.title.strip(),
        sending_unit=data.sending_unit, issuer=data.issuer, sender_doc_no=data.sender_doc_no,
        addressees=data.addressees, cc=data.cc, pages=data.pages, copies=data.copies,
        signatory=data.signatory, signed_on=data.signed_on, instruction=data.instruction.strip(),
        proposal=data.proposal.strip(), registered_by=actor, state=state,
        receipt_year=timezone.localtime(data.received_at).year, submission_key=data.submission_key or None,
    )
    telegram.set_body(data.body)
    getattr(actor, "person", None)  # the audit entry names the actor: load it now, not while others queue
    paper_no = numbering.check_paper_number(data.receipt_no, telegram.receipt_year) if data.receipt_no else None  # (year, seq)
    try:
        with transaction.atomic(), files.removed_on_error() as written:  # a refusal leaves no scan file behind
            if paper_no:  # a number already written on paper: rare, so it simply takes the counter's lock first
                if data.sender_doc_no and Telegram.objects.filter(
                    sender_unit_name=sender, sender_doc_no=data.sender_doc_no
                ).exclude(state=TelegramState.VOID).exists():  # the same file again is a duplicate, not a clash
                    raise _duplicate(data)
                telegram.receipt_no, telegram.receipt_seq = numbering.claim(*paper_no), paper_no[1]
            telegram.save(force_insert=True)
            scans = [_store_scan(telegram, s, actor, written) for s in data.scans]
            attached = attach(telegram) if attach else []
            # Registrations queue from here to COMMIT, one at a time (gapless numbers, one audit chain): only
            # the number and the audit entries are written in the queue.
            head = numbering.number(telegram).audit_head if not paper_no else None
            record_many(actor, [("telegram.register", telegram, {
                "receipt_no": telegram.receipt_no, "sender_unit": telegram.sender_unit_name,
                "precedence": telegram.precedence, "title": telegram.title, "sender_doc_no": telegram.sender_doc_no,
                "instruction": telegram.instruction, "scans": [{"file": s.filename, "sha256": s.sha256} for s in scans],
            }, ""), *attached], head=head)
    except (IntegrityError, Duplicate) as exc:
        # A unique index refused the row (or a paper number's checks found it taken); the transaction is rolled
        # back. The same submission seen before is no duplicate: it lands on the record it made.
        if data.submission_key:
            earlier = Telegram.objects.filter(submission_key=data.submission_key).values_list("pk", "receipt_no").first()
            if earlier:
                raise AlreadyRegistered(f"该来电已经登记（收文号 {earlier[1]}），未重复登记。", existing=earlier[0],
                                        receipt_no=earlier[1])
        if isinstance(exc, Duplicate):
            raise
        if data.sender_doc_no:
            raise _duplicate(data)
        raise
    announce(TelegramRegistered(telegram.pk, telegram.receipt_no, telegram.precedence, telegram.sender_unit_name,
                                telegram.title))
    return telegram


def _as_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return "、".join(value)
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    return str(value)


def _locked(telegram: Telegram) -> Telegram:
    return Telegram.objects.select_for_update().get(pk=telegram.pk)


def correct(telegram: Telegram, changes: dict, *, actor: AbstractBaseUser, reason: str) -> list[TelegramChange]:
    """Correct header fields; each change is kept (old → new) and audited. The receipt number never changes."""
    if not reason.strip():
        raise InvalidInput("请填写更正原因。", field="reason")
    if "sender_doc_no" in changes:
        changes["sender_doc_no"] = normalize_doc_no(changes["sender_doc_no"])
    if "received_at" in changes:
        check_received_at(changes["received_at"])
    if "title" in changes and not str(changes["title"]).strip():
        raise InvalidInput("标题不能为空。", field="title")
    with transaction.atomic():
        telegram = _locked(telegram)
        if telegram.state == TelegramState.VOID:
            raise NotAllowed("已作废的来电不能更正。")
        made = []
        for name, new in changes.items():
            if name not in HEADER_FIELDS:
                continue
            old = getattr(telegram, name)
            if old == new:
                continue
            setattr(telegram, name, new)
            made.append(TelegramChange(
                telegram=telegram, by=actor, field=name, old=_as_text(old), new=_as_text(new), reason=reason.strip()
            ))
        if not made:
            return []
        if "sender_unit_name" in changes:
            telegram.sender_unit_id = _unit_id_for(telegram.sender_unit_name)
        try:
            with transaction.atomic():
                telegram.save()
        except IntegrityError:
            raise Duplicate(f"重复收文：{telegram.sender_unit_name} 的 {telegram.sender_doc_no} 已经登记过。",
                            field="sender_doc_no")
        TelegramChange.objects.bulk_create(made)
        record(actor, "telegram.correct", telegram, {
            "reason": reason.strip(),
            "changes": {c.field: {"old": c.old, "new": c.new} for c in made},
        })
    return made


def void(telegram: Telegram, *, actor: AbstractBaseUser, reason: str) -> Telegram:
    """作废: the record stays, keeps its number, and is marked void with a reason."""
    reason = reason.strip()
    if not reason:
        raise InvalidInput("请填写作废原因。", field="reason")
    with transaction.atomic():
        telegram = _locked(telegram)
        TELEGRAM_LIFECYCLE.check(telegram.state, TelegramState.VOID,
                                 message="该来电已经作废。" if telegram.state == TelegramState.VOID else None)
        old_state = telegram.state
        telegram.state = TelegramState.VOID
        telegram.void_reason = reason[:200]
        telegram.save(update_fields=["state", "void_reason", "updated_at"])
        TelegramChange.objects.create(
            telegram=telegram, by=actor, field="state", old=TelegramState(old_state).label,
            new=TelegramState.VOID.label, reason=telegram.void_reason,
        )
        record(actor, "telegram.void", telegram, {"receipt_no": telegram.receipt_no, "reason": telegram.void_reason})
    announce(TelegramVoided(telegram.pk, telegram.receipt_no))
    return telegram


def follow(moves: Iterable[tuple[Telegram, str]]) -> dict[int, str]:
    """Move telegrams to the states their deliveries now call for (routing decides which; this checks and writes).
    Called inside the routing action's transaction, which records the audit entry naming the change. A telegram
    already in the target state is left alone. Returns {telegram id: new state} for what changed."""
    by_state: dict[str, list[int]] = {}
    for telegram, new in moves:
        if telegram.state == new:
            continue
        TELEGRAM_LIFECYCLE.check(telegram.state, new)
        by_state.setdefault(new, []).append(telegram.pk)
        telegram.state = new
    for state, ids in by_state.items():
        Telegram.objects.filter(pk__in=ids).update(state=state, updated_at=Now())
    return {pk: state for state, ids in by_state.items() for pk in ids}


def file_away(telegram: Telegram, *, actor, source: str, text: str) -> AuditItem:
    """A 批办/批示 that only says 存档/归档: the telegram is filed with no action. Returns the audit item for the
    caller's own append (one chain-head lock with the rest of its change)."""
    TELEGRAM_LIFECYCLE.check(telegram.state, TelegramState.ARCHIVED)
    Telegram.objects.filter(pk=telegram.pk).update(state=TelegramState.ARCHIVED, updated_at=Now())
    telegram.state = TelegramState.ARCHIVED
    return ("telegram.archive", telegram, {"source": source, "text": text}, "")


class ScansAdded(NamedTuple):
    scans: list[Scan]  # one per upload, in order: the new scan, or the one already holding the same bytes
    added: list[Scan]  # those stored now


def add_scans(telegram: Telegram, scans: list[ScanUpload], actor: AbstractBaseUser) -> ScansAdded:
    """补充扫描件: attach scans to a registered telegram, with one audit entry. A file this telegram already holds
    (the same SHA-256) is not stored twice, so a retried upload changes nothing. A void or archived record is
    closed: it refuses."""
    if not scans:
        raise InvalidInput("请选择要上传的扫描件。", field="scans")
    with transaction.atomic(), files.removed_on_error() as written:  # a refusal leaves no scan file behind
        telegram = _locked(telegram)
        if telegram.state in (TelegramState.VOID, TelegramState.ARCHIVED):
            raise NotAllowed(f"{TelegramState(telegram.state).label}的来电不能补充扫描件。", code="closed")
        held = {s.sha256: s for s in telegram.scans.all()}
        result, added = [], []
        for upload in scans:
            scan = held.get(hashlib.sha256(upload.content).hexdigest())
            if scan is None:
                scan = _store_scan(telegram, upload, actor, written)
                held[scan.sha256] = scan
                added.append(scan)
            result.append(scan)
        if added:
            record(actor, "telegram.add_scans", telegram, {
                "receipt_no": telegram.receipt_no, "scans": [{"file": s.filename, "sha256": s.sha256} for s in added],
            })
    return ScansAdded(result, added)


def read_body(telegram: Telegram, *, actor: AbstractBaseUser) -> str:
    """Decrypt the body for display; viewing is itself an audited action."""
    with transaction.atomic():
        record(actor, "telegram.view_body", telegram, {"receipt_no": telegram.receipt_no})
        announce(TelegramOpened(telegram.pk, actor.pk))
    return telegram.body
