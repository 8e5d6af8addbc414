"""催办: the reminder pass (what beat and `remind_overdue` run), the clerk's manual 催办, and marking a claimed
reminder sent. Each claim writes its 催办记录 and audit entry in one transaction and announces it after commit;
the notifications app decides who hears of it and sends it (in-app alert, e-mail, any other channel).

Once per step. The cadence (routing.deadlines.reminder_steps) gives each step a key that stays the same on every
call; the pass inserts (delivery, key) under a unique constraint, so of two passes running at once exactly one
inserts and announces, the other hits the constraint (PostgreSQL makes it wait for the first to commit) and
moves on. A claim whose sending never finished (the worker died between commit and alert) has no `sent_at`: the
next pass after REMINDER_RETRY_SECONDS takes it again with a conditional UPDATE of `claimed_at` (healthchecks'
way: `UPDATE … WHERE id = … AND claimed_at = <the value read>`, one winner) and announces it again; sending marks
it sent with `sent_at IS NULL` in the condition, so it still goes out once.

Only the newest due step of a delivery is sent: after a pause (beat stopped over a weekend) a unit gets one
reminder, not every one it missed. After REMINDER_ESCALATE_AFTER overdue reminders the series escalates once
(kind "escalation": the clerks and the leaders are told)."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from audit.services import record_many
from core.errors import Forbidden, InvalidInput, NotAllowed
from core.events import announce
from directory import roles
from routing import deadlines
from routing.models import Delivery, DeliveryState, Role
from telegrams.models import Telegram

from .events import ReminderClaimed
from .models import ReminderKind, ReminderRecord

log = logging.getLogger(__name__)

MAX_NOTE_LENGTH = 300
OPEN_STATES = (DeliveryState.DELIVERED, DeliveryState.SIGNED)


@dataclass(frozen=True)
class Sent:
    """One reminder this pass claimed: what `remind_overdue` prints."""

    record_id: int
    receipt_no: str
    unit: str
    kind: str


def overdue_days(delivery: Delivery, today: date) -> int:
    """Days past the deadline on `today`, counted as the precedence's deadline is (calendar or working days)."""
    counting = deadlines.counting_for(deadlines.precedence_of(delivery))
    return deadlines.days_overdue(delivery.deadline, today, counting=counting)


