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
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.crypto import salted_hmac

from audit.services import record, record_many
from core.errors import ActionError, Duplicate, IllegalTransition, InvalidInput, NotAllowed
from core.events import announce
from directory import snapshot
from vault import crypto, files

from . import numbering, search
from .events import TelegramClosed, TelegramOpened, TelegramRegistered, TelegramVoided
from .inputs import HEADER_FIELDS, ReplyInput, ReturnInput, ScanUpload, TelegramInput, normalize_doc_no
from .models import (
    TELEGRAM_LIFECYCLE,
    Precedence,
    Reading,
    Reply,
    ReplyMethod,
    ReturnReason,
    Scan,
    Telegram,
    TelegramChange,
    TelegramKind,
    TelegramReturn,
    TelegramState,
)

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
    attached. `state` is the initial state the caller determined (已批办 when the 批办 routes). `units`, the
    directory snapshot the caller resolved names with, is checked inside the transaction: directory.snapshot.Stale
    (nothing written) when the directory changed since it was read.

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
            # The body's blind index (never its text): its row goes with the number's statement.
            index_row = search.new_index_insert(telegram, data.body)
            if paper_no and index_row:
                with connection.cursor() as cursor:
                    cursor.execute(*index_row)
            scans = [_store_scan(telegram, s, actor, written) for s in data.scans]
            attached = attach(telegram) if attach else []
            # Registrations queue from here to COMMIT, one at a time (gapless numbers, one audit chain): only
            # the number (with the index row) and the audit entries are written in the queue.
            numbered = numbering.number(telegram, also=index_row, units_token=units is not None) if not paper_no else None
            if units is not None:  # planned with a snapshot from memory: was it still the directory? (Stale if not)
                snapshot.check(units, numbered.units_token if numbered else snapshot.token_now())
            head = numbered.audit_head if numbered else None
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


def refuse_if_archived(telegram: Telegram, step: str) -> None:
    """An archived telegram is frozen (归档): every action that would change it calls this first."""
    if telegram.state == TelegramState.ARCHIVED:
        raise IllegalTransition(f"该来电已归档，不能{step}；如需改动，请管理员先撤销归档。", code="archived")


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
        refuse_if_archived(telegram, "更正")
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
        refuse_if_archived(telegram, "作废")
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
        refuse_if_archived(telegram, "补充扫描件")
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
    """Decrypt the body for display; viewing is itself an audited action, and a read receipt (first opened at)."""
    with transaction.atomic():
        _note_reading(telegram, actor)
        record(actor, "telegram.view_body", telegram, {"receipt_no": telegram.receipt_no})
        announce(TelegramOpened(telegram.pk, actor.pk))
    return telegram.body


def _note_reading(telegram: Telegram, user) -> None:
    now = timezone.now()
    seen = Reading.objects.filter(telegram=telegram, user=user)
    if seen.update(last_opened_at=now, times=F("times") + 1):
        return
    try:
        with transaction.atomic():
            Reading.objects.create(telegram=telegram, user=user, first_opened_at=now, last_opened_at=now)
    except IntegrityError:  # the same person's other tab got there first
        seen.update(last_opened_at=now, times=F("times") + 1)


def _state_label(state: str) -> str:
    return TELEGRAM_LIFECYCLE.label(state)


# ------------------------------------------------------------------------------------------ 初审 and 拟办


def review(telegram: Telegram, *, kind: str, actor: AbstractBaseUser) -> Telegram:
    """初审 passed: the clerk marks the telegram 阅件 or 办件 (and may change the mark while it is open).
    Marking it again the same way changes nothing (a double click)."""
    if kind not in TelegramKind.values:
        raise InvalidInput("请选择阅件或办件。", field="kind")
    with transaction.atomic():
        telegram = _locked(telegram)
        refuse_if_archived(telegram, "初审")
        if telegram.is_closed:
            raise NotAllowed(f"该来电{_state_label(telegram.state)}，不能再初审。", code="closed")
        if telegram.kind == kind:
            return telegram
        old = telegram.kind
        telegram.kind, telegram.reviewed_at, telegram.reviewed_by = kind, timezone.now(), actor
        telegram.save(update_fields=["kind", "reviewed_at", "reviewed_by", "updated_at"])
        TelegramChange.objects.create(telegram=telegram, by=actor, field="kind",
                                      old=TelegramKind(old).label if old else "", new=TelegramKind(kind).label,
                                      reason="初审" if not old else "初审改判")
        record(actor, "telegram.review", telegram, {"receipt_no": telegram.receipt_no, "kind": kind, "previous": old})
    return telegram


MAX_PROPOSAL_LENGTH = 2000


