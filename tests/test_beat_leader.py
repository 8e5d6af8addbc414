"""The beat leader (telegram_office/beat.py): of two beats only the one holding the lock sends; the other takes
over when the leader's session ends. The whole cluster drill: tests/faults/test_scale_out.py."""
from __future__ import annotations

import pytest
from django.db import connection

from telegram_office.beat import BeatLock, LeaderScheduler

POSTGRES = connection.vendor == "postgresql"


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(not POSTGRES, reason="the advisory lock is PostgreSQL's; on SQLite the one beat always leads")
def test_one_lock_holder_and_a_takeover_when_its_session_ends():
    first, second = BeatLock(), BeatLock()
    try:
        assert first.acquire() is True
        assert second.acquire() is False
        assert first.acquire() is True and second.acquire() is False  # held across ticks, not taken twice
        with connection.cursor() as cur:  # the leader's session dies (a crash, a failover)
            cur.execute("SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted")
        assert first.acquire() is False  # it notices on its next tick and stops sending
        assert second.acquire() is True
        assert first.acquire() is False
    finally:
        first.release()
        second.release()


@pytest.mark.django_db
@pytest.mark.skipif(POSTGRES, reason="the embedded set-up's rule")
def test_on_sqlite_the_one_beat_always_leads():
    assert BeatLock().acquire() is True


def test_the_scheduler_sends_nothing_while_it_does_not_lead(settings, monkeypatch):
    settings.BEAT_LEADER_RETRY = 7.0
    scheduler = LeaderScheduler.__new__(LeaderScheduler)  # no schedule file: only tick's rule is under test
    scheduler.lock = BeatLock()
    monkeypatch.setattr(scheduler.lock, "acquire", lambda: False)
    monkeypatch.setattr("celery.beat.PersistentScheduler.tick", lambda self, *a, **k: pytest.fail("sent while following"))
    assert scheduler.tick() == 7.0
    monkeypatch.setattr(scheduler.lock, "acquire", lambda: True)
    monkeypatch.setattr("celery.beat.PersistentScheduler.tick", lambda self, *a, **k: 1.5)
    assert scheduler.tick() == 1.5
