"""Every state change of a routing order and a delivery: open an order, route it, sign (or 代签收), complete
(with attachments), a unit's 退回 and 转办, the clerk's re-routing, 阅件 circulated to units, 退文 (which cancels
what is open), read receipts, and the clerk's handling of units a 批办 named that the directory lacks. The only code that assigns
`RoutingOrder.state` or `Delivery.state`; each checks ORDER_LIFECYCLE/DELIVERY_LIFECYCLE, records a
RoutingEvent and its audit entry in the same transaction, moves the telegram to the state its deliveries call
for (telegrams.actions.follow), and announces its effect after commit (routing.events).

Locks are always taken in one order — orders, then telegram rows, then deliveries, then the audit chain head —
so two actions on one telegram queue instead of deadlocking."""
from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Sequence
from datetime import date

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from audit.services import record_many
from core.errors import Forbidden, InvalidInput, NotAllowed
from core.events import announce
from core.filters import FIRST_DAY, LAST_DAY
from directory import roles
from directory.access import staffed_units, unit_id_of
from directory.models import Unit
from telegrams import actions as telegram_actions
from telegrams.inputs import ReturnInput, ScanUpload
from telegrams.models import TELEGRAM_LIFECYCLE, Telegram, TelegramReturn, TelegramState
from vault import crypto

from .dispatch import dispatch
from .events import (
    Circulated,
    DeadlineChanged,
    Delivered,
    DeliveryDone,
    DeliveryHandedBack,
    DeliverySigned,
    DeliveryTransferred,
    TelegramReturned,
    UnknownUnitsFound,
)
from .models import (
    CLOSED_OFF,
    DELIVERY_LIFECYCLE,
    OPEN,
    ORDER_LIFECYCLE,
    Delivery,
    DeliveryState,
    Handback,
    OrderState,
    ResultFile,
    Role,
    RoutingEvent,
    RoutingOrder,
    Subject,
    Transfer,
    UnknownUnit,
)
from .planning import ROLE_STRENGTH, RoutingPlan, default_deadline

MAX_RESULT_LENGTH = 5000


# ------------------------------------------------------------------------------------------- telegram state


def state_for(deliveries: list[Delivery]) -> str | None:
    """The telegram state its deliveries call for: 已批办 → 办理中 → 已办结 (None: no deliveries yet).
    Deliveries a unit sent back or passed on count for nothing; when every unit sent it back, the telegram waits
    for routing again (已批办)."""
    if not deliveries:
        return None
    live = [d for d in deliveries if d.state not in CLOSED_OFF]
    if not live:
        return TelegramState.INSTRUCTED
    action = [d.state for d in live if d.role != Role.READ]
    if action and all(s == DeliveryState.DONE for s in action):
        return TelegramState.DONE
    if not action and all(d.state == DeliveryState.READ for d in live):
        return TelegramState.DONE
    if any(d.state in (DeliveryState.SIGNED, DeliveryState.DONE, DeliveryState.READ) for d in live):
        return TelegramState.IN_PROGRESS
    return TelegramState.INSTRUCTED


def _follow(telegrams, deliveries: list[Delivery], *, reopened: set[int]) -> dict[int, str]:
    """Move each telegram to what its deliveries call for. A telegram once done (perhaps closed early by its
    lead unit) or closed (答复) stays so unless new deliveries were just routed to it (`reopened`); voided,
    filed and returned ones never follow."""
    by_telegram: dict[int, list[Delivery]] = {}
    for d in deliveries:
        by_telegram.setdefault(d.telegram_id, []).append(d)
    moves = []
    for telegram in telegrams:
        if telegram.state in (TelegramState.VOID, TelegramState.ARCHIVED, TelegramState.RETURNED):
            continue
        new = state_for(by_telegram.get(telegram.pk, []))
        if new is None or new == telegram.state:
            continue
        if telegram.state not in (TelegramState.DONE, TelegramState.CLOSED) or telegram.pk in reopened:
            moves.append((telegram, new))
    return telegram_actions.follow(moves)


# ---------------------------------------------------------------------------------------------------- orders


