"""归档 and 撤销归档: the only code that moves a telegram into or out of 已归档 by the clerk's or admin's hand
(a 批办 that only says 存档 files it through telegrams.actions.file_away). Each action checks the telegram's
lifecycle, writes the Archival row and the telegram's state, and appends its audit entry in one transaction.

The 归档 entry is what lets an archive package prove itself (docs/security.md): it records the 档号 and the
package's metadata, the SHA-256 of the body text and of each scan, and the seqs of every earlier audit entry of
the telegram — so a package that drops one of them, or carries another body, no longer matches a signed entry."""
from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from audit.services import record
from core.errors import Forbidden, IllegalTransition, InvalidInput, NotAllowed
from directory import roles
from routing.models import OrderState, RoutingOrder
from telegrams.models import TELEGRAM_LIFECYCLE, Telegram, TelegramChange, TelegramState

from . import records
from .models import Archival, ArchiveCounter, Retention, archive_no

# States a telegram may be archived from: finished (已办结, 已办毕), returned (已退文), or filed by a 存档
# instruction without a 档号 yet (已归档).
ARCHIVABLE = (TelegramState.DONE, TelegramState.CLOSED, TelegramState.RETURNED, TelegramState.ARCHIVED)
MAX_BATCH = 500
MAX_REASON_LENGTH = 300


def active_archival(telegram: Telegram) -> Archival | None:
    return Archival.objects.filter(telegram=telegram, revoked_at__isnull=True).first()


def _check_retention(retention: str) -> str:
    if retention not in Retention.values:
        raise InvalidInput("请选择保管期限（永久、定期30年或定期10年）。", field="retention")
    return retention


def _next_item_no(fonds: str, year: int, retention: str) -> int:
    """The next 件号 of this 全宗号 + 年度 + 保管期限, under a lock of its counter row until COMMIT."""
    ArchiveCounter.objects.get_or_create(fonds=fonds, year=year, retention=retention)
    counter = ArchiveCounter.objects.select_for_update().get(fonds=fonds, year=year, retention=retention)
    ArchiveCounter.objects.filter(pk=counter.pk).update(last=F("last") + 1)
    return counter.last + 1


def _archive_locked(telegram: Telegram, retention: str, actor: AbstractBaseUser) -> Archival:
    if telegram.state not in ARCHIVABLE:
        raise IllegalTransition(
            f"{telegram.receipt_no}{TELEGRAM_LIFECYCLE.label(telegram.state)}，办毕（已办结、已办毕或已退文）后才能归档。",
            code="not_finished", receipt_no=telegram.receipt_no)
    current = active_archival(telegram)
    if current is not None:
        raise IllegalTransition(f"{telegram.receipt_no}已归档，档号 {current.archive_no}。", code="already_archived",
                                receipt_no=telegram.receipt_no)
    if RoutingOrder.objects.filter(telegram=telegram, state=OrderState.PENDING).exists():
        raise NotAllowed(f"{telegram.receipt_no}还有待分送的指令，请分送完毕后再归档。", code="pending_orders")
    if telegram.state != TelegramState.ARCHIVED:
        TELEGRAM_LIFECYCLE.check(telegram.state, TelegramState.ARCHIVED)
    fonds, year = settings.ARCHIVE_FONDS, telegram.receipt_year
    item_no = _next_item_no(fonds, year, retention)
    now = timezone.now()
    archival = Archival.objects.create(
        telegram=telegram, fonds=fonds, year=year, retention=retention, item_no=item_no,
        archive_no=archive_no(fonds, year, retention, item_no), previous_state=telegram.state,
        archived_at=now, archived_by=actor,
    )
    # The seqs of every earlier entry of this telegram, read inside the transaction that appends the next one.
    seqs = list(records.entries_of(telegram).values_list("seq", flat=True))
    old_state = telegram.state
    if old_state != TelegramState.ARCHIVED:
        Telegram.objects.filter(pk=telegram.pk).update(state=TelegramState.ARCHIVED, updated_at=now)
        telegram.state = TelegramState.ARCHIVED
    TelegramChange.objects.create(
        telegram=telegram, by=actor, field="state", old=TelegramState(old_state).label, new=TelegramState.ARCHIVED.label,
        reason=f"归档：档号 {archival.archive_no}，保管期限{Retention(retention).label}",
    )
    record(actor, "archive.archive", telegram, {
        "receipt_no": telegram.receipt_no, "archive_no": archival.archive_no, "fonds": fonds, "year": year,
        "retention": retention, "item_no": item_no, "previous_state": old_state,
        "metadata": records.metadata(telegram, archival), "files": records.content_digests(telegram),
        "audit_seqs": seqs,
    })
    return archival


