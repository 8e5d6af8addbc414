"""Routing state changes: orders (outbox), deliveries, sign/done/read. Each writes its events and audit entry
in the same transaction as the change."""
from __future__ import annotations

import logging
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from audit.services import record, record_many
from directory import snapshot
from telegrams.models import State, Telegram

from .models import Delivery, DeliveryState, OrderState, Role, RoutingEvent, RoutingOrder

log = logging.getLogger(__name__)

ROLE_STRENGTH = {Role.LEAD: 3, Role.HANDLE: 2, Role.ASSIST: 1, Role.READ: 0}


class RoutingError(Exception):
    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass
class RoutingPlan:
    """What an instruction resolved to against the directory; routes carry unit ids so the worker needs no
    second parse and routes exactly what the clerk or leader saw and confirmed."""

    routes: list[dict] = field(default_factory=list)  # {"unit_id", "unit", "role"}
    deadline: date | None = None
    archive: bool = False
    unknown: list[str] = field(default_factory=list)
    suggestions: dict[str, list[str]] = field(default_factory=dict)
    needs_instruction: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.unknown

    def unknown_message(self) -> str:
        from .instructions import describe_unknown

        names = describe_unknown({name: self.suggestions.get(name, []) for name in self.unknown})
        return names + "。请修改批办内容或先在机构目录中添加该单位。"


def plan_for(text: str, *, received_on: date | None = None, units: snapshot.Snapshot | None = None) -> RoutingPlan:
    """Parse a 批办/批示 text against the directory in the database (or the `units` the caller already read)."""
    from .instructions import Directory, InstructionError, parse

    units = units or snapshot.current()  # kept in memory until the unit table changes
    directory = Directory.from_snapshot(units)
    try:
        parsed = parse(text, directory, received_on=received_on)
    except InstructionError as exc:
        raise RoutingError(str(exc), "instruction") from exc
    found = (units.find(r.unit) for r in parsed.routes)
    ids = {u.name: u.id for u in found if u is not None}
    return RoutingPlan(
        routes=[{"unit_id": ids[r.unit], "unit": r.unit, "role": r.role} for r in parsed.routes if r.unit in ids],
        deadline=parsed.deadline,
        archive=parsed.archive,
        unknown=list(parsed.unknown),
        suggestions={n: directory.suggest(n) for n in parsed.unknown},
        needs_instruction=list(parsed.needs_instruction),
    )


def default_deadline(telegram: Telegram) -> date:
    days = settings.DEADLINE_DAYS.get(telegram.precedence, 10)
    return timezone.localdate(telegram.received_at) + timedelta(days=days)


def dispatch(order: RoutingOrder, *, swept: bool = False) -> None:
    """Send the order to a worker once the current transaction commits. A failed send is only logged:
    the sweeper re-sends every pending order (`swept`), so nothing is lost."""
    order_id, urgent = order.pk, order.urgent
    kwargs = {"swept": True} if swept else {}

    def send() -> None:
        from .tasks import route_order

        try:
            route_order.apply_async(
                args=[order_id], kwargs=kwargs, queue="urgent" if urgent else "default", priority=9 if urgent else 0,
                retry=True, retry_policy={"max_retries": 2, "interval_start": 0.2, "interval_step": 0.5},
            )
        except Exception:  # broker down: the sweeper will pick the order up
            log.warning("routing order %s not sent; the sweeper will re-send it", order_id, exc_info=True)

    transaction.on_commit(send)


def _audit(actor, entry: tuple, batch: list | None) -> None:
    if batch is None:
        record_many(actor, [entry])
    else:
        batch.append(entry)