def open_order(telegram: Telegram, *, source: str, text: str, plan: RoutingPlan, actor, keep_unknown: bool = False,
               audit_batch: list | None = None, note: str = "", inline: bool = False) -> RoutingOrder | None:
    """Write the outbox row for a confirmed plan; the worker routes it after commit — or, `inline`, this
    transaction routes it at once (`_route_inline`: a 特提 registration, ROUTE_URGENT_INLINE).

    Unknown units refuse the order (a leader's 批示 is confirmed against the directory), unless `keep_unknown`:
    a registration's 批办 is the record of what the telegram said, so its unknown names wait on the clerk's list
    (UnknownUnit) and the known units are routed now. A plan that only files (存档) files the telegram.

    A 批办 is a plaintext register field, so its text is kept with the order. A 批示 is encrypted at rest, so an
    order made from one keeps no copy of its text (nor do its event and audit entry): the annotation has it.
    With `audit_batch`, audit entries are appended there for the caller's own `record_many` (one chain-head lock);
    without, they are recorded here."""
    assert transaction.get_connection().in_atomic_block
    telegram_actions.refuse_if_archived(telegram, "再分送")
    if telegram.state in (TelegramState.RETURNED, TelegramState.VOID):
        raise NotAllowed(f"该来电{telegram.get_state_display()}，不再分送。", code="closed")
    if plan.unknown and not keep_unknown:
        raise InvalidInput(plan.unknown_message(), field="instruction")
    kept_text = text if source == RoutingOrder.Source.INSTRUCTION else ""
    entries: list = []
    order = None
    if plan.files_only:
        entries.append(telegram_actions.file_away(telegram, actor=actor, source=source, text=kept_text))
    if plan.routes:
        order = RoutingOrder(telegram=telegram, source=source, text=kept_text, routes=plan.routes,
                             deadline=plan.deadline, urgent=telegram.is_urgent, created_by=actor)
        if inline:  # routed before this transaction commits (_route_inline): written done, no UPDATE after
            ORDER_LIFECYCLE.check(order.state, OrderState.DONE)
            order.state, order.completed_at, order.attempts = OrderState.DONE, timezone.now(), 1
        order.save(force_insert=True)
        units = "、".join(r["unit"] for r in plan.routes)
        note = note or {
            RoutingOrder.Source.INSTRUCTION: f"批办：{kept_text[:200]}", RoutingOrder.Source.ANNOTATION: f"领导批示分送：{units}",
            RoutingOrder.Source.RESOLVED: f"补充分送：{units}", RoutingOrder.Source.REROUTE: f"重新分送：{units}",
            RoutingOrder.Source.TRANSFER: f"转办：{units}", RoutingOrder.Source.CIRCULATE: f"阅件传阅：{units}",
        }[source]
        opened = RoutingEvent(telegram=telegram, order=order, actor=actor, subject=Subject.ORDER,
                              to_state=OrderState.PENDING, note=note[:300])
        if not inline:
            opened.save()
        if telegram.state == TelegramState.REGISTERED:
            telegram_actions.follow([(telegram, TelegramState.INSTRUCTED)])
        # The entry quotes the receipt number, which a registration allocates only after writing its order: the
        # data is built when the entry is appended (audit.services.record_many).
        entries.append(("routing.order", order, lambda: {
            "telegram": telegram.receipt_no, "source": source, "text": kept_text,
            "routes": [{"unit": r["unit"], "role": r["role"]} for r in plan.routes],
            "deadline": plan.deadline.isoformat() if plan.deadline else None,
        }, ""))
        if inline:
            _route_inline(order, opened, entries)
        else:
            dispatch(order)
    if plan.unknown:
        UnknownUnit.objects.bulk_create([
            UnknownUnit(telegram=telegram, name=name[:100], suggestions=plan.suggestions.get(name, []),
                        deadline=plan.deadline) for name in plan.unknown
        ])
        entries.append(("routing.unknown_units", telegram, lambda: {
            "telegram": telegram.receipt_no, "names": plan.unknown,
        }, ""))
        announce(UnknownUnitsFound(telegram.pk, tuple(plan.unknown)))
    if audit_batch is None:
        record_many(actor, entries)
    else:
        audit_batch.extend(entries)
    return order


def route(order_id: int, *, batch: int | None = None, swept: bool = False) -> int:
    """The worker's job: one Delivery per (telegram, unit). Returns how many deliveries were created.

    The task for `order_id` also takes other pending orders (up to `batch`, 特提 first; SKIP LOCKED, so two
    workers never take the same one) and routes them all in one transaction with set-based statements: a burst
    of registrations costs a few statements per batch, and the messages of orders already routed here find
    them done and return at once. Idempotent: a second run, or an order whose deliveries partly exist, creates
    nothing twice (the unique constraint plus the order's state)."""
    batch = batch or settings.ROUTING_BATCH
    skip_locked = connection.features.has_select_for_update_skip_locked
    if order_id in _routed_here and not swept:  # the sweeper's re-sends always ask the database, so an order
        return 0  # this process routed it in an earlier task's batch: no query at all
    if not RoutingOrder.objects.filter(pk=order_id, state=OrderState.PENDING).exists():
        return 0  # routed already (by another worker): one query, no transaction
    with transaction.atomic():
        locked = RoutingOrder.objects.select_for_update(skip_locked=skip_locked).filter(state=OrderState.PENDING)
        orders = list(locked.filter(pk=order_id))  # taken by another worker right now: it routes it, not us
        if not orders:
            return 0
        if batch > 1:
            orders += list(locked.exclude(pk=order_id).order_by("-urgent", "created_at")[: batch - 1])
        created, reached = _route_orders(orders)
        ids = [o.pk for o in orders]
        transaction.on_commit(lambda: _remember_routed(ids))
        announce(Delivered(tuple((t, tuple(units)) for t, units in reached.items() if units)))
        return created


