"""The overdue list (逾期与催办): open deliveries past their deadline, by unit and by days overdue, each with its
reminders so far. Reads only: one query for the deliveries (the partial index on open deadlines), one for the
counts and latest reminder of the page's deliveries."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from django.db.models import Count, Max

from routing import deadlines
from routing.models import Delivery, DeliveryState, Role

from .actions import overdue_days
from .models import ReminderRecord

OPEN_STATES = (DeliveryState.DELIVERED, DeliveryState.SIGNED)


def overdue_deliveries(today: date):
    return (Delivery.objects.filter(state__in=OPEN_STATES, deadline__lt=today).exclude(role=Role.READ)
            .select_related("telegram", "unit"))


@dataclass
class UnitGroup:
    unit: str
    unit_id: int
    rows: list[Delivery] = field(default_factory=list)

    @property
    def worst(self) -> int:
        return max((d.days for d in self.rows), default=0)


def overdue_by_unit(today: date, *, unit_id: int | None = None, min_days: int = 0,
                    precedence: str = "", now: datetime | None = None) -> list[UnitGroup]:
    """Units with overdue deliveries, the unit with the longest overdue first; within a unit, longest first.
    Each delivery carries `days` (calendar days overdue), `working_days` (when its deadline counts working days),
    `reminder_count`, `last_reminder` and, given `now`, `next_reminder`."""
    qs = overdue_deliveries(today)
    if unit_id:
        qs = qs.filter(unit_id=unit_id)
    if precedence:
        qs = qs.filter(telegram__precedence=precedence)
    deliveries = list(qs.order_by("deadline", "precedence_rank", "id"))
    stats = {row["delivery_id"]: row for row in ReminderRecord.objects.filter(delivery__in=[d.pk for d in deliveries])
             .values("delivery_id").annotate(n=Count("id"), last=Max("due_at"))}
    groups: dict[int, UnitGroup] = {}
    for d in deliveries:
        d.days = (today - d.deadline).days  # calendar days, as the register's 已逾期 mark counts
        if d.days < min_days:
            continue
        working = deadlines.counting_for(deadlines.precedence_of(d)) == deadlines.WORKING
        d.working_days = overdue_days(d, today) if working else None  # what the 催办 cadence counts
        row = stats.get(d.pk, {})
        d.reminder_count, d.last_reminder = row.get("n", 0), row.get("last")
        step = deadlines.next_step(d, now) if now is not None else None
        d.next_reminder = step.at if step else None  # the cadence's next automatic 催办 (none once capped)
        groups.setdefault(d.unit_id, UnitGroup(d.unit.name, d.unit_id)).rows.append(d)
    for g in groups.values():
        g.rows.sort(key=lambda d: (-d.days, d.precedence_rank, d.pk))
    return sorted(groups.values(), key=lambda g: (-g.worst, g.unit))