def create_order(telegram: Telegram, *, source: str, text: str, routes: RoutingPlan, actor,
                 audit_batch: list | None = None) -> RoutingOrder | None:
    """Write the outbox row for a confirmed plan (every unit resolved). Archive-only plans file the telegram.

    A 批办 is a plaintext register field, so its text is kept with the order. A 批示 is encrypted at rest, so an
    order made from one keeps no copy of its text (nor do its event and audit entry): the annotation has it.
    With `audit_batch`, the audit entry is appended there for the caller's own `record_many` (one chain-head lock)."""
    assert transaction.get_connection().in_atomic_block
    if not routes.ok:
        raise RoutingError(routes.unknown_message(), "instruction")
    kept_text = text if source == "instruction" else ""
    if routes.archive and not routes.routes:
        Telegram.objects.filter(pk=telegram.pk).update(state=State.ARCHIVED)
        _audit(actor, ("telegram.archive", telegram, {"source": source, "text": kept_text}, ""), audit_batch)
        return None
    if not routes.routes:
        return None
    order = RoutingOrder.objects.create(
        telegram=telegram, source=source, text=kept_text, routes=routes.routes,
        deadline=routes.deadline, urgent=telegram.is_urgent, created_by=actor,
    )
    note = f"批办：{kept_text[:200]}" if kept_text else "领导批示分送：" + "、".join(r["unit"] for r in routes.routes)
    RoutingEvent.objects.create(telegram=telegram, order=order, actor=actor, to_state=OrderState.PENDING, note=note[:300])
    if telegram.state == State.REGISTERED:
        Telegram.objects.filter(pk=telegram.pk).update(state=State.INSTRUCTED)
    # The entry quotes the receipt number, which a registration allocates only after writing its order: the data
    # is built when the entry is appended (audit.services.record_many).
    entry = ("routing.order", order, lambda: {
        "telegram": telegram.receipt_no, "source": source, "text": kept_text,
        "routes": [{"unit": r["unit"], "role": r["role"]} for r in routes.routes],
        "deadline": routes.deadline.isoformat() if routes.deadline else None,
    }, "")
    _audit(actor, entry, audit_batch)
    dispatch(order)
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
        created = _route_orders(orders)
        ids = [o.pk for o in orders]
        transaction.on_commit(lambda: _remember_routed(ids))
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


def _route_orders(orders: list[RoutingOrder]) -> int:
    now = timezone.now()
    telegrams = {t.pk: t for t in Telegram.objects.filter(pk__in={o.telegram_id for o in orders})}
    existing: dict[tuple[int, int], Delivery] = {
        (d.telegram_id, d.unit_id): d for d in Delivery.objects.filter(telegram_id__in=telegrams)
    }
    created: list[Delivery] = []
    upgraded: list[Delivery] = []
    per_order: list[tuple[RoutingOrder, list[Delivery]]] = []
    reached: dict[int, list[int]] = {}  # telegram → units it newly reached
    for order in orders:
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
        events += [RoutingEvent(telegram_id=order.telegram_id, delivery=d, order=order, from_state=DeliveryState.PENDING,
                                to_state=DeliveryState.DELIVERED, note=f"送达{d.unit_name}（{d.get_role_display()}）")
                   for d in mine]
        events.append(RoutingEvent(telegram_id=order.telegram_id, order=order, from_state=OrderState.PENDING,
                                   to_state=OrderState.DONE, note=f"分送{len(mine)}个单位"))
        order.state, order.completed_at, order.attempts = OrderState.DONE, now, order.attempts + 1
    RoutingEvent.objects.bulk_create(events)
    # One plain UPDATE for the batch (bulk_update would build a CASE per column and row).
    RoutingOrder.objects.filter(pk__in=[o.pk for o in orders]).update(
        state=OrderState.DONE, completed_at=now, attempts=F("attempts") + 1,
    )
    record_many(None, [("routing.delivered", order, {
        "telegram": telegrams[order.telegram_id].receipt_no,
        "deliveries": [{"unit": d.unit_name, "role": d.role, "deadline": d.deadline.isoformat() if d.deadline else None}
                       for d in mine],
    }, "") for order, mine in per_order])
    _sync_states(telegrams.values(), list(existing.values()), reopened={t for t, units in reached.items() if units})
    from annotations.services import notify_delivered

    notify_delivered([(telegrams[t], units) for t, units in reached.items() if units])
    return len(created)


def pending_orders_to_resend(limit: int = 200) -> list[int]:
    """Claim pending orders older than the grace period (SKIP LOCKED on PostgreSQL, so two sweepers never
    claim the same order) and mark them sent; the caller dispatches them after commit."""
    cutoff = timezone.now() - timedelta(seconds=settings.ROUTING_SWEEP_GRACE)
    skip_locked = connection.features.has_select_for_update_skip_locked  # PostgreSQL; SQLite serializes writers
    with transaction.atomic():
        qs = (RoutingOrder.objects.select_for_update(skip_locked=skip_locked)
              .filter(state=OrderState.PENDING, created_at__lt=cutoff)
              .filter(Q(last_sent_at__isnull=True) | Q(last_sent_at__lt=cutoff))
              .order_by("-urgent", "created_at")[:limit])
        orders = list(qs)
        now = timezone.now()
        for order in orders:
            order.last_sent_at = now
            dispatch(order, swept=True)
        RoutingOrder.objects.bulk_update(orders, ["last_sent_at"])
    return [o.pk for o in orders]


