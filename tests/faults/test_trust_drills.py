"""Drills of issue 14 on the real services: PostgreSQL restarted (pg_ctlcluster) in the middle of a burst of
registrations and routings; Redis down while clerks register (registrations succeed, routing catches up when it
is back); and a scan write failing half-way (disk full, permission) that must leave nothing half-written. Each
prints faults injected, telegrams, lost, duplicated.

The restarts hit the machine's shared servers: run these drills sparingly (CI runs them once)."""
from __future__ import annotations

import errno
import time

import pytest
from django.db import DatabaseError, close_old_connections, connection

from audit.models import AuditEntry, ChainHead
from core.errors import Duplicate
from intake import actions as intake
from routing.models import RoutingOrder
from telegrams.inputs import ScanUpload
from telegrams.models import ReceiptCounter, Scan, Telegram
from tests.conftest import wait_for
from vault import services as vault

from . import drills
from .test_database_faults import Clerk

real_services = pytest.mark.skipif(not drills.REAL_SERVICES, reason=drills.SKIP_REASON)
pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]


class PatientClerk(Clerk):
    """A clerk who keeps pressing save while the server is away (a restart takes seconds, not one retry's
    worth): up to a minute per telegram. A save that committed before the connection died comes back as a
    duplicate on the retry and counts as registered, once."""

    def run(self):
        try:
            for n in self.numbers:
                deadline, attempt = time.monotonic() + 60, 0
                while True:
                    try:
                        intake.register(drills.telegram_input(n), actor=self.actor)
                        break
                    except Duplicate:
                        if attempt:
                            self.found_on_retry += 1
                            break
                        raise
                    except DatabaseError:
                        attempt += 1
                        self.errors += 1
                        close_old_connections()
                        if time.monotonic() > deadline:
                            raise AssertionError(f"telegram {n} could not be registered within a minute")
                        time.sleep(0.2)
                self.progress.append(n)
        except BaseException as exc:  # reported by the test
            self.failure = exc
        finally:
            connection.close()


def _half_written() -> int:
    telegrams = set(Telegram.objects.values_list("id", flat=True))
    audited = {int(i) for i in AuditEntry.objects.filter(action="telegram.register").values_list("object_id", flat=True)}
    with_order = set(RoutingOrder.objects.values_list("telegram_id", flat=True))
    return len(telegrams - audited) + len(telegrams - with_order) + len(audited - telegrams)


@real_services
@pytest.mark.worker
def test_postgresql_restarted_mid_burst_of_registrations_and_routings(workers, clerk, sweep_grace):
    started = time.monotonic()
    routes = drills.plan()
    workers()  # routes while the clerks register; the restart drops its sessions too
    clerks_n, each = 3, 25
    total = clerks_n * each
    progress: list[int] = []
    clerks = [PatientClerk(range(c * each + 1, (c + 1) * each + 1), clerk, routes, progress) for c in range(clerks_n)]
    for c in clerks:
        c.start()
    assert wait_for(lambda: len(progress) >= total * 0.4 or not any(c.is_alive() for c in clerks), timeout=120,
                    interval=0.01)
    assert len(progress) < total, "the burst ended before the fault could land"
    downtime = drills.restart_postgresql()
    for c in clerks:
        c.join(240)
    failures = [c.failure for c in clerks if c.failure]
    assert not failures, failures

    sweeps = drills.sweep_until_routed(timeout=120)
    receipts = drills.receipt_figures()
    figures = drills.routing_figures(total)
    half = _half_written()
    audit = drills.verify_audit()
    drills.report(
        "PostgreSQL restarted", faults_injected=1, restart_seconds=round(downtime, 1),
        clerk_errors=sum(c.errors for c in clerks), committed_before_error=sum(c.found_on_retry for c in clerks),
        telegrams=figures["telegrams"], receipt_numbers=f"{receipts['distinct']} (gapless={receipts['gapless']})",
        half_written=half, lost=figures["lost"], duplicated=figures["duplicated"], sweeps=sweeps, audit=audit,
        seconds=round(time.monotonic() - started, 1),
    )
    assert sum(c.errors for c in clerks) > 0, "no registration saw the restart: the drill tested nothing"
    assert receipts["gapless"] and receipts["numbers"] == total, receipts
    assert half == 0
    drills.assert_routed_exactly_once(figures)


