"""Handing routing orders to the workers: after commit, and again by the sweeper for orders still pending."""
from __future__ import annotations

import logging
from datetime import timedelta

from celery import current_app
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from .models import OrderState, RoutingOrder

log = logging.getLogger(__name__)
ROUTE_TASK = "routing.tasks.route_order"


def dispatch(order: RoutingOrder, *, swept: bool = False) -> None:
    """Send the order to a worker once the current transaction commits. A failed send is only logged: the
    sweeper re-sends every pending order (`swept`), so nothing is lost."""
    order_id, urgent = order.pk, order.urgent
    kwargs = {"swept": True} if swept else {}

    def send() -> None:
        try:
            # By name: the task module imports the actions that call this (routing.tasks.route_order).
            current_app.send_task(
                ROUTE_TASK, args=[order_id], kwargs=kwargs, queue="urgent" if urgent else "default",
                retry=True, retry_policy={"max_retries": 2, "interval_start": 0.2, "interval_step": 0.5},
            )
        except Exception:  # broker down: the sweeper will pick the order up
            log.warning("routing order %s not sent; the sweeper will re-send it", order_id, exc_info=True)

    transaction.on_commit(send)


def resend_pending(limit: int = 200) -> list[int]:
    """Claim pending orders older than the grace period (SKIP LOCKED on PostgreSQL, so two sweepers never
    claim the same order), note when they were sent, and dispatch them after commit. The order's state is not
    touched: only routing.actions.route moves it."""
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
