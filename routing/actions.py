"""Every state change of a routing order and a delivery: open an order, route it, sign, complete, and the
clerk's handling of units a 批办 named that the directory lacks. The only code that assigns
`RoutingOrder.state` or `Delivery.state`; each checks ORDER_LIFECYCLE/DELIVERY_LIFECYCLE, records a
RoutingEvent and its audit entry in the same transaction, moves the telegram to the state its deliveries call
for (telegrams.actions.follow), and announces its effect after commit (routing.events).

Locks are always taken in one order — orders, then telegram rows, then deliveries, then the audit chain head —
so two actions on one telegram queue instead of deadlocking."""
from __future__ import annotations

from collections import OrderedDict

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from audit.services import record_many
from core.errors import InvalidInput, NotAllowed
from core.events import announce
from telegrams import actions as telegram_actions
from telegrams.models import TELEGRAM_LIFECYCLE, Telegram, TelegramState

from .dispatch import dispatch
from .events import Delivered, DeliveryDone, DeliverySigned, UnknownUnitsFound
from .models import (
    DELIVERY_LIFECYCLE,
    ORDER_LIFECYCLE,
    Delivery,
    DeliveryState,
    OrderState,
    Role,
    RoutingEvent,
    RoutingOrder,
    Subject,
    UnknownUnit,
)
from .planning import ROLE_STRENGTH, RoutingPlan, default_deadline

MAX_RESULT_LENGTH = 5000


# ------------------------------------------------------------------------------------------- telegram state


def state_for(deliveries: list[Delivery]) -> str | None:
    """The telegram state its deliveries call for: 已批办 → 办理中 → 已办结 (None: no deliveries yet)."""
    if not deliveries:
        return None
    action = [d.state for d in deliveries if d.role != Role.READ]
    if action and all(s == DeliveryState.DONE for s in action):
        return TelegramState.DONE
    if not action and all(d.state == DeliveryState.READ for d in deliveries):
        return TelegramState.DONE
    if any(d.state in (DeliveryState.SIGNED, DeliveryState.DONE, DeliveryState.READ) for d in deliveries):
        return TelegramState.IN_PROGRESS
    return TelegramState.INSTRUCTED


def _follow(telegrams, deliveries: list[Delivery], *, reopened: set[int]) -> dict[int, str]:
    """Move each telegram to what its deliveries call for. A telegram once done (perhaps closed early by its
    lead unit) stays done unless new deliveries were just routed to it (`reopened`); voided and filed ones
    never follow."""
    by_telegram: dict[int, list[Delivery]] = {}
    for d in deliveries:
        by_telegram.setdefault(d.telegram_id, []).append(d)
    moves = []
    for telegram in telegrams:
        if telegram.state in (TelegramState.VOID, TelegramState.ARCHIVED):
            continue
        new = state_for(by_telegram.get(telegram.pk, []))
        if new is None or new == telegram.state:
            continue
        if telegram.state != TelegramState.DONE or new == TelegramState.DONE or telegram.pk in reopened:
            moves.append((telegram, new))
    return telegram_actions.follow(moves)


# ---------------------------------------------------------------------------------------------------- orders


def open_order(telegram: Telegram, *, source: str, text: str, plan: RoutingPlan, actor, keep_unknown: bool = False,
               audit_batch: list | None = None) -> RoutingOrder | None:
    """Write the outbox row for a confirmed plan; the worker routes it after commit.

    Unknown units refuse the order (a leader's 批示 is confirmed against the directory), unless `keep_unknown`:
    a registration's 批办 is the record of what the telegram said, so its unknown names wait on the clerk's list
    (UnknownUnit) and the known units are routed now. A plan that only files (存档) files the telegram.

    A 批办 is a plaintext register field, so its text is kept with the order. A 批示 is encrypted at rest, so an
    order made from one keeps no copy of its text (nor do its event and audit entry): the annotation has it.
    With `audit_batch`, audit entries are appended there for the caller's own `record_many` (one chain-head lock);
    without, they are recorded here."""
    assert transaction.get_connection().in_atomic_block
    if plan.unknown and not keep_unknown:
        raise InvalidInput(plan.unknown_message(), field="instruction")
    kept_text = text if source == RoutingOrder.Source.INSTRUCTION else ""
    entries: list = []
    order = None
    if plan.files_only:
        entries.append(telegram_actions.file_away(telegram, actor=actor, source=source, text=kept_text))
    if plan.routes:
        order = RoutingOrder.objects.create(
            telegram=telegram, source=source, text=kept_text, routes=plan.routes,
            deadline=plan.deadline, urgent=telegram.is_urgent, created_by=actor,
        )
        units = "、".join(r["unit"] for r in plan.routes)
        note = {RoutingOrder.Source.INSTRUCTION: f"批办：{kept_text[:200]}", RoutingOrder.Source.ANNOTATION: f"领导批示分送：{units}",
                RoutingOrder.Source.RESOLVED: f"补充分送：{units}"}[source]
        RoutingEvent.objects.create(telegram=telegram, order=order, actor=actor, subject=Subject.ORDER,
                                    to_state=OrderState.PENDING, note=note[:300])
        if telegram.state == TelegramState.REGISTERED:
            telegram_actions.follow([(telegram, TelegramState.INSTRUCTED)])
        # The entry quotes the receipt number, which a registration allocates only after writing its order: the
        # data is built when the entry is appended (audit.services.record_many).
        entries.append(("routing.order", order, lambda: {
            "telegram": telegram.receipt_no, "source": source, "text": kept_text,
            "routes": [{"unit": r["unit"], "role": r["role"]} for r in plan.routes],
            "deadline": plan.deadline.isoformat() if plan.deadline else None,
        }, ""))
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


