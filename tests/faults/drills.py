"""What every fault drill shares: registering a batch, sweeping until routed, counting losses and duplicates,
verifying the audit chain, and handling the real Redis and PostgreSQL servers."""
from __future__ import annotations

import io
import re
import shutil
import subprocess
import time
from collections import Counter
from datetime import datetime
from pathlib import Path
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.db.models import Count

from audit.models import AuditEntry
from intake import actions as intake
from routing import dispatch
from routing.models import Delivery, DeliveryState, OrderState, RoutingEvent, RoutingOrder
from routing.planning import plan_for
from telegrams.inputs import TelegramInput
from telegrams.models import ReceiptCounter, Telegram
from tests.conftest import ROOT

# Three units, one leading: every telegram of a drill must end with exactly these three deliveries.
INSTRUCTION = "请财政厅牵头，民政厅、教育厅配合办理。"
UNITS = {"自治区财政厅": "lead", "自治区民政厅": "assist", "自治区教育厅": "assist"}
# One receipt year for every drill telegram, so "gapless" means exactly 1..N in that year's counter.
RECEIVED_AT = datetime(2025, 6, 1, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
REAL_SERVICES = "postgresql" in settings.DATABASES["default"]["ENGINE"] and settings.CELERY_BROKER_URL.startswith("redis")
SKIP_REASON = (
    "fault drills need the real services: DATABASE_URL=postgres://… and CELERY_BROKER_URL=redis://… "
    "(the embedded SQLite and filesystem broker have no server to kill)"
)
ENSURE_SERVICES = ROOT.parent / "shared" / "ci" / "ensure-services"


def plan():
    p = plan_for(INSTRUCTION, received_on=RECEIVED_AT.date())
    assert p.ok and {r["unit"]: r["role"] for r in p.routes} == UNITS, p
    return p


def telegram_input(n: int, *, precedence: str = "平急") -> TelegramInput:
    return TelegramInput(
        sender_unit_name="自治区人民政府办公厅", precedence=precedence, received_at=RECEIVED_AT,
        title=f"关于做好第{n}号演练事项的通知", sending_unit="自治区人民政府办公厅",
        sender_doc_no=f"宁政办发〔2025〕{n}号", body=f"演练正文第{n}号：请按要求办理。" * 20, instruction=INSTRUCTION,
    )


def register_batch(numbers, actor, routes=None) -> list[Telegram]:
    """`routes`: the plan the drill checked (plan()); registration resolves the same 批办 itself."""
    return [intake.register(telegram_input(n), actor=actor) for n in numbers]


def pending_orders() -> int:
    return RoutingOrder.objects.filter(state=OrderState.PENDING).count()


def done_orders() -> int:
    return RoutingOrder.objects.filter(state=OrderState.DONE).count()


def sweep_until_routed(timeout: float = 90.0, every: float = 2.0) -> int:
    """Play the beat task: re-send pending orders (ROUTING_SWEEP_GRACE decides which) until none is left.
    Returns the number of sweeps that re-sent something."""
    deadline = time.monotonic() + timeout
    sweeps = 0
    while pending_orders() and time.monotonic() < deadline:
        if dispatch.resend_pending(limit=1000):
            sweeps += 1
        stop = min(deadline, time.monotonic() + every)
        while pending_orders() and time.monotonic() < stop:
            time.sleep(0.1)
    return sweeps


def routing_figures(expected: int) -> dict:
    """Lost: a telegram without all three deliveries (or an order still pending). Duplicated: a delivery
    recorded as delivered more than once, an order routed more than once, or a unit delivered to twice."""
    per_telegram = dict(Delivery.objects.values_list("telegram").annotate(n=Count("id")))
    telegrams = list(Telegram.objects.values_list("id", flat=True))
    lost = sum(1 for t in telegrams if per_telegram.get(t, 0) < len(UNITS))
    lost += RoutingOrder.objects.filter(state=OrderState.PENDING).count()
    delivered_events = Counter(
        RoutingEvent.objects.filter(to_state=DeliveryState.DELIVERED, delivery__isnull=False).values_list("delivery", flat=True)
    )
    routed_audit = Counter(AuditEntry.objects.filter(action="routing.delivered").values_list("object_id", flat=True))
    duplicated = (
        sum(n - 1 for n in delivered_events.values() if n > 1)
        + sum(n - 1 for n in routed_audit.values() if n > 1)
        + sum(n - len(UNITS) for n in per_telegram.values() if n > len(UNITS))
        + RoutingOrder.objects.filter(attempts__gt=1).count()
    )
    wrong_roles = (
        Delivery.objects.exclude(unit__name__in=list(UNITS)).count()
        + sum(1 for d in Delivery.objects.select_related("unit") if UNITS.get(d.unit.name) != d.role)
    )
    return {
        "telegrams": len(telegrams), "expected": expected, "orders_done": done_orders(),
        "deliveries": sum(per_telegram.values()), "delivered_events": sum(delivered_events.values()),
        "lost": lost + max(0, expected - len(telegrams)), "duplicated": duplicated, "wrong_roles": wrong_roles,
    }


def assert_routed_exactly_once(figures: dict) -> None:
    n = figures["expected"]
    assert figures["lost"] == 0 and figures["duplicated"] == 0 and figures["wrong_roles"] == 0, figures
    assert figures["telegrams"] == n and figures["orders_done"] == n, figures
    assert figures["deliveries"] == figures["delivered_events"] == n * len(UNITS), figures


def receipt_figures(year: int = RECEIVED_AT.year) -> dict:
    seqs = sorted(Telegram.objects.filter(receipt_year=year).values_list("receipt_seq", flat=True))
    counter = ReceiptCounter.objects.filter(year=year).values_list("last", flat=True).first() or 0
    return {
        "numbers": len(seqs), "distinct": len(set(seqs)), "counter": counter,
        "gapless": seqs == list(range(1, len(seqs) + 1)) and counter == len(seqs),
    }


def verify_audit() -> str:
    """`verify_audit`'s last line; the drill fails unless it is `OK <N> entries` for every entry there is."""
    out = io.StringIO()
    call_command("verify_audit", stdout=out)
    last = out.getvalue().strip().splitlines()[-1]
    assert re.fullmatch(r"OK \d+ entries", last), last
    assert last == f"OK {AuditEntry.objects.count()} entries", last
    return last


def report(drill: str, **figures) -> None:
    print(f"\n[fault drill] {drill}: " + ", ".join(f"{k}={v}" for k, v in figures.items()), flush=True)


# --- the real services -------------------------------------------------------------------------------------

def redis_client():
    import redis

    return redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_timeout=5)