def _route_inline(order: RoutingOrder, opened: RoutingEvent, audit_batch: list) -> None:
    """Route the order this transaction just wrote, in this transaction: a 特提 registration (ROUTE_URGENT_INLINE),
    so its deliveries commit with the telegram instead of waiting for a worker behind ordinary routing. The same
    statements, events and audit entry (actor: the system) as the worker's `route`; the order's own 'pending'
    event goes into the same INSERT as its deliveries' (`opened`). Routed here, the order is done when the
    registration commits, so no message is sent, and one the sweeper or a retry sends anyway finds it done (the
    order's state): nothing is delivered twice. A failure refuses the whole registration (nothing written; the
    clerk sees the error and saves again) — its rows are all new, so nothing but a broken database fails here.

    Called from the registration's `attach`, before its receipt number: the rows written here are all its own
    (the new telegram, its order, their deliveries), so they take no lock anyone else waits for and stay out of
    the numbering queue; the audit entry goes into the registration's batch (`audit_batch`, one chain-head lock)
    and quotes the receipt number once it is allocated."""
    _, reached = _route_orders([order], new=order.telegram, audit_batch=audit_batch, opened=[opened])
    transaction.on_commit(lambda: _remember_routed([order.pk]))
    announce(Delivered(tuple((t, tuple(units)) for t, units in reached.items() if units)))


# Orders routed by this process, remembered once committed: a batch takes up to ROUTING_BATCH orders, so most
# messages arrive for an order already done here. Bounded (oldest forgotten first); a miss asks the database,
# and so does a re-send by the sweeper (a pending order with a remembered id — a database restored under running
# workers — is still routed).
_routed_here: OrderedDict[int, None] = OrderedDict()
ROUTED_MEMORY = 10_000


def _remember_routed(ids: list[int]) -> None:
    for pk in ids:
        _routed_here[pk] = None
    while len(_routed_here) > ROUTED_MEMORY:
        _routed_here.popitem(last=False)


def _route_orders(orders: list[RoutingOrder], *, new: Telegram | None = None, audit_batch: list | None = None,
                  opened: Sequence[RoutingEvent] = ()) -> tuple[int, dict[int, list[int]]]:
    """`new`: the telegram the caller's transaction just wrote (_route_inline) — its row is already the caller's
    and it has no deliveries yet, so neither is read again, and its order was written done (open_order), so
    it is not updated. `audit_batch`: the entries go there (the system's, for the caller's record_many) instead
    of being recorded here. `opened`: events not yet written (the new order's 'pending'), written first in the
    same INSERT as the routing's."""
    now = timezone.now()
    if new is not None:
        telegrams, existing = {new.pk: new}, {}
    else:
        # Telegram rows are locked after the orders and before the chain head (the module's lock order).
        telegrams = {t.pk: t for t in Telegram.objects.select_for_update()
                     .filter(pk__in={o.telegram_id for o in orders}).order_by("pk")}
        existing: dict[tuple[int, int], Delivery] = {
            (d.telegram_id, d.unit_id): d for d in Delivery.objects.filter(telegram_id__in=telegrams)
        }
    created: list[Delivery] = []
    upgraded: list[Delivery] = []
    per_order: list[tuple[RoutingOrder, list[Delivery]]] = []
    reached: dict[int, list[int]] = {}  # telegram → units it newly reached
    for order in orders:
        if new is None:
            ORDER_LIFECYCLE.check(order.state, OrderState.DONE)
        telegram = telegrams[order.telegram_id]
        deadline = order.deadline or default_deadline(telegram)
        mine = []
        for r in order.routes:
            current = existing.get((telegram.pk, r["unit_id"]))
            if current is not None:
                # Already delivered by an earlier order: a stronger role wins, the state stays.
                if ROLE_STRENGTH[Role(r["role"])] > ROLE_STRENGTH[Role(current.role)]:
                    current.role = r["role"]
                    upgraded.append(current)
                continue
            d = Delivery(
                telegram=telegram, unit_id=r["unit_id"], order=order, role=r["role"],
                state=DeliveryState.DELIVERED, deadline=None if r["role"] == Role.READ else deadline,
                precedence_rank=telegram.precedence_rank, delivered_at=now, created_at=now,
            )
            d.unit_name = r["unit"]
            existing[(telegram.pk, r["unit_id"])] = d
            mine.append(d)
        created += mine
        per_order.append((order, mine))
        reached.setdefault(telegram.pk, []).extend(d.unit_id for d in mine)
    Delivery.objects.bulk_create(created)  # primary keys come back (PostgreSQL, SQLite ≥ 3.35)
    if upgraded:
        Delivery.objects.bulk_update(upgraded, ["role"])
    events = list(opened)
    for order, mine in per_order:
        events += [RoutingEvent(telegram_id=order.telegram_id, delivery=d, order=order, subject=Subject.DELIVERY,
                                from_state=DeliveryState.PENDING, to_state=DeliveryState.DELIVERED,
                                note=f"送达{d.unit_name}（{d.get_role_display()}）") for d in mine]
        events.append(RoutingEvent(telegram_id=order.telegram_id, order=order, subject=Subject.ORDER,
                                   from_state=OrderState.PENDING, to_state=OrderState.DONE, note=f"分送{len(mine)}个单位"))
        if new is None:
            order.state, order.completed_at, order.attempts = OrderState.DONE, now, order.attempts + 1
    RoutingEvent.objects.bulk_create(events)
    if new is None:
        # One plain UPDATE for the batch (bulk_update would build a CASE per column and row).
        RoutingOrder.objects.filter(pk__in=[o.pk for o in orders]).update(
            state=OrderState.DONE, completed_at=now, attempts=F("attempts") + 1,
        )
    moved = _follow(telegrams.values(), list(existing.values()), reopened={t for t, units in reached.items() if units})

    def data(order: RoutingOrder, mine: list[Delivery]):
        # built when appended: routed inside a registration, the receipt number it quotes is allocated later
        return lambda: {
            "telegram": telegrams[order.telegram_id].receipt_no,
            "deliveries": [{"unit": d.unit_name, "role": d.role,
                            "deadline": d.deadline.isoformat() if d.deadline else None} for d in mine],
            **({"telegram_state": moved[order.telegram_id]} if order.telegram_id in moved else {}),
        }

    entries = [("routing.delivered", order, data(order, mine), "", None) for order, mine in per_order]
    if audit_batch is None:
        record_many(None, entries)
    else:
        audit_batch += entries
    return len(created), reached


