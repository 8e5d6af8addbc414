"""Where each telegram is, for lists (the register): the units it was routed to (lead first), how many finished,
how many have not signed for it yet and how many have not even opened it (read receipts), the nearest deadline
still open, and how many units an order still waits to
reach (the worker has not routed it yet). Two queries for a page of telegrams, whatever their number of units."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from .models import Delivery, DeliveryState, OrderState, Role, RoutingOrder

_D = DeliveryState
FINISHED = (_D.DONE, _D.READ)
UNSIGNED = (_D.PENDING, _D.DELIVERED)
OPEN = (_D.PENDING, _D.DELIVERED, _D.SIGNED)
# A delivery in any other state (a later procedure's 退回/转办/撤销) no longer counts as one of the units.
COUNTED = (*OPEN, *FINISHED)
ROLE_ORDER = {Role.LEAD: 0, Role.HANDLE: 1, Role.ASSIST: 2, Role.READ: 3}
SHOWN_UNITS = 4  # a 批办 to every city's office lists the first ones and "等N家"


@dataclass(frozen=True)
class UnitMark:
    name: str  # the short name when the unit has one
    full_name: str
    role: str
    state: str
    opened: bool  # someone of the unit opened the telegram (the read receipt)

    @property
    def role_label(self) -> str:
        return Role(self.role).label

    @property
    def state_label(self) -> str:
        return DeliveryState(self.state).label

    @property
    def unread(self) -> bool:
        return self.state in OPEN and not self.opened


@dataclass
class Progress:
    units: list[UnitMark] = field(default_factory=list)
    finished: int = 0
    unsigned: int = 0
    unread: int = 0  # open deliveries nobody of the unit has opened yet
    deadline: date | None = None  # the nearest deadline of a delivery still open
    overdue: bool = False
    routing: int = 0  # units named by orders not routed yet (待分送)

    @property
    def total(self) -> int:
        return len(self.units)

    @property
    def shown(self) -> list[UnitMark]:
        return self.units[:SHOWN_UNITS]

    @property
    def more(self) -> int:
        return max(self.total - SHOWN_UNITS, 0)


def for_telegrams(telegram_ids: Iterable[int], today: date) -> dict[int, Progress]:
    """{telegram id: Progress} for the telegrams that have deliveries (others are simply absent)."""
    ids = list(telegram_ids)
    if not ids:
        return {}
    rows = (Delivery.objects.filter(telegram_id__in=ids, state__in=COUNTED)
            .values_list("telegram_id", "unit__short_name", "unit__name", "role", "state", "deadline", "id",
                         "opened_at"))
    result: dict[int, Progress] = {}
    for telegram_id, short, name, role, state, deadline, _, opened_at in sorted(
            rows, key=lambda r: (ROLE_ORDER.get(r[3], 9), r[6])):
        p = result.setdefault(telegram_id, Progress())
        mark = UnitMark(short or name, name, role, state, opened_at is not None)
        p.units.append(mark)
        p.finished += state in FINISHED
        p.unsigned += state in UNSIGNED
        p.unread += mark.unread
        if state in OPEN and deadline and (p.deadline is None or deadline < p.deadline):
            p.deadline = deadline
    for telegram_id, routes in RoutingOrder.objects.filter(telegram_id__in=ids, state=OrderState.PENDING).values_list(
            "telegram_id", "routes"):
        result.setdefault(telegram_id, Progress()).routing += len(routes)
    for p in result.values():
        p.overdue = p.deadline is not None and p.deadline < today
    return result
