"""Routing through a real Celery worker process on the configured broker (Redis in CI, filesystem locally)."""
from __future__ import annotations

import pytest
from django.db import connection
from django.urls import reverse

from routing import actions, dispatch
from routing.models import Delivery, DeliveryState, OrderState, RoutingOrder
from telegrams.models import Telegram, TelegramState
from tests import factories
from tests.conftest import client_for, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_seed_telegram_reaches_zonggonghui_within_seconds(celery_worker_process, clerk, staff_zgh):
    factories.register(clerk)
    t = Telegram.objects.get()
    delivery = wait_for(lambda: Delivery.objects.filter(telegram=t).first(), timeout=30)
    assert delivery is not None, celery_worker_process.log.read_text()[-3000:]
    assert delivery.unit.name == "自治区总工会"
    assert delivery.role == "handle" and delivery.state == DeliveryState.DELIVERED
    assert delivery.deadline.isoformat() == "2020-05-02"  # 特提: 1 day
    assert RoutingOrder.objects.get().state == OrderState.DONE
    inbox = client_for(staff_zgh).get(reverse("routing:inbox")).content.decode()
    assert t.receipt_no in inbox


@pytest.mark.usefixtures("urgent_via_worker")
def test_orders_lost_by_the_broker_are_resent_by_the_sweeper(celery_worker_process, clerk, settings):
    """Empty the broker with orders queued: the sweeper (the beat task's job) re-sends them."""
    celery_worker_process.stop()
    for n in range(5):
        factories.register(clerk, sender_doc_no=f"工发电〔2020〕{n + 10}号")
    from tests.conftest import purge_broker

    purge_broker()  # FLUSHDB-equivalent for our queues: every message is gone
    celery_worker_process.start()
    settings.ROUTING_SWEEP_GRACE = 0
    resent = dispatch.resend_pending()
    assert len(resent) == 5
    assert wait_for(lambda: Delivery.objects.count() == 5, timeout=30)
    assert not RoutingOrder.objects.filter(state=OrderState.PENDING).exists()


def test_read_only_routing_and_telegram_state_follow_deliveries(celery_worker_process, clerk, staff_zgh, staff_cz):
    factories.register(clerk, instruction="请财政厅牵头，自治区总工会配合办理。")
    t = Telegram.objects.get()
    assert wait_for(lambda: Delivery.objects.filter(telegram=t).count() == 2, timeout=30)
    t.refresh_from_db()
    assert t.state == TelegramState.INSTRUCTED
    lead = Delivery.objects.get(telegram=t, role="lead")
    assist = Delivery.objects.get(telegram=t, role="assist")
    actions.sign(lead, actor=staff_cz)
    t.refresh_from_db()
    assert t.state == TelegramState.IN_PROGRESS
    actions.complete(lead, actor=staff_cz, result="已牵头办理")
    t.refresh_from_db()
    assert t.state == TelegramState.IN_PROGRESS  # the assisting unit is not done yet
    actions.sign(assist, actor=staff_zgh)
    actions.complete(assist, actor=staff_zgh, result="")
    t.refresh_from_db()
    assert t.state == TelegramState.DONE
    if connection.vendor == "postgresql":
        assert Delivery.objects.get(pk=lead.pk).result == "已牵头办理"