# ------------------------------------------------------------------------------------------------ deliveries


def _locked_delivery(delivery: Delivery) -> tuple[Telegram, Delivery]:
    """The telegram row first, then the delivery (the module's lock order)."""
    telegram = Telegram.objects.select_for_update().get(pk=delivery.telegram_id)
    delivery = Delivery.objects.select_for_update().select_related("unit").get(pk=delivery.pk)
    delivery.telegram = telegram
    return telegram, delivery


def _event(delivery: Delivery, *, actor, to: str, note: str = "") -> RoutingEvent:
    DELIVERY_LIFECYCLE.check(delivery.state, to)
    event = RoutingEvent.objects.create(telegram_id=delivery.telegram_id, delivery=delivery, actor=actor,
                                        subject=Subject.DELIVERY, from_state=delivery.state, to_state=to, note=note[:300])
    delivery.state = to
    return event


def _sync(telegram: Telegram) -> dict[int, str]:
    return _follow([telegram], list(Delivery.objects.filter(telegram=telegram)), reopened=set())


# Why a step is refused, by the delivery's state: the same words wherever the unit meets them.
_GONE = {
    DeliveryState.RETURNED: "本单位已退回该来电。",
    DeliveryState.TRANSFERRED: "本单位已转办该来电。",
    DeliveryState.CANCELLED: "该来电已退文，分送已撤销。",
}


def _refuse_unless(delivery: Delivery, allowed: Sequence[str], *, step: str) -> None:
    state = delivery.state
    if state in allowed:
        return
    if state in _GONE:
        raise NotAllowed(_GONE[state], code=state)
    if state == DeliveryState.PENDING:
        raise NotAllowed("该来电尚未送达本单位。", code="not_delivered")
    if step == "签收":
        raise NotAllowed("该来电已签收，无需重复签收。", code="already_signed")
    if step == "办结":
        if state == DeliveryState.DELIVERED:
            raise NotAllowed("请先签收再办结。", code="not_signed")
        raise NotAllowed("该来电已经办结。", code="already_done")
    raise NotAllowed(f"该来电已{'阅' if state == DeliveryState.READ else '办结'}，不能{step}。", code="already_done")


def _check_proxy(delivery: Delivery, actor) -> None:
    """代签收 / 代登记办结: only the clerk, and only for a unit that has no 承办人 account yet."""
    if not roles.is_clerk(actor):
        raise Forbidden("只有机要员可以代签收。")
    if staffed_units([delivery.unit_id]):
        raise NotAllowed(f"{delivery.unit.name}已有承办人账号，请由本单位签收和办结。", code="has_staff")


def _signature(user) -> str:
    person = getattr(user, "person", None) if hasattr(user, "person") else None
    return person.full_name if person and person.full_name else user.get_username()


def sign(delivery: Delivery, *, actor, proxy: bool = False) -> Delivery:
    """签收: the unit acknowledges receipt (who, when). Read-only deliveries are marked 已阅 instead.
    `proxy`: the clerk signs for a unit that has no account yet (代签收, recorded with who and when)."""
    with transaction.atomic():
        telegram, delivery = _locked_delivery(delivery)
        telegram_actions.refuse_if_archived(telegram, "签收")
        if proxy:
            _check_proxy(delivery, actor)
        _refuse_unless(delivery, (DeliveryState.DELIVERED,), step="签收")
        now = timezone.now()
        delivery.signed_at, delivery.signed_by, delivery.proxy_signed = now, actor, proxy
        by = f"（{_signature(actor)}代签收，{delivery.unit.name}尚无承办人账号）" if proxy else ""
        if delivery.role == Role.READ:
            _event(delivery, actor=actor, to=DeliveryState.READ, note="已阅" + by)
            delivery.done_at, delivery.done_by = now, actor
        else:
            _event(delivery, actor=actor, to=DeliveryState.SIGNED, note="签收" + by)
        delivery.save()
        moved = _sync(telegram)
        record_many(actor, [("routing.sign", delivery, {
            "telegram": telegram.receipt_no, "unit": delivery.unit.name, "state": delivery.state, "proxy": proxy,
            **({"telegram_state": moved[telegram.pk]} if moved else {}),
        }, "")])
        announce(DeliverySigned(delivery.pk, telegram.pk, delivery.unit_id))
    return delivery


MAX_FILES = 10


