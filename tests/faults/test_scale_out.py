"""Drill: scale out on loopback — two web processes (gunicorn), two routing workers and two beats (each a signer,
`worker -B -Q signer` as deployed) on one PostgreSQL and one Redis. 10,000 telegrams (SCALE_DRILL_TELEGRAMS) are
registered — most through the service layer from two threads, some over HTTP to each web process — and routed;
then: none lost or doubled (three deliveries per telegram, one delivered event and one audit entry each), and no
periodic job sent twice for the same moment: one beat at a time sends (telegram_office/beat.py: the leader holds a
PostgreSQL advisory lock), the other takes over when the leader is killed, the reminder pass claims each step
once, checkpoints are signed one interval apart, and the audit chain verifies."""
from __future__ import annotations

import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEntry, Checkpoint
from reminders.models import ReminderRecord
from routing.models import Delivery, OrderState, RoutingOrder
from telegrams.models import Telegram
from tests.conftest import ROOT, client_for, db_url_for_subprocess, wait_for
from tests.telegrams.helpers import form

from . import drills

pytestmark = [
    pytest.mark.faults, pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not drills.REAL_SERVICES, reason=drills.SKIP_REASON),
]

TOTAL = int(os.environ.get("SCALE_DRILL_TELEGRAMS", "10000"))
OVERDUE = 20  # received long ago: their deliveries are overdue, so the reminder pass has steps to claim
HTTP_EACH = 50  # per web process
SCHEDULE = {"ROUTING_SWEEP_INTERVAL": 1.0, "REMINDER_PASS_INTERVAL": 2.0, "AUDIT_CHECKPOINT_INTERVAL": 4.0}
# The bulk's deadlines beyond the reminder pass's look-ahead (12 days): a pass every 2 s (300 s in production) over
# 30,000 open deliveries would be most of the workers' time; the OVERDUE telegrams' deliveries are the pass's work.
DEADLINE_DAYS_PINGJI = 30
# Likewise the sweeper re-sends only orders pending a minute (10 s in production): with a backlog of thousands it
# would otherwise re-send 200 a second, and the workers would spend their time on messages for routed orders.
TASKS = {"sweep-routing-orders": 1.0, "remind-overdue": 2.0, "sign-audit-checkpoint": 4.0}
SENT = re.compile(r"\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}): INFO/[^\]]+\] Scheduler: Sending due task (\S+)")
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Proc:
    """One service in its own process group, its output in var/test-scale-<name>-<pid>.log."""

    def __init__(self, name: str, args: list[str], env: dict):
        self.name = name
        self.log = ROOT / "var" / f"test-scale-{name}-{os.getpid()}.log"
        self.log.parent.mkdir(exist_ok=True)
        self.log.write_bytes(b"")
        with open(self.log, "ab") as out:  # the child keeps its own copy of the descriptor
            self.proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                         start_new_session=True)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self, sig: int = signal.SIGTERM, wait: float = 20) -> None:
        if not self.alive():
            return
        try:
            os.killpg(self.proc.pid, sig)
            self.proc.wait(wait)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)
        except ProcessLookupError:
            pass

    def sends(self) -> list[tuple[datetime, str]]:
        """(when, schedule entry) of every periodic task this beat sent."""
        return [(datetime.strptime(at, "%Y-%m-%d %H:%M:%S,%f"), name)
                for at, name in SENT.findall(self.log.read_text(errors="replace"))]


