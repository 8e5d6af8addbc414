"""Drills on the database side: the application's PostgreSQL sessions are terminated in the middle of a burst of
registrations from several clerks (and under the routing worker), and a routing task hits database errors.
Nothing is half-written: every telegram has its audit entry and its routing order, receipt numbers stay gapless,
every order is routed exactly once, and `verify_audit` says OK."""
from __future__ import annotations

import threading
import time

import pytest
from django.db import DatabaseError, close_old_connections, connection

from audit.models import AuditEntry
from core.errors import Duplicate
from intake import actions as intake
from routing.models import RoutingOrder
from telegrams.models import Telegram
from tests.conftest import wait_for

from . import drills

pytestmark = [
    pytest.mark.faults, pytest.mark.worker, pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not drills.REAL_SERVICES, reason=drills.SKIP_REASON),
]

CLERKS = 4
EACH = 40
KILL_AT = (0.25, 0.5, 0.75)  # share of the burst registered when each round of pg_terminate_backend lands


class Clerk(threading.Thread):
    """Registers its telegrams one after another; when saving fails it presses save again, like a clerk would.
    A save whose COMMIT went through just before the connection died comes back as 重复收文 on the retry:
    the clerk then finds it in the register, so it counts as registered, once."""

    def __init__(self, numbers, actor, routes, progress):
        super().__init__(daemon=True)
        self.numbers, self.actor, self.routes, self.progress = numbers, actor, routes, progress
        self.errors = self.found_on_retry = 0
        self.failure: BaseException | None = None

    def run(self):
        try:
            for n in self.numbers:
                for attempt in range(20):
                    try:
                        intake.register(drills.telegram_input(n), actor=self.actor)
                        break
                    except Duplicate:
                        if attempt:
                            self.found_on_retry += 1
                            break
                        raise
                    except DatabaseError:  # the session was terminated: Django reconnects on the next request
                        self.errors += 1
                        close_old_connections()
                        time.sleep(0.05)
                else:
                    raise AssertionError(f"telegram {n} could not be registered in 20 attempts")
                self.progress.append(n)
        except BaseException as exc:  # reported by the test
            self.failure = exc
        finally:
            connection.close()


def test_database_sessions_terminated_during_a_burst_of_registrations(workers, clerk, sweep_grace):
    started = time.monotonic()
    routes = drills.plan()
    workers()  # the worker routes while the clerks register; its sessions are terminated too
    progress: list[int] = []
    clerks = [Clerk(range(c * EACH + 1, (c + 1) * EACH + 1), clerk, routes, progress) for c in range(CLERKS)]
    for c in clerks:
        c.start()
    total = CLERKS * EACH
    rounds, terminated = 0, 0
    for share in KILL_AT:
        assert wait_for(lambda s=share: len(progress) >= s * total or not any(c.is_alive() for c in clerks),
                        timeout=60, interval=0.01)
        assert len(progress) < total, "the burst ended before the fault could land"
        terminated += drills.terminate_app_connections()
        rounds += 1
    for c in clerks:
        c.join(120)
    failures = [c.failure for c in clerks if c.failure]
    assert not failures, failures
    clerk_errors = sum(c.errors for c in clerks)
    found_on_retry = sum(c.found_on_retry for c in clerks)

    sweeps = drills.sweep_until_routed(timeout=90)
    receipts = drills.receipt_figures()
    telegram_ids = set(Telegram.objects.values_list("id", flat=True))
    audited = set(AuditEntry.objects.filter(action="telegram.register").values_list("object_id", flat=True))
    with_order = set(RoutingOrder.objects.values_list("telegram_id", flat=True))
    half_written = len(telegram_ids - {int(i) for i in audited}) + len(telegram_ids - with_order)
    orphans = len({int(i) for i in audited} - telegram_ids)
    figures = drills.routing_figures(total)
    audit = drills.verify_audit()
    drills.report(
        "PostgreSQL sessions terminated", faults_injected=rounds, sessions_terminated=terminated,
        clerk_errors=clerk_errors, committed_before_error=found_on_retry, telegrams=figures["telegrams"],
        receipt_numbers=f"{receipts['distinct']} (gapless={receipts['gapless']})", half_written=half_written,
        lost=figures["lost"], duplicated=figures["duplicated"], sweeps=sweeps, audit=audit,
        seconds=round(time.monotonic() - started, 1),
    )
    assert clerk_errors > 0, "no registration saw the fault: the drill tested nothing"
    assert receipts["gapless"] and receipts["numbers"] == total, receipts
    assert half_written == 0 and orphans == 0
    drills.assert_routed_exactly_once(figures)


