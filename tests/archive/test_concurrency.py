"""Eight clerks archiving eight telegrams at the same moment (PostgreSQL: real row locks) get eight different,
consecutive 件号 — the counter row is locked until COMMIT — and two clerks archiving the same telegram make one 档号."""
from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from archive.models import Archival, ArchiveCounter
from core.errors import IllegalTransition
from tests import factories

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def at_once(jobs) -> list[BaseException]:
    barrier = threading.Barrier(len(jobs))
    errors: list[BaseException] = []

    def run(job) -> None:
        try:
            barrier.wait()
            job()
        except BaseException as exc:  # collected and asserted by the caller
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def test_clerks_archiving_at_once_get_consecutive_item_numbers_and_one_archive_no_per_telegram(demo):
    if connection.vendor != "postgresql":
        pytest.skip("row locks are only meaningful on PostgreSQL (SQLite serializes all writers)")
    clerk, staff = demo["clerk"], demo["zonggonghui"]
    telegrams = [factories.finished(clerk, staff) for _ in range(8)]

    assert at_once([lambda t=t: factories.archive(t, clerk, "D30") for t in telegrams]) == []
    assert sorted(Archival.objects.values_list("item_no", flat=True)) == list(range(1, 9))
    assert ArchiveCounter.objects.get(retention="D30").last == 8

    same = factories.finished(clerk, staff)
    errors = at_once([lambda: factories.archive(same, clerk, "Y")] * 2)
    assert len(errors) == 1 and isinstance(errors[0], IllegalTransition)
    assert Archival.objects.filter(telegram=same).count() == 1
