"""Celery tasks: thin wrappers around routing.services."""
from __future__ import annotations

from celery import shared_task
from django.db import DatabaseError, InterfaceError, OperationalError

from . import services


@shared_task(
    bind=True, acks_late=True, reject_on_worker_lost=True,
    autoretry_for=(OperationalError, InterfaceError, DatabaseError),
    retry_backoff=True, retry_backoff_max=60, retry_jitter=True, max_retries=20,
)
def route_order(self, order_id: int) -> int:
    from django.db import close_old_connections

    close_old_connections()  # a connection killed under us (pg_terminate_backend) is replaced, not reused
    return services.route(order_id)


@shared_task(acks_late=True)
def sweep_orders() -> int:
    return len(services.pending_orders_to_resend())