@pytest.fixture
def cluster(tmp_path, settings):
    """2 × gunicorn, 2 × routing worker, 2 × beat+signer, on the test database and broker."""
    settings.AUDIT_WITNESS_DIR = tmp_path / "witness"  # the signers' witness log, shared as in production
    settings.DEADLINE_DAYS = {**settings.DEADLINE_DAYS, "平急": DEADLINE_DAYS_PINGJI}
    env = {**os.environ, "DATABASE_URL": db_url_for_subprocess(), "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
           "AUDIT_WITNESS_DIR": str(settings.AUDIT_WITNESS_DIR), "ROUTING_SWEEP_GRACE": "60", "BEAT_LEADER_RETRY": "1",
           "STATS_REFRESH_INTERVAL": "3600", "DEADLINE_DAYS_PINGJI": str(DEADLINE_DAYS_PINGJI),
           **{k: str(v) for k, v in SCHEDULE.items()}}
    procs: dict[str, Proc] = {}
    py = sys.executable
    try:
        for i in (1, 2):
            port = _free_port()
            procs[f"web{i}"] = Proc(f"web{i}", [
                py, "-m", "gunicorn", "telegram_office.wsgi:application", "--bind", f"127.0.0.1:{port}", "--workers", "1",
                "--worker-class", "gthread", "--threads", "4", "--timeout", "120"], env)
            procs[f"web{i}"].port = port
            procs[f"worker{i}"] = Proc(f"worker{i}", [
                py, "-m", "celery", "-A", "telegram_office", "worker", "-Q", "urgent,default", "-c", "1", "-l", "WARNING",
                "-n", f"scale{i}-{os.getpid()}@%h", "--without-gossip", "--without-mingle"], env)
            procs[f"beat{i}"] = Proc(f"beat{i}", [
                py, "-m", "celery", "-A", "telegram_office", "worker", "-B", "-Q", settings.SIGNER_QUEUE, "-c", "1",
                "-l", "INFO", "-n", f"signer{i}-{os.getpid()}@%h", "--without-gossip", "--without-mingle",
                "--schedule", str(tmp_path / f"beat{i}-schedule")], env)
        for i in (1, 2):
            _wait_http(procs[f"web{i}"])
        yield procs
    finally:
        for p in procs.values():
            p.stop()


def _wait_http(web: Proc) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and web.alive():
        try:
            conn = http.client.HTTPConnection("127.0.0.1", web.port, timeout=5)
            conn.request("GET", "/healthz")
            conn.getresponse().read()
            return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"{web.name} did not start: {web.log.read_text()[-2000:]}")


class HttpClerk(threading.Thread):
    """A clerk's browser on one web process: the form fetched once, then HTTP_EACH saves."""

    def __init__(self, web: Proc, session_cookie: str, first: int):
        super().__init__(daemon=True)
        self.web, self.cookies, self.first = web, f"sessionid={session_cookie}", first
        self.statuses: Counter = Counter()
        self.failure: BaseException | None = None

    def run(self) -> None:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.web.port, timeout=120)
            path = reverse("telegrams:create")
            conn.request("GET", path, headers={"Cookie": self.cookies})
            response = conn.getresponse()
            page = response.read().decode()
            token = CSRF_INPUT.search(page).group(1)
            self.cookies += "; csrftoken=" + re.search(r"csrftoken=([^;]+)", response.getheader("Set-Cookie") or "").group(1)
            for n in range(self.first, self.first + HTTP_EACH):
                data = form(sender_doc_no=f"扩展测〔2026〕{n}号", received_at=timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
                            precedence="平急", title=f"关于第{n}号扩展演练事项的通知", instruction=drills.INSTRUCTION,
                            csrfmiddlewaretoken=token)
                conn.request("POST", path, body=urlencode(data).encode(), headers={
                    "Cookie": self.cookies, "Content-Type": "application/x-www-form-urlencoded"})
                response = conn.getresponse()
                response.read()
                self.statuses[response.status] += 1
            conn.close()
        except BaseException as exc:
            self.failure = exc


def _register_range(numbers: range, actor, failures: list, received_at=None) -> None:
    """The service layer, as `import_telegram` and the intake folder call it; its own database connection."""
    try:
        for n in numbers:
            data = drills.telegram_input(n)
            data.received_at = received_at or timezone.now() - timedelta(hours=1)
            data.sender_doc_no = f"扩展测〔2026〕{n}号"
            drills.intake.register(data, actor=actor)
    except BaseException as exc:
        failures.append(exc)
    finally:
        connection.close()


def _leader(procs: dict[str, Proc]) -> Proc | None:
    senders = [procs[b] for b in ("beat1", "beat2") if procs[b].sends()]
    return senders[0] if len(senders) == 1 else None