def _store_file(delivery: Delivery, upload: ScanUpload, actor) -> ResultFile:
    item = ResultFile(delivery=delivery, filename=upload.filename[:200], content_type=upload.content_type[:100],
                      size=len(upload.content), sha256=hashlib.sha256(upload.content).hexdigest(),
                      key_id=crypto.keyring().current, uploaded_by=actor)
    item.path.parent.mkdir(parents=True, exist_ok=True)
    tmp = item.path.with_suffix(".tmp")
    tmp.write_bytes(crypto.seal(upload.content, item.aad))
    tmp.replace(item.path)
    # Written before its row, as scans are: a rolled-back file is an orphan `rotate_keys --remove-orphans` removes.
    item.save()
    return item


def complete(delivery: Delivery, *, actor, result: str, close: bool = False, files: Sequence[ScanUpload] = (),
             proxy: bool = False) -> Delivery:
    """办结 with a result (required for handle/lead) and optional attachments (sealed like scans). A lead's 办结
    closes the telegram when the assisting units are done, or at once when the lead says so (`close`, refused
    for any other role). `proxy`: the clerk records it for a unit that has no account yet."""
    result = (result or "").strip()
    if len(result) > MAX_RESULT_LENGTH:
        raise InvalidInput(f"办理结果不能超过{MAX_RESULT_LENGTH}字。", field="result")
    if len(files) > MAX_FILES:
        raise InvalidInput(f"附件最多{MAX_FILES}个。", field="files")
    with transaction.atomic():
        telegram, delivery = _locked_delivery(delivery)
        telegram_actions.refuse_if_archived(telegram, "办结")
        if proxy:
            _check_proxy(delivery, actor)
        _refuse_unless(delivery, (DeliveryState.SIGNED,), step="办结")
        if delivery.role in (Role.LEAD, Role.HANDLE) and not result:
            raise InvalidInput("请填写办理结果。", field="result")
        if close and delivery.role != Role.LEAD:
            raise NotAllowed("只有牵头单位可以宣布整件办结。", field="close", code="not_lead")
        delivery.set_result(result)
        delivery.done_at, delivery.done_by = timezone.now(), actor
        note = "办结" + ("（牵头单位宣布办结）" if close else "") + (f"（{_signature(actor)}代登记）" if proxy else "")
        _event(delivery, actor=actor, to=DeliveryState.DONE, note=note)
        delivery.save()
        stored = [_store_file(delivery, f, actor) for f in files]
        if close and TELEGRAM_LIFECYCLE.can(telegram.state, TelegramState.DONE):
            old = telegram.state
            moved = telegram_actions.follow([(telegram, TelegramState.DONE)])
            if moved:
                RoutingEvent.objects.create(telegram=telegram, delivery=delivery, actor=actor, subject=Subject.TELEGRAM,
                                            from_state=old, to_state=TelegramState.DONE, note="牵头单位宣布办结")
        else:
            moved = _sync(telegram)
        record_many(actor, [("routing.done", delivery, {
            "telegram": telegram.receipt_no, "unit": delivery.unit.name, "close": close, "proxy": proxy,
            "files": [{"file": f.filename, "sha256": f.sha256} for f in stored],
            **({"telegram_state": moved[telegram.pk]} if moved else {}),
        }, "")])
        announce(DeliveryDone(delivery.pk, telegram.pk, delivery.unit_id, telegram.state))
    return delivery


def note_opened(telegram: Telegram, user) -> bool:
    """Read receipt: the first time someone of a unit opens a telegram delivered to it (未读 → 已读). One
    conditional UPDATE: two people opening it at once record the first. No state changes."""
    unit_id = unit_id_of(user)
    if unit_id is None or not roles.is_unit_staff(user):
        return False
    return bool(Delivery.objects.filter(telegram=telegram, unit_id=unit_id, opened_at__isnull=True)
                .exclude(state=DeliveryState.PENDING).update(opened_at=timezone.now(), opened_by=user))


# ------------------------------------------------------------------------------------- 退回, 转办, 重新分送


MAX_REASON_LENGTH = 300


def _reason(text: str, *, what: str) -> str:
    text = (text or "").strip()
    if not text:
        raise InvalidInput(f"请填写{what}。", field="reason")
    if len(text) > MAX_REASON_LENGTH:
        raise InvalidInput(f"{what}不能超过{MAX_REASON_LENGTH}字。", field="reason")
    return text


def _open_telegram(telegram: Telegram, *, step: str) -> None:
    telegram_actions.refuse_if_archived(telegram, step)
    if telegram.is_closed:
        raise NotAllowed(f"该来电{telegram.get_state_display()}，不能{step}。", code="closed")


def hand_back(delivery: Delivery, *, actor, reason: str) -> Handback:
    """退回: the unit sends back a telegram routed to it by mistake, saying why; the clerk (or a leader)
    routes it on (reroute) or decides no other unit needs it (settle_handback)."""
    reason = _reason(reason, what="退回原因")
    with transaction.atomic():
        telegram, delivery = _locked_delivery(delivery)
        _open_telegram(telegram, step="退回")
        _refuse_unless(delivery, (DeliveryState.DELIVERED, DeliveryState.SIGNED), step="退回")
        _event(delivery, actor=actor, to=DeliveryState.RETURNED, note=f"退回：{reason}")
        delivery.save(update_fields=["state"])
        handback = Handback.objects.create(delivery=delivery, reason=reason, by=actor)
        moved = _sync(telegram)
        record_many(actor, [("routing.hand_back", delivery, {
            "telegram": telegram.receipt_no, "unit": delivery.unit.name, "reason": reason,
            **({"telegram_state": moved[telegram.pk]} if moved else {}),
        }, "")])
        announce(DeliveryHandedBack(delivery.pk, telegram.pk, delivery.unit_id, reason))
    return handback