def set_proposal(telegram: Telegram, text: str, *, actor: AbstractBaseUser) -> AuditItem | None:
    """拟办: write the office's proposal on a telegram the caller has locked (annotations.actions.propose checks
    its units against the directory first). Returns the audit item for the caller's append, None if unchanged."""
    assert transaction.get_connection().in_atomic_block
    text = (text or "").strip()
    refuse_if_archived(telegram, "拟办")
    if telegram.is_closed:
        raise NotAllowed(f"该来电{_state_label(telegram.state)}，不能再拟办。", code="closed")
    if text == telegram.proposal:
        return None
    old = telegram.proposal
    telegram.proposal = text
    telegram.save(update_fields=["proposal", "updated_at"])
    TelegramChange.objects.create(telegram=telegram, by=actor, field="proposal", old=old, new=text,
                                  reason="拟办" if not old else "修改拟办")
    return ("telegram.propose", telegram, {"receipt_no": telegram.receipt_no, "proposal": text, "previous": old}, "")


# ------------------------------------------------------------------------------------------------- 退文


class AlreadyReturned(Duplicate):
    code = "already_returned"


MAX_NOTE_LENGTH = 500


def check_return(data: ReturnInput) -> ReturnInput:
    """The 退文 checklist as given: at least one known reason, 其他 with its text, lengths."""
    unknown = [r for r in data.reasons if r not in ReturnReason.values]
    if unknown:
        raise InvalidInput("退文原因不正确。", field="reasons")
    reasons = [r for r in ReturnReason.values if r in data.reasons]  # the checklist's order, each once
    if not reasons:
        raise InvalidInput("请至少勾选一项退文原因。", field="reasons")
    other = (data.other_reason or "").strip() if ReturnReason.OTHER in reasons else ""
    if ReturnReason.OTHER in reasons and not other:
        raise InvalidInput("勾选“其他”时请写明退文原因。", field="other_reason")
    if len(other) > 200:
        raise InvalidInput("其他原因不能超过200字。", field="other_reason")
    note = (data.note or "").strip()
    if len(note) > MAX_NOTE_LENGTH:
        raise InvalidInput(f"说明不能超过{MAX_NOTE_LENGTH}字。", field="note")
    return ReturnInput(reasons=reasons, other_reason=other, note=note, submission_key=data.submission_key)


_RETURN_REFUSED = {
    TelegramState.RETURNED: "该来电已经退文。",
    TelegramState.ARCHIVED: "已归档的来电不能退文；如需改动，请管理员先撤销归档。",
    TelegramState.VOID: "已作废的来电不能退文。",
    TelegramState.DONE: "该来电已办结，不能退文。",
    TelegramState.CLOSED: "该来电已办毕，不能退文。",
}


def mark_returned(telegram: Telegram, data: ReturnInput, *, actor: AbstractBaseUser) -> tuple[TelegramReturn, AuditItem]:
    """退文 of a telegram the caller has locked (routing.actions.return_telegram, which also cancels its open
    deliveries): the state, the 退文 record and the change; the audit item goes into the caller's append."""
    assert transaction.get_connection().in_atomic_block
    data = check_return(data)
    if telegram.state == TelegramState.RETURNED and data.submission_key and \
            TelegramReturn.objects.filter(telegram=telegram, submission_key=data.submission_key).exists():
        raise AlreadyReturned("该来电已经退文，未重复提交。", existing=telegram.pk)
    if telegram.state == TelegramState.ARCHIVED:  # frozen (the table's way back is 撤销归档's alone)
        raise IllegalTransition(_RETURN_REFUSED[TelegramState.ARCHIVED], code="archived")
    TELEGRAM_LIFECYCLE.check(telegram.state, TelegramState.RETURNED, message=_RETURN_REFUSED.get(telegram.state))
    returned = TelegramReturn.objects.create(telegram=telegram, reasons=data.reasons, other_reason=data.other_reason,
                                             note=data.note, returned_by=actor, submission_key=data.submission_key or None)
    old = telegram.state
    telegram.state = TelegramState.RETURNED
    telegram.save(update_fields=["state", "updated_at"])
    TelegramChange.objects.create(telegram=telegram, by=actor, field="state", old=_state_label(old),
                                  new=TelegramState.RETURNED.label, reason="退文：" + "；".join(returned.reason_labels))
    return returned, ("telegram.return", telegram, {
        "receipt_no": telegram.receipt_no, "reasons": data.reasons, "other_reason": data.other_reason,
        "note": data.note, "previous_state": old,
    }, "")


# ------------------------------------------------------------------------------------------------- 答复


class AlreadyReplied(Duplicate):
    code = "already_replied"


MAX_REPLY_LENGTH = 5000

