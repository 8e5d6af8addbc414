"""The Celery app; configuration comes from Django settings (CELERY_* names)."""
import os

from celery import Celery
from celery.signals import task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "telegram_office.settings")

app = Celery("telegram_office")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_prerun.connect
@task_postrun.connect
def _recycle_db_connections(sender=None, **kwargs) -> None:
    """Around each task, what Django does around each request: keep the connection (CONN_MAX_AGE), but drop it
    when it is broken (a terminated session), so a retried task gets a fresh one. Not for a task run eagerly
    inside the caller's transaction (tests), whose connection is the caller's."""
    if getattr(getattr(sender, "request", None), "is_eager", False):
        return
    from django.db import close_old_connections

    close_old_connections()
