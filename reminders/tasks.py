"""Celery beat's reminder pass (CELERY_BEAT_SCHEDULE["remind-overdue"]): a thin wrapper around reminders.actions."""
from __future__ import annotations

from celery import shared_task

from . import actions


@shared_task(acks_late=True)
def remind_overdue() -> int:
    # Two beats, or a task redelivered after a worker died, claim nothing twice (reminders.actions).
    return len(actions.run_pass())
