"""The summary's refresh as beat and the admin run it: the command, and two runs at once."""
from __future__ import annotations

import threading
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from stats import summary
from stats.models import RefreshState
from tests.stats.helpers import desk


@pytest.mark.django_db
def test_the_command_refreshes_and_says_what_it_did(clerk, staff_cz):
    desk(clerk, staff_cz)
    out = StringIO()
    call_command("refresh_stats", "--full", stdout=out)
    assert out.getvalue().startswith("统计已更新：4 个月，")  # 2024-12, 2025-01, -09, -10
    assert RefreshState.objects.get().rebuilt_at is not None
    out = StringIO()
    call_command("refresh_stats", stdout=out)
    assert "统计已更新" in out.getvalue()


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="SKIP LOCKED: PostgreSQL only")
@pytest.mark.django_db(transaction=True)
def test_a_second_refresh_while_one_runs_does_nothing(clerk, staff_cz):
    desk(clerk, staff_cz)
    summary.refresh(full=True)
    holding, release = threading.Event(), threading.Event()

    def first_run_still_working():
        try:
            with transaction.atomic():
                RefreshState.objects.select_for_update().get(id=1)
                holding.set()
                release.wait(10)
        finally:
            connection.close()

    worker = threading.Thread(target=first_run_still_working)
    worker.start()
    try:
        assert holding.wait(10)
        result = summary.refresh()
        assert result.busy and result.months == []
    finally:
        release.set()
        worker.join(10)
    assert not summary.refresh().busy