def _may_archive(actor: AbstractBaseUser) -> None:
    if not roles.is_clerk(actor):
        raise Forbidden("只有机要员可以归档。")


def archive(telegram: Telegram, *, retention: str, actor: AbstractBaseUser) -> Archival:
    """归档 one finished telegram: its 档号 (the next 件号 of its 年度 and 保管期限) and the frozen state."""
    _may_archive(actor)
    _check_retention(retention)
    with transaction.atomic():
        telegram = Telegram.objects.select_for_update().get(pk=telegram.pk)
        return _archive_locked(telegram, retention, actor)


def archive_many(telegrams: Sequence[Telegram], *, retention: str, actor: AbstractBaseUser) -> list[Archival]:
    """批量归档: all or nothing, numbered in order of receipt (oldest first). One refusal names its telegram and
    archives none."""
    _may_archive(actor)
    _check_retention(retention)
    ids = sorted({t.pk for t in telegrams})
    if not ids:
        raise InvalidInput("请勾选要归档的来电。", field="telegrams")
    if len(ids) > MAX_BATCH:
        raise InvalidInput(f"一次最多归档{MAX_BATCH}件。", field="telegrams")
    with transaction.atomic():
        # Locked in id order (the module's one lock order), numbered in order of receipt.
        locked = list(Telegram.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
        locked.sort(key=lambda t: (t.receipt_year, t.receipt_seq or 0, t.pk))
        return [_archive_locked(t, retention, actor) for t in locked]


def unarchive(telegram: Telegram, *, reason: str, actor: AbstractBaseUser) -> Telegram:
    """撤销归档 (admin, with a reason): the 档号 is revoked (kept as history, its 件号 never reused) and the
    telegram returns to the state it was archived from."""
    if not roles.is_admin(actor):
        raise Forbidden("只有管理员可以撤销归档。")
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("请填写撤销归档的原因。", field="reason")
    if len(reason) > MAX_REASON_LENGTH:
        raise InvalidInput(f"撤销原因不能超过{MAX_REASON_LENGTH}字。", field="reason")
    with transaction.atomic():
        telegram = Telegram.objects.select_for_update().get(pk=telegram.pk)
        archival = Archival.objects.select_for_update().filter(telegram=telegram, revoked_at__isnull=True).first()
        if archival is None or telegram.state != TelegramState.ARCHIVED:
            raise IllegalTransition(f"{telegram.receipt_no}没有归档，无需撤销。", code="not_archived")
        back = archival.previous_state
        if back != TelegramState.ARCHIVED:
            TELEGRAM_LIFECYCLE.check(telegram.state, back)
        now = timezone.now()
        Archival.objects.filter(pk=archival.pk).update(revoked_at=now, revoked_by=actor, revoke_reason=reason)
        if back != TelegramState.ARCHIVED:
            Telegram.objects.filter(pk=telegram.pk).update(state=back, updated_at=now)
            telegram.state = back
        TelegramChange.objects.create(
            telegram=telegram, by=actor, field="state", old=TelegramState.ARCHIVED.label, new=TelegramState(back).label,
            reason=f"撤销归档（档号 {archival.archive_no}）：{reason}"[:200],
        )
        record(actor, "archive.revoke", telegram, {
            "receipt_no": telegram.receipt_no, "archive_no": archival.archive_no, "reason": reason, "state": back,
        })
    return telegram