def _state_from(deliveries: list[Delivery]) -> str | None:
    action = [d.state for d in deliveries if d.role != Role.READ]
    if not deliveries:
        return None
    if action and all(s == DeliveryState.DONE for s in action):
        return State.DONE
    if not action and all(d.state == DeliveryState.READ for d in deliveries):
        return State.DONE
    if any(d.state in (DeliveryState.SIGNED, DeliveryState.DONE, DeliveryState.READ) for d in deliveries):
        return State.IN_PROGRESS
    return State.INSTRUCTED


def _sync_states(telegrams, deliveries: list[Delivery], *, reopened: set[int]) -> None:
    """The telegram's state follows its deliveries: 已批办 → 办理中 → 已办结. A telegram once done (perhaps closed
    early by its lead unit) stays done, unless new deliveries were just routed to it (`reopened`)."""
    by_telegram: dict[int, list[Delivery]] = {}
    for d in deliveries:
        by_telegram.setdefault(d.telegram_id, []).append(d)
    changes: dict[str, list[int]] = {}
    for telegram in telegrams:
        if telegram.state in (State.VOID, State.ARCHIVED):
            continue
        new = _state_from(by_telegram.get(telegram.pk, []))
        if new is None or new == telegram.state:
            continue
        if telegram.state != State.DONE or new == State.DONE or telegram.pk in reopened:
            changes.setdefault(new, []).append(telegram.pk)
            telegram.state = new
    for state, ids in changes.items():
        Telegram.objects.filter(pk__in=ids).update(state=state)


def sync_telegram_state(telegram: Telegram) -> None:
    _sync_states([telegram], list(Delivery.objects.filter(telegram=telegram)), reopened=set())


def _change(delivery: Delivery, *, actor, to: str, note: str = "") -> None:
    RoutingEvent.objects.create(telegram_id=delivery.telegram_id, delivery=delivery, actor=actor,
                                from_state=delivery.state, to_state=to, note=note[:300])
    delivery.state = to


def sign(delivery: Delivery, *, actor) -> Delivery:
    """签收: the unit acknowledges receipt (who, when). Read-only deliveries are marked 已阅 instead."""
    with transaction.atomic():
        delivery = Delivery.objects.select_for_update().select_related("telegram", "unit").get(pk=delivery.pk)
        if delivery.state != DeliveryState.DELIVERED:
            raise RoutingError("该来电已签收，无需重复签收。")
        now = timezone.now()
        delivery.signed_at, delivery.signed_by = now, actor
        if delivery.role == Role.READ:
            _change(delivery, actor=actor, to=DeliveryState.READ, note="签收并阅知")
            delivery.done_at, delivery.done_by = now, actor
        else:
            _change(delivery, actor=actor, to=DeliveryState.SIGNED, note="签收")
        delivery.save()
        record(actor, "routing.sign", delivery, {
            "telegram": delivery.telegram.receipt_no, "unit": delivery.unit.name, "state": delivery.state,
        })
        sync_telegram_state(delivery.telegram)
    return delivery


def complete(delivery: Delivery, *, actor, result: str, close: bool = False) -> Delivery:
    """办结 with a result (required for handle/lead). A lead's 办结 closes the telegram when the assisting
    units are done, or at once when the lead says so (`close`)."""
    result = (result or "").strip()
    with transaction.atomic():
        delivery = Delivery.objects.select_for_update().select_related("telegram", "unit").get(pk=delivery.pk)
        if delivery.state == DeliveryState.DELIVERED:
            raise RoutingError("请先签收再办结。")
        if delivery.state in (DeliveryState.DONE, DeliveryState.READ):
            raise RoutingError("该来电已经办结。")
        if delivery.role in (Role.LEAD, Role.HANDLE) and not result:
            raise RoutingError("请填写办理结果。", "result")
        if len(result) > 5000:
            raise RoutingError("办理结果不能超过5000字。", "result")
        delivery.set_result(result)
        delivery.done_at, delivery.done_by = timezone.now(), actor
        _change(delivery, actor=actor, to=DeliveryState.DONE, note="办结" + ("（牵头单位宣布办结）" if close else ""))
        delivery.save()
        record(actor, "routing.done", delivery, {
            "telegram": delivery.telegram.receipt_no, "unit": delivery.unit.name, "close": close,
        })
        telegram = delivery.telegram
        if close and delivery.role == Role.LEAD:
            Telegram.objects.filter(pk=telegram.pk).update(state=State.DONE)
            RoutingEvent.objects.create(telegram=telegram, delivery=delivery, actor=actor, from_state=telegram.state,
                                        to_state=State.DONE, note="牵头单位宣布办结")
        else:
            sync_telegram_state(telegram)
    return delivery