def _check_new_unit(telegram: Telegram, unit: Unit | None, *, field: str = "unit") -> None:
    """A unit the telegram may still be routed to: active, and not one that has (or had) a delivery of it."""
    if unit is None or not unit.active:
        raise InvalidInput("请选择一个启用的单位。", field=field)
    existing = Delivery.objects.filter(telegram=telegram, unit=unit).first()
    if existing is None and any(r["unit_id"] == unit.pk for routes in RoutingOrder.objects.filter(
            telegram=telegram, state=OrderState.PENDING).values_list("routes", flat=True) for r in routes):
        raise InvalidInput(f"{unit.name}已在分送中。", field=field)
    if existing is not None:
        if existing.state in CLOSED_OFF:
            raise InvalidInput(f"{unit.name}已{existing.get_state_display().removeprefix('已')}此件，请选择其他单位。",
                               field=field)
        raise InvalidInput(f"{unit.name}已在分送名单中（{existing.get_state_display()}）。", field=field)


def _may_route(actor) -> None:
    if not (roles.is_clerk(actor) or roles.is_leader(actor)):
        raise Forbidden("只有机要员或领导可以重新分送。")


def _locked_handback(handback: Handback) -> tuple[Telegram, Handback]:
    telegram = Telegram.objects.select_for_update().get(pk=handback.delivery.telegram_id)
    handback = Handback.objects.select_for_update().select_related("delivery__unit").get(pk=handback.pk)
    if handback.resolved_at is not None:
        raise NotAllowed("该退回已经处理过。", code="already_resolved")
    return telegram, handback


def reroute(handback: Handback, *, unit: Unit | None, actor) -> RoutingOrder:
    """The clerk or a leader routes a telegram a unit sent back to the right unit: same role and deadline."""
    _may_route(actor)
    with transaction.atomic():
        telegram, handback = _locked_handback(handback)
        _open_telegram(telegram, step="重新分送")
        _check_new_unit(telegram, unit)
        returned = handback.delivery
        plan = RoutingPlan(routes=[{"unit_id": unit.pk, "unit": unit.name, "role": returned.role}],
                           deadline=returned.deadline)
        entries: list = [("routing.reroute", handback, {
            "telegram": telegram.receipt_no, "from_unit": returned.unit.name, "unit": unit.name, "role": returned.role,
            "reason": handback.reason,
        }, "")]
        order = open_order(telegram, source=RoutingOrder.Source.REROUTE, text="", plan=plan, actor=actor,
                           audit_batch=entries,
                           note=f"{returned.unit.name}退回（{handback.reason[:100].rstrip('。.')}），改送{unit.name}")
        handback.resolved_at, handback.resolved_by, handback.rerouted_to = timezone.now(), actor, unit
        handback.resolution = f"改送{unit.name}"
        handback.save()
        record_many(actor, entries)
    return order


def settle_handback(handback: Handback, *, actor, note: str) -> Handback:
    """The clerk or a leader decides a unit's 退回 needs no other unit (the others handle it, or nobody need)."""
    _may_route(actor)
    note = (note or "").strip()
    if not note:
        raise InvalidInput("请填写不再分送的原因。", field="note")
    with transaction.atomic():
        telegram, handback = _locked_handback(handback)
        handback.resolved_at, handback.resolved_by, handback.resolution = timezone.now(), actor, note[:200]
        handback.save()
        RoutingEvent.objects.create(telegram=telegram, delivery=handback.delivery, actor=actor, subject=Subject.DELIVERY,
                                    from_state=DeliveryState.RETURNED, to_state=DeliveryState.RETURNED,
                                    note=f"{handback.delivery.unit.name}退回后不再分送：{handback.resolution}"[:300])
        record_many(actor, [("routing.handback_settled", handback, {
            "telegram": telegram.receipt_no, "unit": handback.delivery.unit.name, "note": handback.resolution,
        }, "")])
    return handback


