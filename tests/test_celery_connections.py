"""The worker keeps its database session between tasks and pings it only after a pause."""
from __future__ import annotations

import pytest
from django.db import connection

from telegram_office import celery


class _Task:  # what the signals pass as sender: a task whose request is not eager
    class request:
        is_eager = False


@pytest.mark.django_db(transaction=True)
def test_back_to_back_tasks_skip_the_ping_and_a_pause_brings_it_back(monkeypatch):
    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 60)  # as deployed (SQLite's default is 0)
    connection.close()
    connection.ensure_connection()
    clock = {"now": celery.time.monotonic()}  # the real clock, moved by hand (CONN_MAX_AGE reads it too)
    monkeypatch.setattr(celery.time, "monotonic", lambda: clock["now"])
    celery._after_task(sender=_Task)
    clock["now"] += 0.2
    celery._before_task(sender=_Task)
    assert connection.health_check_done, "used 0.2 s ago: no ping"
    celery._after_task(sender=_Task)
    clock["now"] += 30
    celery._before_task(sender=_Task)
    assert connection.connection is None or not connection.health_check_done, "idle 30 s: pinged before use"