def _worker_sessions() -> set[int]:
    with connection.cursor() as cur:
        cur.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")
        return {row[0] for row in cur.fetchall()}


def test_worker_keeps_its_database_session_across_tasks_and_replaces_a_terminated_one(workers, clerk):
    """A new PostgreSQL session per task was half of a routing task's time; the worker now keeps its session
    (like a web server's CONN_MAX_AGE) — and a session terminated under it is replaced, not reused broken."""
    routes = drills.plan()
    worker = workers()
    seen: set[int] = set()
    for n in range(1, 7):
        drills.register_batch([n], clerk, routes)
        assert wait_for(lambda n=n: drills.done_orders() == n, timeout=30), worker.log.read_text()[-3000:]
        seen |= _worker_sessions()
    assert 1 <= len(seen) <= 2, f"{len(seen)} sessions for 6 tasks on a worker of concurrency 2: not reused"

    terminated = drills.terminate_app_connections()
    for n in range(7, 10):
        drills.register_batch([n], clerk, routes)
    assert wait_for(lambda: drills.done_orders() == 9, timeout=60), worker.log.read_text()[-3000:]
    after = _worker_sessions()
    figures = drills.routing_figures(9)
    drills.report("worker sessions", sessions_for_6_tasks=len(seen), sessions_terminated=terminated,
                  routed_after=figures["orders_done"], lost=figures["lost"], duplicated=figures["duplicated"])
    assert after and not after & seen, "the terminated sessions were replaced by new ones"
    drills.assert_routed_exactly_once(figures)


FAIL_TWICE = """
CREATE SEQUENCE fault_drill_attempts;
CREATE FUNCTION fault_drill_fail_twice() RETURNS trigger AS $$
BEGIN
  IF nextval('fault_drill_attempts') <= 2 THEN
    RAISE EXCEPTION 'fault drill: delivery insert refused';
  END IF;
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER fault_drill_fail_twice BEFORE INSERT ON routing_delivery
  FOR EACH STATEMENT EXECUTE FUNCTION fault_drill_fail_twice();
"""
UNDO = """
DROP TRIGGER IF EXISTS fault_drill_fail_twice ON routing_delivery;
DROP FUNCTION IF EXISTS fault_drill_fail_twice();
DROP SEQUENCE IF EXISTS fault_drill_attempts;
"""


@pytest.fixture
def deliveries_fail_twice(transactional_db):
    """The next two INSERTs into routing_delivery fail with a database error (a trigger), later ones pass."""
    with connection.cursor() as cur:
        cur.execute(UNDO)
        cur.execute(FAIL_TWICE)
    yield
    with connection.cursor() as cur:
        cur.execute(UNDO)


def test_routing_task_failing_on_database_errors_is_retried_and_succeeds(workers, clerk, deliveries_fail_twice):
    started = time.monotonic()
    drills.register_batch([1], clerk, drills.plan())
    worker = workers()
    assert wait_for(lambda: drills.done_orders() == 1, timeout=60), worker.log.read_text()[-3000:]
    with connection.cursor() as cur:
        cur.execute("SELECT last_value FROM fault_drill_attempts")
        attempts = cur.fetchone()[0]
    figures = drills.routing_figures(1)
    audit = drills.verify_audit()
    drills.report(
        "routing task database error", faults_injected=2, task_attempts=attempts, telegrams=figures["telegrams"],
        deliveries=figures["deliveries"], lost=figures["lost"], duplicated=figures["duplicated"], audit=audit,
        seconds=round(time.monotonic() - started, 1),
    )
    assert attempts == 3, "two failed attempts, then the retry that succeeded"
    drills.assert_routed_exactly_once(figures)
