"""Beat: keep the statistics' summary tables up to date (stats.summary)."""
from __future__ import annotations

from celery import shared_task

from . import summary


# A full rebuild at a million telegrams takes minutes (bench/README.md): longer limits than the default 240/300 s,
# still below the broker's visibility timeout (1 h).
@shared_task(acks_late=True, soft_time_limit=1800, time_limit=1900)
def refresh_stats(full: bool = False) -> dict:
    result = summary.refresh(full=full)
    return {"months": len(result.months), "periods": len(result.periods), "seconds": result.seconds, "busy": result.busy}