def _route_orders(orders: list[RoutingOrder]) -> tuple[int, dict[int, list[int]]]:
    now = timezone.now()
    # Telegram rows are locked after the orders and before the chain head (the module's lock order).
    telegrams = {t.pk: t for t in Telegram.objects.select_for_update().filter(pk__in={o.telegram_id for o in orders})
                 .order_by("pk")}
    existing: dict[tuple[int, int], Delivery] = {
        (d.telegram_id, d.unit_id): d for d in Delivery.objects.filter(telegram_id__in=telegrams)
    }
    created: list[Delivery] = []
    upgraded: list[Delivery] = []
    per_order: list[tuple[RoutingOrder, list[Delivery]]] = []
    reached: dict[int, list[int]] = {}  # telegram → units it newly reached
    for order in orders:
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
    events = []
    for order, mine in per_order:
        events += [RoutingEvent(telegram_id=order.telegram_id, delivery=d, order=order, subject=Subject.DELIVERY,
                                from_state=DeliveryState.PENDING, to_state=DeliveryState.DELIVERED,
                                note=f"送达{d.unit_name}（{d.get_role_display()}）") for d in mine]
        events.append(RoutingEvent(telegram_id=order.telegram_id, order=order, subject=Subject.ORDER,
                                   from_state=OrderState.PENDING, to_state=OrderState.DONE, note=f"分送{len(mine)}个单位"))
        order.state, order.completed_at, order.attempts = OrderState.DONE, now, order.attempts + 1
    RoutingEvent.objects.bulk_create(events)
    # One plain UPDATE for the batch (bulk_update would build a CASE per column and row).
    RoutingOrder.objects.filter(pk__in=[o.pk for o in orders]).update(
        state=OrderState.DONE, completed_at=now, attempts=F("attempts") + 1,
    )
    moved = _follow(telegrams.values(), list(existing.values()), reopened={t for t, units in reached.items() if units})
    record_many(None, [("routing.delivered", order, {
        "telegram": telegrams[order.telegram_id].receipt_no,
        "deliveries": [{"unit": d.unit_name, "role": d.role, "deadline": d.deadline.isoformat() if d.deadline else None}
                       for d in mine],
        **({"telegram_state": moved[order.telegram_id]} if order.telegram_id in moved else {}),
    }, "") for order, mine in per_order])
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


def sign(delivery: Delivery, *, actor) -> Delivery:
    """签收: the unit acknowledges receipt (who, when). Read-only deliveries are marked 已阅 instead."""
    with transaction.atomic():
        telegram, delivery = _locked_delivery(delivery)
        if delivery.state != DeliveryState.DELIVERED:
            raise NotAllowed("该来电已签收，无需重复签收。", code="already_signed")
        now = timezone.now()
        delivery.signed_at, delivery.signed_by = now, actor
        if delivery.role == Role.READ:
            _event(delivery, actor=actor, to=DeliveryState.READ, note="签收并阅知")
            delivery.done_at, delivery.done_by = now, actor
        else:
            _event(delivery, actor=actor, to=DeliveryState.SIGNED, note="签收")
        delivery.save()
        moved = _sync(telegram)
        record_many(actor, [("routing.sign", delivery, {
            "telegram": telegram.receipt_no, "unit": delivery.unit.name, "state": delivery.state,
            **({"telegram_state": moved[telegram.pk]} if moved else {}),
        }, "")])
        announce(DeliverySigned(delivery.pk, telegram.pk, delivery.unit_id))
    return delivery


def complete(delivery: Delivery, *, actor, result: str, close: bool = False) -> Delivery:
    """办结 with a result (required for handle/lead). A lead's 办结 closes the telegram when the assisting
    units are done, or at once when the lead says so (`close`, refused for any other role)."""
    result = (result or "").strip()
    if len(result) > MAX_RESULT_LENGTH:
        raise InvalidInput(f"办理结果不能超过{MAX_RESULT_LENGTH}字。", field="result")
    with transaction.atomic():
        telegram, delivery = _locked_delivery(delivery)
        if delivery.state == DeliveryState.DELIVERED:
            raise NotAllowed("请先签收再办结。", code="not_signed")
        if delivery.state in (DeliveryState.DONE, DeliveryState.READ):
            raise NotAllowed("该来电已经办结。", code="already_done")
        if delivery.role in (Role.LEAD, Role.HANDLE) and not result:
            raise InvalidInput("请填写办理结果。", field="result")
        if close and delivery.role != Role.LEAD:
            raise NotAllowed("只有牵头单位可以宣布整件办结。", field="close", code="not_lead")
        delivery.set_result(result)
        delivery.done_at, delivery.done_by = timezone.now(), actor
        _event(delivery, actor=actor, to=DeliveryState.DONE, note="办结" + ("（牵头单位宣布办结）" if close else ""))
        delivery.save()
        if close and TELEGRAM_LIFECYCLE.can(telegram.state, TelegramState.DONE):
            old = telegram.state
            moved = telegram_actions.follow([(telegram, TelegramState.DONE)])
            if moved:
                RoutingEvent.objects.create(telegram=telegram, delivery=delivery, actor=actor, subject=Subject.TELEGRAM,
                                            from_state=old, to_state=TelegramState.DONE, note="牵头单位宣布办结")
        else:
            moved = _sync(telegram)
        record_many(actor, [("routing.done", delivery, {
            "telegram": telegram.receipt_no, "unit": delivery.unit.name, "close": close,
            **({"telegram_state": moved[telegram.pk]} if moved else {}),
        }, "")])
        announce(DeliveryDone(delivery.pk, telegram.pk, delivery.unit_id, telegram.state))
    return delivery


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
