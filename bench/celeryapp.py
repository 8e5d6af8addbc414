"""The worker the benchmarks start: the product's Celery app (route_order and the rest) plus the no-op tasks
the `route` and `latency` baselines time on the same broker and in the same worker process."""
import time

from django.conf import settings

from telegram_office.celery import app

NOOP_DONE = "bench:noop:done"
NOOP_LATENCY = "bench:noop:latency"
_redis = None


def _r():
    global _redis
    if _redis is None:
        import redis

        _redis = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    return _redis


@app.task(name="bench.noop", acks_late=True, ignore_result=True)
def noop() -> None:
    _r().incr(NOOP_DONE)  # the only work: tell the benchmark it ran


@app.task(name="bench.noop_latency", acks_late=True, ignore_result=True)
def noop_latency(sent_at: float) -> None:
    _r().rpush(NOOP_LATENCY, time.time() - sent_at)


__all__ = ["app", "noop", "noop_latency"]
