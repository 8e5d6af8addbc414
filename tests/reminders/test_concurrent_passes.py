"""Two reminder passes at the same moment — two beat processes, or `remind_overdue` run beside beat — on
PostgreSQL, for real (threads with their own connections): every step is claimed and sent exactly once."""
from __future__ import annotations

import threading
from datetime import datetime

import pytest
from django.db import connection, connections
from django.utils import timezone

from notifications.models import Alert, AlertKind
from reminders import actions
from reminders.models import ReminderRecord
from tests import factories

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
PASSES = 4


def local(*args) -> datetime:
    return timezone.make_aware(datetime(*args))


def test_concurrent_passes_send_each_step_once(demo, settings):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers are only meaningful on PostgreSQL (SQLite serializes them)")
    settings.DEADLINE_COUNTING = "working"
    settings.REMINDER_ESCALATE_AFTER = 1
    clerk, staff = demo["clerk"], demo["zonggonghui"]
    telegrams = [factories.another(clerk, precedence="特急", received_at=local(2026, 9, 28, 9, 0)) for _ in range(6)]
    for t in telegrams:
        factories.route_pending(t)
        factories.arrived(t, local(2026, 9, 28, 9, 30))
    barrier = threading.Barrier(PASSES)
    results, errors = [], []

    def run() -> None:
        try:
            barrier.wait()
            results.append(actions.run_pass(local(2026, 10, 9, 9, 0)))  # overdue-1 and, N = 1, the escalation
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(PASSES)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors, errors
    claimed = sorted((s.receipt_no, s.kind) for r in results for s in r)
    expected = sorted((t.receipt_no, kind) for t in telegrams for kind in ("overdue", "escalation"))
    assert claimed == expected  # across all passes, each step once
    assert ReminderRecord.objects.count() == 12 and not ReminderRecord.objects.filter(sent_at__isnull=True).exists()
    assert Alert.objects.filter(user=staff, kind=AlertKind.REMINDER).count() == 6  # one per telegram, not per pass
    assert Alert.objects.filter(user=clerk, kind=AlertKind.REMINDER).count() == 6  # one escalation each
    assert actions.run_pass(local(2026, 10, 9, 9, 0)) == []
