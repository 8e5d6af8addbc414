"""Celery task: the hourly sweep of scan files a crash left without a row (vault.services.sweep_orphans)."""
from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(name="vault.sweep_orphans", ignore_result=True)
def sweep_orphans() -> int:
    return services.sweep_orphans()