@real_services
@pytest.mark.worker
def test_redis_down_while_clerks_register(workers, clerk, sweep_grace):
    """The broker is gone: every registration still commits (its order waits in the outbox; the publish after
    commit fails and is only logged); when Redis is back, the sweeper re-sends and everything is routed once."""
    started = time.monotonic()
    routes = drills.plan()
    drills.shutdown_redis()
    try:
        clerks_n, each = 2, 8
        progress: list[int] = []
        clerks = [Clerk(range(c * each + 1, (c + 1) * each + 1), clerk, routes, progress) for c in range(clerks_n)]
        t0 = time.monotonic()
        for c in clerks:
            c.start()
        for c in clerks:
            c.join(240)
        during = time.monotonic() - t0
        failures = [c.failure for c in clerks if c.failure]
        assert not failures, failures
        registered = Telegram.objects.count()
        pending_during = drills.pending_orders()
    finally:
        drills.start_services()
    total = clerks_n * each
    worker = workers()
    sweeps = drills.sweep_until_routed(timeout=120)
    figures = drills.routing_figures(total)
    audit = drills.verify_audit()
    drills.report(
        "Redis down while clerks register", faults_injected=1, registered_while_down=registered,
        seconds_per_registration=round(during / max(1, total / clerks_n), 2), pending_while_down=pending_during,
        telegrams=figures["telegrams"], lost=figures["lost"], duplicated=figures["duplicated"], sweeps=sweeps,
        audit=audit, seconds=round(time.monotonic() - started, 1),
    )
    assert registered == total and pending_during == total, (registered, pending_during)
    assert figures["lost"] == 0, worker.log.read_text()[-3000:]
    drills.assert_routed_exactly_once(figures)


class _FailingOpen:
    """`open` as vault.files sees it: the registration's second scan's temporary file fails like a full disk half
    way through its write (`half`), or is refused outright like a permission error."""

    def __init__(self, exc: OSError, *, half: bool):
        self.exc, self.half = exc, half
        self.tmp_opens = self.injected = 0

    def __call__(self, path, mode="r", *args, **kwargs):
        f = open(path, mode, *args, **kwargs)  # noqa: SIM115 - handed back to the caller, which closes it
        if str(path).endswith(".tmp"):
            self.tmp_opens += 1
            if self.tmp_opens == 2 and not self.injected:
                self.injected += 1
                if not self.half:
                    f.close()
                    raise self.exc
                return _HalfWriter(f, self.exc)
        return f


class _HalfWriter:
    def __init__(self, f, exc):
        self.f, self.exc = f, exc

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.f.close()

    def write(self, data: bytes):
        self.f.write(data[: len(data) // 2])
        self.f.flush()
        raise self.exc

    def __getattr__(self, name):
        return getattr(self.f, name)


@pytest.mark.parametrize("fault, exc, half", [
    ("disk full", OSError(errno.ENOSPC, "No space left on device"), True),
    ("permission", PermissionError(errno.EACCES, "Permission denied"), False),
])
def test_a_scan_write_failing_half_way_leaves_nothing_half_written(clerk, settings, tmp_path, monkeypatch, fault, exc, half,
                                                                   _session_worker):
    """A registration with two scans whose second file write fails: no telegram, scan, order or audit entry is
    kept, the receipt counter is given back, and no file is left on disk — not the first scan's ciphertext, not
    the half-written temporary file (vault.files removes what a rolled-back block wrote). The clerk's next save
    registers it with number 1."""
    from vault import files

    _session_worker.stop()  # no other writer on the audit chain while the drill counts its entries
    settings.SCAN_ROOT = tmp_path / "scans"
    data = drills.telegram_input(1)
    data.instruction = ""  # no routing order: nothing else writes while the drill counts
    data.scans = [ScanUpload(filename=f"第{i}页.png", content_type="image/png", content=b"\x89PNG" + bytes(4000))
                  for i in (1, 2)]

    def head() -> int:
        return ChainHead.objects.filter(id=1).values_list("seq", flat=True).first() or 0

    head_before = head()
    failing = _FailingOpen(exc, half=half)
    with monkeypatch.context() as m:
        m.setattr(files, "open", failing, raising=False)
        with pytest.raises(OSError):
            intake.register(data, actor=clerk)
    assert failing.injected == 1
    written = sorted(p.name for p in settings.SCAN_ROOT.rglob("*") if p.is_file())
    rows = {"telegrams": Telegram.objects.count(), "scans": Scan.objects.count(), "orders": RoutingOrder.objects.count(),
            "audit": head() - head_before, "files": len(written),
            "counter": ReceiptCounter.objects.filter(year=drills.RECEIVED_AT.year).values_list("last", flat=True).first() or 0}
    assert rows == {"telegrams": 0, "scans": 0, "orders": 0, "audit": 0, "files": 0, "counter": 0}, (rows, written)
    monkeypatch.setattr(vault, "ORPHAN_MIN_AGE", 0)
    assert vault.scan_orphans() == []

    telegram = intake.register(data, actor=clerk)
    assert telegram.receipt_no.endswith("[2025]1号")
    assert [s.read() for s in telegram.scans.order_by("id")] == [s.content for s in data.scans]
    left = sorted(p.name for p in settings.SCAN_ROOT.iterdir())
    assert left == sorted(f"{s.uid}.bin" for s in telegram.scans.all())
    audit = drills.verify_audit()
    drills.report(f"scan write failed ({fault})", faults_injected=failing.injected, telegrams=Telegram.objects.count(),
                  lost=0, duplicated=Telegram.objects.count() - 1, files_left_behind=len(written), audit=audit)
    connection.close()