def transfer(delivery: Delivery, *, actor, to_unit: Unit | None, reason: str, approved_by: str) -> Transfer:
    """转办: the unit passes its delivery on to another unit, with a reason and its leader's agreement (who).
    The other unit gets the same role and deadline through an order the worker routes."""
    reason = _reason(reason, what="转办原因")
    approved_by = (approved_by or "").strip()
    if not approved_by:
        raise InvalidInput("转办须经本单位领导同意，请填写同意转办的领导姓名。", field="approved_by")
    if len(approved_by) > 50:
        raise InvalidInput("领导姓名不能超过50字。", field="approved_by")
    if to_unit is not None and to_unit.pk == delivery.unit_id:
        raise InvalidInput("不能转办给本单位。", field="to_unit")
    with transaction.atomic():
        telegram, delivery = _locked_delivery(delivery)
        _open_telegram(telegram, step="转办")
        _refuse_unless(delivery, (DeliveryState.DELIVERED, DeliveryState.SIGNED), step="转办")
        _check_new_unit(telegram, to_unit, field="to_unit")
        _event(delivery, actor=actor, to=DeliveryState.TRANSFERRED,
               note=f"转办{to_unit.name}：{reason}（经{approved_by}同意）")
        delivery.save(update_fields=["state"])
        plan = RoutingPlan(routes=[{"unit_id": to_unit.pk, "unit": to_unit.name, "role": delivery.role}],
                           deadline=delivery.deadline)
        entries: list = []
        order = open_order(telegram, source=RoutingOrder.Source.TRANSFER, text="", plan=plan, actor=actor,
                           audit_batch=entries, note=f"{delivery.unit.name}转办{to_unit.name}")
        moved = _sync(telegram)
        item = Transfer.objects.create(delivery=delivery, to_unit=to_unit, reason=reason, approved_by=approved_by,
                                       by=actor, order=order)
        entries.insert(0, ("routing.transfer", delivery, {
            "telegram": telegram.receipt_no, "unit": delivery.unit.name, "to_unit": to_unit.name, "reason": reason,
            "approved_by": approved_by, **({"telegram_state": moved[telegram.pk]} if moved else {}),
        }, ""))
        record_many(actor, entries)
        announce(DeliveryTransferred(delivery.pk, telegram.pk, delivery.unit_id, to_unit.pk))
    return item


# ------------------------------------------------------------------------------------------ 办结期限


def change_deadline(delivery: Delivery, *, deadline: date | None, reason: str, actor) -> Delivery:
    """The clerk moves one delivery's deadline (a unit asked for more time, the sender changed it), saying why.
    Its reminders start a new series (their keys name the deadline: reminders)."""
    if not roles.is_clerk(actor):
        raise Forbidden("只有机要员可以修改办结期限。")
    reason = _reason(reason, what="修改原因")
    if deadline is None:
        raise InvalidInput("请填写新的办结期限。", field="deadline")
    if not FIRST_DAY <= deadline <= LAST_DAY:
        raise InvalidInput(f"办结期限须在{FIRST_DAY.year}年至{LAST_DAY.year}年之间。", field="deadline")
    with transaction.atomic():
        telegram, delivery = _locked_delivery(delivery)
        _open_telegram(telegram, step="修改办结期限")
        if delivery.role == Role.READ:
            raise NotAllowed("阅知单位没有办结期限。", code="read_only")
        if delivery.state not in (DeliveryState.DELIVERED, DeliveryState.SIGNED):
            raise NotAllowed(f"{delivery.unit.name}的分送{delivery.get_state_display()}，不能修改办结期限。",
                             code=delivery.state)
        old = delivery.deadline
        if old == deadline:
            raise InvalidInput("新的办结期限与原期限相同。", field="deadline")
        delivery.deadline = deadline
        delivery.save(update_fields=["deadline"])
        RoutingEvent.objects.create(
            telegram=telegram, delivery=delivery, actor=actor, subject=Subject.DELIVERY, from_state=delivery.state,
            to_state=delivery.state,
            note=f"{delivery.unit.name}办结期限由{old.isoformat() if old else '无'}改为{deadline.isoformat()}：{reason}"[:300])
        record_many(actor, [("routing.deadline_changed", delivery, {
            "telegram": telegram.receipt_no, "unit": delivery.unit.name,
            "from": old.isoformat() if old else None, "to": deadline.isoformat(), "reason": reason,
        }, "")])
        announce(DeadlineChanged(delivery.pk, telegram.pk, delivery.unit_id, deadline.isoformat()))
    return delivery


# ------------------------------------------------------------------------------------- 阅件传阅 to units


def circulate(telegram: Telegram, *, units: Sequence[Unit], actor) -> RoutingOrder:
    """传阅 a 阅件 to units: each gets a 阅知 delivery (read receipt 未读 → 已读 → 已阅); nothing to finish."""
    if not roles.is_clerk(actor):
        raise Forbidden("只有机要员可以传阅阅件。")
    units = list({u.pk: u for u in units}.values())
    if not units:
        raise InvalidInput("请选择传阅的单位。", field="units")
    with transaction.atomic():
        telegram = Telegram.objects.select_for_update().get(pk=telegram.pk)
        _open_telegram(telegram, step="传阅")
        if telegram.kind != "read":
            raise NotAllowed("请先在初审中将该来电定为阅件，再传阅给单位。", field="units", code="not_for_reading")
        for unit in units:
            _check_new_unit(telegram, unit, field="units")
        plan = RoutingPlan(routes=[{"unit_id": u.pk, "unit": u.name, "role": Role.READ} for u in units])
        entries: list = []
        order = open_order(telegram, source=RoutingOrder.Source.CIRCULATE, text="", plan=plan, actor=actor,
                           audit_batch=entries)
        record_many(actor, entries)
        announce(Circulated(telegram.pk, tuple(u.pk for u in units)))
    return order


# --------------------------------------------------------------------------------------------------- 退文


