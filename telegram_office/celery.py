"""The Celery app; configuration comes from Django settings (CELERY_* names)."""
import gc
import os
import time

from celery import Celery
from celery.signals import task_postrun, task_prerun, worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "telegram_office.settings")

app = Celery("telegram_office")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


# A connection that answered a moment ago is not pinged again before the next task (as connection pools do,
# e.g. HikariCP's 500 ms bypass): back-to-back routing tasks skip a round trip each, an idle worker still pings.
ALIVE_BYPASS_SECONDS = 1.0
_last_good: dict[str, float] = {}


@task_prerun.connect
def _before_task(sender=None, **kwargs) -> None:
    """Before each task, what Django does before each request: keep the connection (CONN_MAX_AGE) unless it is
    broken or too old. Not for a task run eagerly inside the caller's transaction (tests): its connection is
    the caller's."""
    if _is_eager(sender):
        return
    from django.db import close_old_connections, connections

    close_old_connections()
    now = time.monotonic()
    for conn in connections.all(initialized_only=True):
        if conn.connection is not None and now - _last_good.get(conn.alias, -1e9) < ALIVE_BYPASS_SECONDS:
            conn.health_check_done = True


@task_postrun.connect
def _after_task(sender=None, **kwargs) -> None:
    """After each task: drop a broken connection (a terminated session), so a retried task gets a fresh one."""
    if _is_eager(sender):
        return
    from django.db import close_old_connections, connections

    close_old_connections()
    now = time.monotonic()
    for conn in connections.all(initialized_only=True):
        if conn.connection is not None and not conn.errors_occurred:
            _last_good[conn.alias] = now


def _is_eager(sender) -> bool:
    return bool(getattr(getattr(sender, "request", None), "is_eager", False))


@worker_process_init.connect
def _freeze_loaded_objects(**kwargs) -> None:
    """A pool process starts with the project loaded: moved out of the collector's sight, as the web's
    (telegram_office/wsgi.py), so a full collection does not pause a 特提's routing for tens of milliseconds."""
    gc.freeze()