def redis_up() -> bool:
    try:
        return bool(redis_client().ping())
    except Exception:
        return False


def queued_messages() -> int:
    """Messages waiting in our queues (kombu keeps one Redis list per queue and priority step)."""
    r = redis_client()
    return sum(r.llen(k) for k in r.scan_iter(match="*") if k.split(b"\x06")[0] in (b"default", b"urgent")
               and r.type(k) == b"list")


def broker_state() -> dict:
    """For a failure message: what the broker holds and who is connected to it (another consumer on the same
    Redis database would take the drill's messages)."""
    r = redis_client()
    db = r.connection_pool.connection_kwargs.get("db", 0)
    clients = [c for c in r.client_list() if int(c.get("db", 0)) == db]
    return {"queued": queued_messages(), "keys": [k.decode(errors="replace") for k in r.scan_iter(match="*")][:20],
            "clients_on_db": len(clients), "commands": sorted({c.get("cmd", "") for c in clients})}


def clear_broker() -> None:
    """Empty our queues and kombu's unacked bookkeeping, so a message a drill left behind never reaches a
    later test's worker (they would be harmless — routing is idempotent — but noisy)."""
    r = redis_client()
    keys = [k for k in r.scan_iter(match="*") if k.split(b"\x06")[0] in (b"default", b"urgent")
            or k.startswith(b"unacked")]
    if keys:
        r.delete(*keys)


def redis_cli_args() -> list[str]:
    url = urlparse(settings.CELERY_BROKER_URL)
    return ["redis-cli", "-h", url.hostname or "127.0.0.1", "-p", str(url.port or 6379)]


def shutdown_redis() -> None:
    subprocess.run([*redis_cli_args(), "SHUTDOWN", "NOSAVE"], capture_output=True, timeout=30)
    deadline = time.monotonic() + 15
    while redis_up() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not redis_up(), "Redis still answers after SHUTDOWN NOSAVE"


def start_services() -> None:
    """Start PostgreSQL/Redis again the way CI does (shared/ci/ensure-services), or Redis by the same command."""
    script = ENSURE_SERVICES if ENSURE_SERVICES.exists() else Path("/work/shared/ci/ensure-services")
    if script.exists():
        subprocess.run(["bash", str(script)], capture_output=True, timeout=90)
    elif shutil.which("redis-server") and not redis_up():
        Path("/var/lib/redis").mkdir(parents=True, exist_ok=True)
        subprocess.run(["redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "-::1", "--port", "6379",
                        "--save", "", "--appendonly", "no", "--dir", "/var/lib/redis"], capture_output=True, timeout=30)
    deadline = time.monotonic() + 30
    while not redis_up() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert redis_up(), "Redis did not come back"


def terminate_app_connections() -> int:
    """Kill every other session on the test database (the clerks', the worker's): what a PostgreSQL restart
    or a failover does to the application."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cur.fetchone()[0]


def restart_postgresql() -> float:
    """`pg_ctlcluster … restart` of the machine's cluster (every session dropped, the server gone for a moment):
    what a failover or an upgrade does. Returns the seconds it took. The caller's own connection is dead after."""
    started = time.monotonic()
    for version in sorted(p.name for p in Path("/etc/postgresql").iterdir()):
        done = subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart", "-m", "fast"],
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1", "-p", "5432"]).returncode == 0:
            break
        time.sleep(0.2)
    connection.close()
    return time.monotonic() - started