def _lookahead_days() -> int:
    """How far ahead of its deadline a delivery may get its first reminder (the longest 'before' of any cadence),
    in calendar days, generously: working days are at most ~9 calendar days apart (国庆, 春节)."""
    longest = 1
    for precedence in settings.REMINDER_CADENCE:
        cadence = deadlines.cadence_for(precedence)
        longest = max(longest, cadence.before // 24 + 1 if cadence.unit == "hours" else cadence.before * 2 + 10)
    return longest


def candidates(now: datetime):
    """Open deliveries with a deadline close enough to have a step due (the partial index on open deadlines)."""
    horizon = timezone.localdate(now) + timedelta(days=_lookahead_days())
    return (Delivery.objects.filter(state__in=OPEN_STATES, deadline__isnull=False, deadline__lte=horizon)
            .exclude(role=Role.READ).select_related("telegram", "unit").order_by("pk"))


def _claim(delivery: Delivery, *, key: str, kind: str, due_at: datetime, now: datetime, days: int,
           by=None, note: str = "") -> ReminderRecord | None:
    """Insert the step's record (a savepoint: a duplicate key means another pass has it) — None when taken."""
    try:
        with transaction.atomic():
            return ReminderRecord.objects.create(
                delivery=delivery, telegram_id=delivery.telegram_id, step_key=key, kind=kind, deadline=delivery.deadline,
                overdue_days=days, due_at=due_at, claimed_at=now, by=by, note=note,
            )
    except IntegrityError:
        return None


def _entry(record: ReminderRecord, delivery: Delivery) -> tuple:
    return ("reminders.sent", record, {
        "telegram": delivery.telegram.receipt_no, "unit": delivery.unit.name, "kind": record.kind,
        "step": record.step_key, "deadline": record.deadline.isoformat() if record.deadline else None,
        "overdue_days": record.overdue_days, **({"note": record.note} if record.note else {}),
    }, "")


def _steps_to_send(delivery: Delivery, now: datetime) -> list[tuple[str, str, datetime]]:
    """(key, kind, due_at) of what the pass should claim for this delivery now: the newest due step, and the
    escalation once the overdue reminders reached REMINDER_ESCALATE_AFTER."""
    steps = deadlines.reminder_steps(delivery, now)
    if not steps:
        return []
    newest = steps[-1]
    out = [(newest.key, newest.kind, newest.at)]
    after = settings.REMINDER_ESCALATE_AFTER
    if after and newest.kind == "overdue" and newest.overdue >= after:
        out.append((f"{delivery.deadline.isoformat()}:escalation", ReminderKind.ESCALATION, newest.at))
    return out


def run_pass(now: datetime | None = None) -> list[Sent]:
    """The reminder pass: claim and announce every step due by `now` that nobody claimed yet, and re-take claims
    left unsent. Returns what this pass claimed (in delivery order)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    sent: list[Sent] = []
    chunk: list[Delivery] = []
    for delivery in candidates(now).iterator(chunk_size=CHUNK):
        chunk.append(delivery)
        if len(chunk) == CHUNK:
            sent += _claim_chunk(chunk, now, today)
            chunk = []
    sent += _claim_chunk(chunk, now, today)
    sent += retake_unsent(now)
    return sent


CHUNK = 500


def _claim_chunk(chunk: list[Delivery], now: datetime, today: date) -> list[Sent]:
    """The steps of these deliveries nobody has claimed yet: one query finds the steps already recorded (the
    usual case every few minutes: nothing new), so only new steps are tried against the unique constraint."""
    wanted = {d.pk: steps for d in chunk if (steps := _steps_to_send(d, now))}
    if not wanted:
        return []
    keys = {key for steps in wanted.values() for key, _, _ in steps}
    recorded = set(ReminderRecord.objects.filter(delivery_id__in=wanted, step_key__in=keys)
                   .values_list("delivery_id", "step_key"))
    sent: list[Sent] = []
    for delivery in chunk:
        todo = [(key, kind, at) for key, kind, at in wanted.get(delivery.pk, []) if (delivery.pk, key) not in recorded]
        if not todo:
            continue
        days = overdue_days(delivery, today)
        with transaction.atomic():
            claimed = [r for key, kind, at in todo
                       if (r := _claim(delivery, key=key, kind=kind, due_at=at, now=now, days=days)) is not None]
            if not claimed:
                continue
            record_many(None, [_entry(r, delivery) for r in claimed])
            for r in claimed:
                announce(ReminderClaimed(r.pk))
        sent += [Sent(r.pk, delivery.telegram.receipt_no, delivery.unit.name, r.kind) for r in claimed]
    return sent


def retake_unsent(now: datetime) -> list[Sent]:
    """Claims older than REMINDER_RETRY_SECONDS that were never sent (the process died after committing the claim,
    before the alert): each re-taken by one conditional UPDATE, so two passes never both take it."""
    cutoff = now - timedelta(seconds=settings.REMINDER_RETRY_SECONDS)
    stale = (ReminderRecord.objects.filter(sent_at__isnull=True, claimed_at__lt=cutoff)
             .select_related("telegram", "delivery__unit").order_by("pk"))
    retaken: list[Sent] = []
    for record in stale:
        with transaction.atomic():
            won = ReminderRecord.objects.filter(pk=record.pk, sent_at__isnull=True,
                                                claimed_at=record.claimed_at).update(claimed_at=now)
            if not won:
                continue
            announce(ReminderClaimed(record.pk))
        log.warning("reminder %s was claimed at %s and never sent: sending it again", record.pk, record.claimed_at)
        retaken.append(Sent(record.pk, record.telegram.receipt_no, record.delivery.unit.name, record.kind))
    return retaken


def mark_sent(record_id: int, *, recipients: int) -> bool:
    """The alert for this claim is going out (the caller's transaction also writes the in-app alerts): True for
    the one caller that marks it, False when it was sent already."""
    assert transaction.get_connection().in_atomic_block
    return bool(ReminderRecord.objects.filter(pk=record_id, sent_at__isnull=True)
                .update(sent_at=timezone.now(), recipients=recipients))


def remind(delivery: Delivery, *, actor, note: str, token: str = "") -> ReminderRecord:
    """人工催办: the clerk chases one open delivery with a note. `token` (the form's submission token) makes a
    double click one 催办: the second finds the first's record."""
    if not roles.is_clerk(actor):
        raise Forbidden("只有机要员可以催办。")
    note = (note or "").strip()
    if not note:
        raise InvalidInput("请填写催办内容。", field="note")
    if len(note) > MAX_NOTE_LENGTH:
        raise InvalidInput(f"催办内容不能超过{MAX_NOTE_LENGTH}字。", field="note")
    now = timezone.now()
    key = f"manual:{token or now.isoformat()}"[:64]
    with transaction.atomic():
        # The lock order of routing.actions: the telegram row, then the delivery.
        Telegram.objects.select_for_update().get(pk=delivery.telegram_id)
        delivery = Delivery.objects.select_for_update().select_related("telegram", "unit").get(pk=delivery.pk)
        if delivery.state not in OPEN_STATES:
            raise NotAllowed(f"{delivery.unit.name}的分送{delivery.get_state_display()}，无需催办。", code=delivery.state)
        existing = ReminderRecord.objects.filter(delivery=delivery, step_key=key).first()
        if existing is not None:  # the same submission again
            return existing
        record = _claim(delivery, key=key, kind=ReminderKind.MANUAL, due_at=now, now=now,
                        days=overdue_days(delivery, timezone.localdate(now)), by=actor, note=note)
        if record is None:  # cannot happen under the delivery's lock; kept for a database without row locks
            return ReminderRecord.objects.get(delivery=delivery, step_key=key)
        record_many(actor, [_entry(record, delivery)])
        announce(ReminderClaimed(record.pk))
    return record