_CLOSE_REFUSED = {
    TelegramState.CLOSED: "该来电已答复办毕。",
    TelegramState.INSTRUCTED: "尚有单位未办结，不能答复办毕。",
    TelegramState.IN_PROGRESS: "尚有单位未办结，不能答复办毕。",
    TelegramState.RETURNED: "已退文的来电不再答复。",
    TelegramState.ARCHIVED: "已归档的来电不能再答复；如需改动，请管理员先撤销归档。",
    TelegramState.VOID: "已作废的来电不能答复。",
}


def check_reply(data: ReplyInput, *, received_at: datetime | None = None) -> ReplyInput:
    if not data.needed:
        note = (data.note or "").strip()
        if not note:
            raise InvalidInput("请说明无需答复的原因。", field="note")
        if len(note) > 200:
            raise InvalidInput("说明不能超过200字。", field="note")
        return ReplyInput(needed=False, note=note, submission_key=data.submission_key)
    if data.method not in ReplyMethod.values:
        raise InvalidInput("请选择答复方式（电报、传真或公文）。", field="method")
    text = (data.text or "").strip()
    if not text:
        raise InvalidInput("请填写答复内容。", field="text")
    if len(text) > MAX_REPLY_LENGTH:
        raise InvalidInput(f"答复内容不能超过{MAX_REPLY_LENGTH}字。", field="text")
    if data.replied_at is None:
        raise InvalidInput("请填写答复时间。", field="replied_at")
    if data.replied_at > timezone.now() + timezone.timedelta(minutes=1):
        raise InvalidInput("答复时间不能晚于当前时间。", field="replied_at")
    if received_at is not None and data.replied_at < received_at:
        raise InvalidInput("答复时间不能早于收报时间。", field="replied_at")
    by = (data.replied_by or "").strip()
    if not by:
        raise InvalidInput("请填写答复人。", field="replied_by")
    if len(by) > 50:
        raise InvalidInput("答复人不能超过50字。", field="replied_by")
    doc_no = normalize_doc_no(data.doc_no)
    if len(doc_no) > 64:
        raise InvalidInput("答复文号不能超过64字。", field="doc_no")
    return ReplyInput(needed=True, method=data.method, text=text, replied_at=data.replied_at, replied_by=by,
                      doc_no=doc_no, submission_key=data.submission_key)


def reply(telegram: Telegram, data: ReplyInput, *, actor: AbstractBaseUser) -> Reply:
    """答复: record what was reported to the sender (or that no reply is needed); the telegram closes (已办毕).
    Allowed once nothing is open: a telegram all of whose units finished (已办结), or one that was never routed."""
    data = check_reply(data, received_at=telegram.received_at)
    with transaction.atomic():
        telegram = _locked(telegram)
        if data.submission_key and Reply.objects.filter(telegram=telegram, submission_key=data.submission_key).exists():
            raise AlreadyReplied("答复已经登记，未重复提交。", existing=telegram.pk)
        if telegram.state == TelegramState.ARCHIVED:  # frozen (the table's way back is 撤销归档's alone)
            raise IllegalTransition(_CLOSE_REFUSED[TelegramState.ARCHIVED], code="archived")
        TELEGRAM_LIFECYCLE.check(telegram.state, TelegramState.CLOSED, message=_CLOSE_REFUSED.get(telegram.state))
        answer = Reply(telegram=telegram, needed=data.needed, method=data.method, doc_no=data.doc_no,
                       replied_at=data.replied_at, replied_by=data.replied_by, note=data.note, recorded_by=actor,
                       submission_key=data.submission_key or None)
        answer.set_text(data.text)
        answer.save()
        old = telegram.state
        telegram.state = TelegramState.CLOSED
        telegram.save(update_fields=["state", "updated_at"])
        how = f"{answer.get_method_display()}答复" if data.needed else f"无需答复（{data.note}）"
        TelegramChange.objects.create(telegram=telegram, by=actor, field="state", old=_state_label(old),
                                      new=TelegramState.CLOSED.label, reason=how[:200])
        record(actor, "telegram.reply", telegram, {
            "receipt_no": telegram.receipt_no, "needed": data.needed, "method": data.method, "doc_no": data.doc_no,
            "replied_at": timezone.localtime(data.replied_at).isoformat() if data.replied_at else None,
            "replied_by": data.replied_by, "note": data.note,
            # A keyed digest: evidence of the exact text without putting it in clear into the ledger.
            "text_hmac": salted_hmac("reply.text", data.text, algorithm="sha256").hexdigest() if data.text else "",
        })
    announce(TelegramClosed(telegram.pk, telegram.receipt_no, data.needed))
    return answer