def test_two_of_everything_route_10000_telegrams_once_and_run_each_periodic_job_once(cluster, clerk, demo):
    started = time.monotonic()
    http_total = 2 * HTTP_EACH
    bulk = TOTAL - http_total - OVERDUE
    failures: list = []
    threads = [threading.Thread(target=_register_range, args=(range(k, bulk, 2), clerk, failures), daemon=True)
               for k in (0, 1)]
    threads.append(threading.Thread(target=_register_range, daemon=True, args=(
        range(bulk, bulk + OVERDUE), clerk, failures, drills.RECEIVED_AT)))  # overdue from the start
    clerks = [HttpClerk(cluster[f"web{i}"], client_for(clerk).cookies["sessionid"].value, bulk + OVERDUE + (i - 1) * HTTP_EACH)
              for i in (1, 2)]
    for t in [*threads, *clerks]:
        t.start()
    for t in [*threads, *clerks]:
        t.join(240)
    assert not failures, failures
    assert not [c.failure for c in clerks if c.failure], [c.failure for c in clerks]
    assert sum((c.statuses for c in clerks), Counter()) == Counter({302: http_total}), [c.statuses for c in clerks]
    registered_s = time.monotonic() - started

    # Both beats run; one leads. Kill it (SIGKILL: no goodbye): the other takes over within BEAT_LEADER_RETRY.
    assert wait_for(lambda: _leader(cluster) is not None, timeout=30), ("not exactly one beat sending", {
        b: cluster[b].log.read_text()[-1500:] for b in ("beat1", "beat2")})
    first = _leader(cluster)
    second = cluster["beat2" if first.name == "beat1" else "beat1"]
    first.stop(signal.SIGKILL)
    killed_at = datetime.now()
    assert wait_for(lambda: len({n for _, n in second.sends()}) == len(TASKS), timeout=30), \
        second.log.read_text()[-2000:]

    def routed() -> bool:
        return (not RoutingOrder.objects.filter(state=OrderState.PENDING).exists()
                and Delivery.objects.count() >= 3 * TOTAL)

    assert wait_for(routed, timeout=240), drills.broker_state()
    # The overdue telegrams' deliveries reached their units back then (a step before the delivery is never sent):
    # the reminder pass — the new leader's — now has steps to claim, one per delivery.
    Delivery.objects.filter(telegram__received_at=drills.RECEIVED_AT).update(delivered_at=drills.RECEIVED_AT)
    assert wait_for(lambda: ReminderRecord.objects.count() >= 3 * OVERDUE, timeout=30)
    time.sleep(2 * TASKS["sign-audit-checkpoint"])  # a few more rounds of every job
    second.stop()
    routed_s = time.monotonic() - started

    # Lost or doubled: three deliveries per telegram, each delivered once, each order routed once.
    figures = drills.routing_figures(TOTAL)
    drills.assert_routed_exactly_once(figures)
    numbers = list(Telegram.objects.values_list("receipt_no", flat=True))
    assert len(numbers) == len(set(numbers)) == TOTAL

    # Periodic jobs: one sender at a time — everything the first leader sent came before everything the second
    # sent, and the second sent nothing before the first was killed; each beat keeps its own interval.
    a, b = first.sends(), second.sends()
    assert a and b and max(t for t, _ in a) < min(t for t, _ in b), (a[-3:], b[:3])
    assert min(t for t, _ in b) >= killed_at - timedelta(seconds=0.5), (killed_at, b[:3])
    for sends in (a, b):
        for task, interval in TASKS.items():
            times = sorted(t for t, n in sends if n == task)
            gaps = [(y - x).total_seconds() for x, y in zip(times, times[1:], strict=False)]
            assert all(g >= 0.8 * interval for g in gaps), (task, gaps)
    # The reminder pass claimed each step once (one record and one audit entry per step).
    steps = Counter(ReminderRecord.objects.values_list("delivery_id", "step_key"))
    assert steps and max(steps.values()) == 1, steps.most_common(3)
    reminder_entries = AuditEntry.objects.filter(action="reminders.sent").count()
    assert reminder_entries == len(steps), (reminder_entries, len(steps))
    # Checkpoints: signed one interval apart, never two for the same moment.
    signed = list(Checkpoint.objects.order_by("at").values_list("at", flat=True))
    gaps = [(y - x).total_seconds() for x, y in zip(signed, signed[1:], strict=False)]
    assert signed and all(g >= 0.5 * TASKS["sign-audit-checkpoint"] for g in gaps), gaps
    audit = drills.verify_audit()
    per_telegram = Counter(Delivery.objects.values("telegram").annotate(n=Count("id")).values_list("n", flat=True))
    drills.report(
        "scale out: 2 web, 2 workers, 2 beats", telegrams=TOTAL, over_http=http_total,
        deliveries_per_telegram=dict(per_telegram), lost=figures["lost"], duplicated=figures["duplicated"],
        beat_sends={first.name: len(a), second.name: len(b)}, leader_killed=first.name,
        reminder_steps=len(steps), checkpoints=len(signed), audit=audit,
        registered_s=round(registered_s, 1), routed_s=round(routed_s, 1),
        seconds=round(time.monotonic() - started, 1), path=Path(first.log).name,
    )
