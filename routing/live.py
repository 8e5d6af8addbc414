"""What the unit inbox shows, reduced to a few numbers the live poll compares (notifications.live puts them into
its one query). The inbox's open tabs are a set of deliveries per state; the count and the sum of ids of each set
change whenever a delivery arrives, is signed, finishes or leaves in any other way (退回, 转办, 退文), and the count
of those nobody of the unit has opened yet changes with the 未读 marks — read from the (unit, state, …) index, so
the cost follows the unit's open work, not its history."""
from __future__ import annotations

from django.db.models import Expression

from core.subqueries import scalar

from .models import Delivery, DeliveryState

# The inbox's tabs that hold open work; 已办结 changes only when one of these loses a delivery.
OPEN_TABS = {"todo": DeliveryState.DELIVERED, "doing": DeliveryState.SIGNED}


def inbox_fields(unit_id: int | None) -> dict[str, Expression]:
    """Per open tab of the unit's inbox, its count and the sum of its ids, as expressions for one query. The unit
    is a value, not a reference to the outer row: PostgreSQL then plans with it (the (unit, state) index) instead
    of a generic plan that read every unit's open deliveries."""
    fields: dict[str, Expression] = {}
    for tab, state in OPEN_TABS.items():
        rows = Delivery.objects.filter(unit_id=unit_id, state=state)
        fields[f"inbox_{tab}"] = scalar(rows, "COUNT", "id")
        fields[f"inbox_{tab}_ids"] = scalar(rows, "SUM", "id")
        fields[f"inbox_{tab}_unread"] = scalar(rows.filter(opened_at__isnull=True), "COUNT", "id")
    return fields
