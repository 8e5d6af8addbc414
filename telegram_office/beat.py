"""Celery beat with a leader: any number of beat processes may run (one per host, for availability); only the
one holding the beat lock — a PostgreSQL session advisory lock on a connection of its own — sends the periodic
tasks. The others look again every BEAT_LEADER_RETRY seconds; when the leader dies, PostgreSQL ends its session
and frees the lock, and the next one to ask takes over. So a sweep, a reminder pass or a checkpoint is never sent
twice for the same moment, whatever the number of beats (the tasks also claim their work: routing orders with
SKIP LOCKED, reminder steps by a unique key — the lock saves the duplicate work, it is not the only guard).

On SQLite (the embedded set-up: one machine, one beat) there is no lock to take: the beat is always the leader.
"""
from __future__ import annotations

import logging
import zlib

from celery.beat import PersistentScheduler
from django.conf import settings
from django.db import DatabaseError, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.utils import CursorWrapper

log = logging.getLogger(__name__)
# One key per database: advisory locks of different databases never meet.
LOCK_KEY = zlib.crc32(b"telegram_office.beat") & 0x7FFFFFFF


class BeatLock:
    """The session advisory lock, on a connection no task or request shares (a closed or broken connection
    loses the lock with it, so leadership is re-checked on every tick)."""

    def __init__(self, alias: str = "default"):
        self.alias = alias
        self.conn: BaseDatabaseWrapper | None = None
        self.held = False

    def _cursor(self) -> CursorWrapper:
        if self.conn is None:
            self.conn = connections.create_connection(self.alias)  # not the thread's shared connection
        return self.conn.cursor()

    def acquire(self) -> bool:
        """True while this process leads: takes the lock when free, and checks the session is still alive when
        already held (a terminated session has lost the lock)."""
        if connections[self.alias].vendor != "postgresql":
            return True
        try:
            with self._cursor() as cur:
                if self.held:
                    cur.execute("SELECT 1")
                else:
                    cur.execute("SELECT pg_try_advisory_lock(%s)", [LOCK_KEY])
                    self.held = bool(cur.fetchone()[0])
                    if self.held:
                        log.warning("beat: this process now leads (lock %s)", LOCK_KEY)
        except DatabaseError:
            if self.held:
                log.warning("beat: lost the database session, and with it the lead", exc_info=True)
            self.release()
        return self.held

    def release(self) -> None:
        self.held = False
        if self.conn is not None:
            try:
                self.conn.close()  # ends the session: PostgreSQL frees the lock
            except DatabaseError:
                pass
            self.conn = None


class LeaderScheduler(PersistentScheduler):
    """CELERY_BEAT_SCHEDULER: the persistent (file) schedule, sent only by the leader."""

    def setup_schedule(self) -> None:
        self.lock = BeatLock()
        super().setup_schedule()

    def tick(self, *args, **kwargs) -> float:
        if not self.lock.acquire():
            return settings.BEAT_LEADER_RETRY
        return super().tick(*args, **kwargs)

    def close(self) -> None:
        super().close()
        self.lock.release()