def return_telegram(telegram: Telegram, data: ReturnInput, *, actor) -> TelegramReturn:
    """退文: 初审 found the telegram not for this office (or improper). It keeps its number; its state becomes
    已退文; every open delivery and pending order is cancelled (已撤销) and names waiting on the clerk's lists
    are settled. Locks: pending orders, the telegram, its open deliveries, the chain head."""
    if not roles.is_clerk(actor):
        raise Forbidden("只有机要员可以退文。")
    data = telegram_actions.check_return(data)
    with transaction.atomic():
        pending = list(RoutingOrder.objects.select_for_update().filter(telegram_id=telegram.pk, state=OrderState.PENDING)
                       .order_by("pk"))
        telegram = Telegram.objects.select_for_update().get(pk=telegram.pk)
        try:
            with transaction.atomic():
                returned, entry = telegram_actions.mark_returned(telegram, data, actor=actor)
        except IntegrityError:  # the same submission's twin committed first
            raise telegram_actions.AlreadyReturned("该来电已经退文，未重复提交。", existing=telegram.pk)
        now = timezone.now()
        deliveries = list(Delivery.objects.select_for_update().select_related("unit")
                          .filter(telegram=telegram, state__in=OPEN).order_by("pk"))
        events = []
        for order in pending:
            ORDER_LIFECYCLE.check(order.state, OrderState.CANCELLED)
            events.append(RoutingEvent(telegram=telegram, order=order, actor=actor, subject=Subject.ORDER,
                                       from_state=order.state, to_state=OrderState.CANCELLED, note="退文，分送指令撤销"))
            order.state = OrderState.CANCELLED
        for d in deliveries:
            DELIVERY_LIFECYCLE.check(d.state, DeliveryState.CANCELLED)
            events.append(RoutingEvent(telegram=telegram, delivery=d, actor=actor, subject=Subject.DELIVERY,
                                       from_state=d.state, to_state=DeliveryState.CANCELLED,
                                       note=f"退文，撤销对{d.unit.name}的分送"))
            d.state = DeliveryState.CANCELLED
        RoutingOrder.objects.filter(pk__in=[o.pk for o in pending]).update(state=OrderState.CANCELLED, completed_at=now)
        Delivery.objects.filter(pk__in=[d.pk for d in deliveries]).update(state=DeliveryState.CANCELLED)
        RoutingEvent.objects.bulk_create(events)
        # Nothing more to route: what waited on the clerk's lists is settled with the reason.
        UnknownUnit.objects.filter(telegram=telegram, resolved_at__isnull=True).update(
            resolved_at=now, resolved_by=actor, note="来电已退文")
        Handback.objects.filter(delivery__telegram=telegram, resolved_at__isnull=True).update(
            resolved_at=now, resolved_by=actor, resolution="来电已退文")
        entry[2]["cancelled"] = [d.unit.name for d in deliveries]
        entry[2]["orders_cancelled"] = len(pending)
        record_many(actor, [entry])
        announce(TelegramReturned(telegram.pk, telegram.receipt_no, tuple(d.unit_id for d in deliveries)))
    return returned


# ------------------------------------------------------------------------------- units the directory lacked


def _locked_unknown(item: UnknownUnit) -> tuple[Telegram, UnknownUnit]:
    telegram = Telegram.objects.select_for_update().get(pk=item.telegram_id)
    item = UnknownUnit.objects.select_for_update().get(pk=item.pk)
    if item.resolved_at is not None:
        raise NotAllowed(f"“{item.name}”已经处理过。", code="already_resolved")
    if telegram.state == TelegramState.VOID:
        raise NotAllowed("已作废的来电不再分送。")
    return telegram, item


def route_unknown(item: UnknownUnit, *, unit, role: str, actor) -> RoutingOrder | None:
    """The clerk routes a name the 批办 used to a unit of the directory (added since, or named otherwise)."""
    if role not in Role.values:
        raise InvalidInput("请选择分送角色。", field="role")
    if unit is None or not unit.active:
        raise InvalidInput("请选择一个启用的单位。", field="unit")
    with transaction.atomic():
        telegram, item = _locked_unknown(item)
        item.unit, item.resolved_at, item.resolved_by = unit, timezone.now(), actor
        item.note = f"分送给{unit.name}"
        item.save()
        plan = RoutingPlan(routes=[{"unit_id": unit.pk, "unit": unit.name, "role": role}], deadline=item.deadline)
        entries: list = [("routing.unknown_routed", item, {
            "telegram": telegram.receipt_no, "name": item.name, "unit": unit.name, "role": role,
        }, "")]
        order = open_order(telegram, source=RoutingOrder.Source.RESOLVED, text="", plan=plan, actor=actor,
                           audit_batch=entries)
        record_many(actor, entries)
    return order


def set_aside_unknown(item: UnknownUnit, *, actor, note: str) -> UnknownUnit:
    """The clerk decides a name needs no routing here (not a unit of ours, already informed otherwise)."""
    note = (note or "").strip()
    if not note:
        raise InvalidInput("请填写不分送的原因。", field="note")
    with transaction.atomic():
        telegram, item = _locked_unknown(item)
        item.resolved_at, item.resolved_by, item.note = timezone.now(), actor, note[:200]
        item.save()
        record_many(actor, [("routing.unknown_set_aside", item, {
            "telegram": telegram.receipt_no, "name": item.name, "note": item.note,
        }, "")])
    return item
