"""Beat: keep the statistics' summary tables up to date (stats.summary)."""
from __future__ import annotations

from celery import shared_task

from . import summary


@shared_task(acks_late=True)
def refresh_stats(full: bool = False) -> dict:
    result = summary.refresh(full=full)
    return {"months": len(result.months), "periods": len(result.periods), "seconds": result.seconds, "busy": result.busy}
