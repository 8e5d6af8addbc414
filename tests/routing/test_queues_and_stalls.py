"""Routing that cannot stall silently: the queues are declared, so the plain worker command Celery's docs give
(`celery -A telegram_office worker`, no -Q) routes a 特提 telegram, urgent before default; and an order left
pending too long raises an alarm on /healthz and the routing history, announced for the administrators."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from alarms.models import Alarm, Kind
from core import events
from intake import actions as intake
from routing import actions as routing
from routing import stalls
from routing.models import Delivery, OrderState, RoutingOrder
from telegrams.inputs import TelegramInput
from telegrams.models import Telegram
from tests.conftest import ROOT, client_for, db_url_for_subprocess, purge_broker, wait_for

INSTRUCTION = "送：自治区总工会。"


@pytest.fixture(autouse=True)
def _urgent_through_the_worker(settings):
    """These drills are about the worker's queues: a 特提 goes there too (what ROUTE_URGENT_INLINE falls back on)."""
    settings.ROUTE_URGENT_INLINE = False


def register(n: int, precedence: str, actor) -> Telegram:
    return intake.register(TelegramInput(
        sender_unit_name="中华全国总工会", precedence=precedence, received_at=timezone.now() - timedelta(hours=1),
        title=f"关于第{n}号事项的通知", sending_unit="中华全国总工会", sender_doc_no=f"工发电〔2026〕{n}号",
        body="正文。", instruction=INSTRUCTION,
    ), actor=actor)


class PlainWorker:
    """`celery -A telegram_office worker` exactly as the docs give it: no -Q; one process, one order per task."""

    def __init__(self):
        self.log = ROOT / "var" / f"test-plain-worker-{os.getpid()}.log"
        env = {**os.environ, "DATABASE_URL": db_url_for_subprocess(), "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
               "ROUTING_BATCH": "1"}
        self.out = open(self.log, "ab")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "telegram_office", "worker", "-c", "1", "-l", "INFO",
             "-n", f"plain-{os.getpid()}@%h", "--without-gossip", "--without-mingle"],
            cwd=ROOT, env=env, stdout=self.out, stderr=subprocess.STDOUT, start_new_session=True,
        )

    def stop(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        self.out.close()


def test_the_declared_queues_put_urgent_first():
    from telegram_office.celery import app

    assert [q.name for q in app.conf.task_queues] == ["urgent", "default"]
    assert settings.SIGNER_QUEUE not in [q.name for q in app.conf.task_queues]  # only the signer consumes it
    if settings.CELERY_BROKER_URL.startswith("redis"):
        options = app.conf.broker_transport_options
        assert options["queue_order_strategy"] == "priority" and options["priority_steps"] == [0]


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_plain_worker_routes_a_teti_telegram_before_the_waiting_ones(clerk, demo, _session_worker):
    """Five 平急 orders wait in `default` and one 特提 in `urgent` when the worker starts: the 特提 is routed
    first (Redis; the embedded filesystem broker has no queue order, so there only "routed at all" holds)."""
    _session_worker.stop()  # the plain worker must be the only consumer
    purge_broker()
    waiting = [register(n, "平急", clerk) for n in range(1, 6)]
    teti = register(9, "特提", clerk)
    worker = PlainWorker()
    try:
        assert wait_for(lambda: Delivery.objects.filter(telegram=teti).exists(), timeout=60), worker.log.read_text()[-3000:]
        assert wait_for(lambda: Delivery.objects.count() == 6, timeout=60), worker.log.read_text()[-3000:]
    finally:
        worker.stop()
    assert not RoutingOrder.objects.filter(state=OrderState.PENDING).exists()
    if settings.CELERY_BROKER_URL.startswith("redis"):
        first = Delivery.objects.order_by("delivered_at", "id").first()
        assert first.telegram_id == teti.pk, [d.telegram_id for d in Delivery.objects.order_by("delivered_at", "id")]
    assert {d.telegram_id for d in Delivery.objects.all()} == {t.pk for t in [*waiting, teti]}


@pytest.mark.django_db
def test_an_order_pending_too_long_raises_an_alarm_until_it_moves(clerk, admin_user, monkeypatch,
                                                                 django_capture_on_commit_callbacks):
    seen: list = []
    monkeypatch.setitem(events._listeners, stalls.RoutingStalled, [seen.append])
    with django_capture_on_commit_callbacks(execute=False):  # no worker: the order stays pending
        teti = register(1, "特提", clerk)
    order = RoutingOrder.objects.get(telegram=teti)
    assert stalls.check() is None  # just written: not stalled
    RoutingOrder.objects.filter(pk=order.pk).update(
        created_at=timezone.now() - timedelta(seconds=settings.ROUTING_STALL_SECONDS + 60))

    admin = client_for(admin_user)
    health = admin.get("/healthz").json()
    assert health["routing"] == "stalled: 1 pending"  # seen live, even with beat down
    with django_capture_on_commit_callbacks(execute=True):
        page = admin.get(reverse("routing:history")).content.decode()
    assert 'id="alarm-banner"' in page and "特提 1 条" in page and teti.receipt_no in page
    alarm = Alarm.objects.get(kind=Kind.ROUTING, cleared_at__isnull=True)
    assert [(e.alarm_id, e.pending, e.urgent) for e in seen] == [(alarm.pk, 1, 1)]
    assert admin.get("/healthz").json()["alarms"][0]["kind"] == "routing"

    # The sweeper's pass sees it again (one alarm, counted), then the order is routed and the alarm clears.
    stalls.check()
    assert Alarm.objects.get(kind=Kind.ROUTING).seen == 2 and len(seen) == 1
    routing.route(order.pk)
    assert stalls.check() is None
    assert not Alarm.objects.filter(kind=Kind.ROUTING, cleared_at__isnull=True).exists()
    assert admin.get("/healthz").json()["routing"] == "ok"
    assert 'id="alarm-banner"' not in admin.get(reverse("routing:history")).content.decode()
