"""State changes of the register. Each runs in one transaction together with its audit entry."""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date, datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone

from audit.services import record, record_many
from directory import snapshot
from vault import crypto

from . import numbering
from .models import Scan, State, Telegram, TelegramChange


class RegistrationError(Exception):
    """A registration refused for a reason the clerk can fix; `field` names the form field (or None)."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


_BRACKETS = str.maketrans({"[": "〔", "]": "〕", "［": "〔", "］": "〕", "【": "〔", "】": "〕"})


def normalize_doc_no(text: str) -> str:
    """工发电[2020]7号, 工发电［2020］7号 → 工发电〔2020〕7号 (the form the register stores and compares)."""
    return re.sub(r"\s+", "", text or "").translate(_BRACKETS)


@dataclass
class ScanUpload:
    filename: str
    content_type: str
    content: bytes


@dataclass
class TelegramInput:
    sender_unit_name: str
    precedence: str
    received_at: datetime
    title: str
    classification: str = "明电"
    sending_unit: str = ""
    issuer: str = ""
    sender_doc_no: str = ""
    addressees: list[str] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)
    pages: int | None = None
    copies: int | None = None
    signatory: str = ""
    signed_on: date | None = None
    body: str = ""
    instruction: str = ""
    proposal: str = ""
    receipt_no: str = ""  # only when the text carried a number already given on paper
    scans: list[ScanUpload] = field(default_factory=list)


HEADER_FIELDS = (
    "sender_unit_name", "precedence", "received_at", "title", "sending_unit", "issuer", "sender_doc_no",
    "addressees", "cc", "pages", "copies", "signatory", "signed_on",
)


def _check(data: TelegramInput) -> None:
    if data.classification and data.classification != "明电":
        raise RegistrationError("密电等涉密电报不得在本系统登记，请按密件渠道处理。", "classification")
    if data.received_at > timezone.now() + timezone.timedelta(minutes=1):
        raise RegistrationError("收报时间不能晚于当前时间。", "received_at")
    if not data.title.strip():
        raise RegistrationError("标题不能为空。", "title")


def _unit_id_for(name: str, units: snapshot.Snapshot | None = None) -> int | None:
    """The directory unit a sender name stands for (full or short name), from the in-memory directory."""
    found = (units or snapshot.current()).find(name)
    return found.id if found else None


def _store_scan(telegram: Telegram, upload: ScanUpload, actor: AbstractBaseUser) -> Scan:
    scan = Scan(
        telegram=telegram, filename=upload.filename[:200], content_type=upload.content_type,
        size=len(upload.content), sha256=hashlib.sha256(upload.content).hexdigest(), uploaded_by=actor,
        key_id=crypto.keyring().current,
    )
    scan.path.parent.mkdir(parents=True, exist_ok=True)
    tmp = scan.path.with_suffix(".tmp")
    tmp.write_bytes(crypto.seal(upload.content, scan.aad))
    tmp.replace(scan.path)
    # The file is written before the row; if the transaction rolls back the orphan file is unreadable
    # ciphertext without a row, which `rotate_keys`/cleanup can remove. The row never points at nothing.
    scan.save()
    return scan


def register(data: TelegramInput, *, actor: AbstractBaseUser, routes=None,
             units: snapshot.Snapshot | None = None) -> Telegram:
    """Register a received telegram: number, encrypted body, scans, audit entry and — if the 批办 names
    units (`routes`, already resolved by the caller, perhaps against `units`) — the routing order, all in one
    transaction."""
    _check(data)
    data.sender_doc_no = normalize_doc_no(data.sender_doc_no)
    routed = bool(routes and routes.routes)
    telegram = Telegram(
        sender_unit_name=data.sender_unit_name.strip(), sender_unit_id=_unit_id_for(data.sender_unit_name.strip(), units),
        precedence=data.precedence, received_at=data.received_at, title=data.title.strip(),
        sending_unit=data.sending_unit, issuer=data.issuer, sender_doc_no=data.sender_doc_no,
        addressees=data.addressees, cc=data.cc, pages=data.pages, copies=data.copies,
        signatory=data.signatory, signed_on=data.signed_on, instruction=data.instruction.strip(),
        proposal=data.proposal.strip(), registered_by=actor, state=State.INSTRUCTED if routed else State.REGISTERED,
        receipt_year=timezone.localtime(data.received_at).year,
    )
    telegram.set_body(data.body)
    getattr(actor, "person", None)  # the audit entry names the actor: load it now, not while others queue
    paper_no = None
    if data.receipt_no:
        paper_no = numbering.parse_receipt_no(data.receipt_no)
        if not paper_no:
            raise RegistrationError(f"收文号格式不正确：{data.receipt_no}", "receipt_no")
    duplicate = RegistrationError(f"重复收文：{data.sender_unit_name} 的 {data.sender_doc_no} 已经登记过。", "sender_doc_no")
    with transaction.atomic():
        if paper_no:  # a number already written on paper: rare, so it simply takes the counter's lock first
            if data.sender_doc_no and Telegram.objects.filter(  # the same file again is a duplicate, not a clash
                sender_unit_name=data.sender_unit_name, sender_doc_no=data.sender_doc_no
            ).exclude(state=State.VOID).exists():
                raise duplicate
            _, telegram.receipt_year, seq = paper_no
            try:
                telegram.receipt_no, telegram.receipt_seq = numbering.claim(telegram.receipt_year, seq), seq
            except numbering.NumberTaken as exc:
                raise RegistrationError(f"收文号 {exc} 已被占用。", "receipt_no")
        try:
            telegram.save(force_insert=True)
        except IntegrityError:  # telegram_unique_sender_doc_no: the whole transaction rolls back
            raise duplicate
        scans = [_store_scan(telegram, s, actor) for s in data.scans]
        order_entries: list = []
        if routes:
            from routing.services import create_order

            create_order(telegram, source="instruction", text=telegram.instruction, routes=routes, actor=actor,
                         audit_batch=order_entries)
        # Registrations queue from here to COMMIT, one at a time (gapless numbers, one audit chain): only the
        # number, the urgent alerts that quote it, and the audit entries are written in the queue.
        head = numbering.number(telegram).audit_head if not paper_no else None
        from annotations.services import notify_registered

        notify_registered(telegram)  # 特提/特急: alert every leader (e-mail after commit)
        record_many(actor, [("telegram.register", telegram, {
            "receipt_no": telegram.receipt_no, "sender_unit": telegram.sender_unit_name,
            "precedence": telegram.precedence, "title": telegram.title, "sender_doc_no": telegram.sender_doc_no,
            "instruction": telegram.instruction, "scans": [{"file": s.filename, "sha256": s.sha256} for s in scans],
        }, ""), *order_entries], head=head)  # one lock of the chain head for the registration and its order
    return telegram


def _as_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return "、".join(value)
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    return str(value)


def correct(telegram: Telegram, changes: dict, *, actor: AbstractBaseUser, reason: str) -> list[TelegramChange]:
    """Correct header fields; each change is kept (old → new) and audited. The receipt number never changes."""
    if not reason.strip():
        raise RegistrationError("请填写更正原因。", "reason")
    with transaction.atomic():
        telegram = Telegram.objects.select_for_update().get(pk=telegram.pk)
        if telegram.is_void:
            raise RegistrationError("已作废的来电不能更正。")
        if "sender_doc_no" in changes:
            changes["sender_doc_no"] = normalize_doc_no(changes["sender_doc_no"])
        if "received_at" in changes and changes["received_at"] > timezone.now() + timezone.timedelta(minutes=1):
            raise RegistrationError("收报时间不能晚于当前时间。", "received_at")
        if "title" in changes and not str(changes["title"]).strip():
            raise RegistrationError("标题不能为空。", "title")
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
            raise RegistrationError(
                f"重复收文：{telegram.sender_unit_name} 的 {telegram.sender_doc_no} 已经登记过。", "sender_doc_no"
            )
        TelegramChange.objects.bulk_create(made)
        record(actor, "telegram.correct", telegram, {
            "reason": reason.strip(),
            "changes": {c.field: {"old": c.old, "new": c.new} for c in made},
        })
    return made


def void(telegram: Telegram, *, actor: AbstractBaseUser, reason: str) -> Telegram:
    """作废: the record stays, keeps its number, and is marked void with a reason."""
    if not reason.strip():
        raise RegistrationError("请填写作废原因。", "reason")
    with transaction.atomic():
        telegram = Telegram.objects.select_for_update().get(pk=telegram.pk)
        if telegram.is_void:
            raise RegistrationError("该来电已经作废。")
        old_state = telegram.state
        telegram.state = State.VOID
        telegram.void_reason = reason.strip()[:200]
        telegram.save(update_fields=["state", "void_reason", "updated_at"])
        TelegramChange.objects.create(
            telegram=telegram, by=actor, field="state", old=State(old_state).label, new=State.VOID.label,
            reason=telegram.void_reason,
        )
        record(actor, "telegram.void", telegram, {"receipt_no": telegram.receipt_no, "reason": telegram.void_reason})
    return telegram


def read_body(telegram: Telegram, *, actor: AbstractBaseUser) -> str:
    """Decrypt the body for display; viewing is itself an audited action."""
    with transaction.atomic():
        record(actor, "telegram.view_body", telegram, {"receipt_no": telegram.receipt_no})
    return telegram.body
