"""Celery tasks: thin wrappers around routing.actions and routing.dispatch."""
from __future__ import annotations

from celery import shared_task
from django.db import DatabaseError, InterfaceError, OperationalError

from . import actions, dispatch, stalls


@shared_task(
    bind=True, acks_late=True, reject_on_worker_lost=True,
    autoretry_for=(OperationalError, InterfaceError, DatabaseError),
    retry_backoff=True, retry_backoff_max=60, retry_jitter=True, max_retries=20,
)
def route_order(self, order_id: int, swept: bool = False) -> int:
    # Broken connections are closed around each task (telegram_office/celery.py), so a connection killed under
    # us (pg_terminate_backend) raises here, the task retries, and the retry gets a fresh connection.
    return actions.route(order_id, swept=swept)


@shared_task(acks_late=True)
def sweep_orders() -> int:
    resent = len(dispatch.resend_pending())
    stalls.check()  # orders pending too long: nobody consumes their queue → alarm (cleared when they move)
    return resent
