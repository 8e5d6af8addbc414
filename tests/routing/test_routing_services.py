"""Routing rules without a worker: the task body runs in-process."""
from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import OperationalError, connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from notifications.models import Alert
from routing import actions, tasks
from routing.models import Delivery, DeliveryState, RoutingEvent, RoutingOrder
from telegrams.models import Telegram, TelegramState
from tests import factories
from tests.conftest import client_for

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("urgent_via_worker")]  # the worker's route()


@pytest.fixture
def seed_order(clerk):
    factories.register(clerk)
    return RoutingOrder.objects.get()


def test_registering_with_a_pishi_writes_the_outbox_row_in_the_same_transaction(seed_order):
    assert seed_order.routes == [{"unit_id": seed_order.routes[0]["unit_id"], "unit": "自治区总工会", "role": "handle"}]
    assert seed_order.urgent is True
    assert Telegram.objects.get().state == TelegramState.INSTRUCTED


def test_routing_twice_changes_nothing(seed_order):
    assert actions.route(seed_order.pk) == 1
    assert actions.route(seed_order.pk) == 0
    seed_order.state = "pending"
    seed_order.save()
    assert actions.route(seed_order.pk) == 0  # even a re-run of a re-opened order delivers nothing twice
    assert Delivery.objects.count() == 1
    assert RoutingEvent.objects.filter(to_state="delivered").count() == 1


def test_the_message_of_an_order_routed_in_an_earlier_batch_costs_one_query(seed_order, django_assert_num_queries):
    assert actions.route(seed_order.pk) == 1
    with django_assert_num_queries(1):  # no transaction, no lock: just "is it still pending?"
        assert actions.route(seed_order.pk) == 0


def test_orders_routed_in_this_processs_batch_need_no_query_for_their_own_messages(
    clerk, django_capture_on_commit_callbacks, django_assert_num_queries,
):
    for n in range(3):
        factories.register(clerk, sender_doc_no=f"工发电〔2020〕{n + 10}号")
    first, *others = RoutingOrder.objects.order_by("pk")
    with django_capture_on_commit_callbacks(execute=True):
        assert actions.route(first.pk) == 3  # the batch takes the other two as well
    assert RoutingOrder.objects.filter(state="done").count() == 3
    with django_assert_num_queries(0):
        assert [actions.route(o.pk) for o in others] == [0, 0]
    RoutingOrder.objects.filter(pk=others[0].pk).update(state="pending")  # as after a restore under the worker
    with CaptureQueriesContext(connection) as asked:
        actions.route(others[0].pk, swept=True)  # the sweeper's re-send asks the database
    assert asked.captured_queries
    assert RoutingOrder.objects.get(pk=others[0].pk).state == "done"


def test_a_task_that_fails_on_a_database_error_is_retried(seed_order, monkeypatch):
    calls = {"n": 0}
    real = actions.route

    def flaky(order_id, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return real(order_id, **kwargs)

    monkeypatch.setattr(actions, "route", flaky)
    assert tasks.route_order.autoretry_for and OperationalError in tasks.route_order.autoretry_for
    result = tasks.route_order.apply(args=[seed_order.pk])  # eager: retries run in-process
    assert result.successful(), result.traceback
    assert calls["n"] == 2
    assert Delivery.objects.count() == 1


def test_unit_signs_and_reports_done_with_result(seed_order, staff_zgh):
    actions.route(seed_order.pk)
    d = Delivery.objects.get()
    c = client_for(staff_zgh)
    r = c.post(reverse("telegrams:complete", args=[d.pk]), {"result": "已办理"})
    assert "请先签收再办结" in r.content.decode()
    c.post(reverse("routing:sign", args=[d.pk]))
    d.refresh_from_db()
    assert d.state == DeliveryState.SIGNED and d.signed_by == staff_zgh and d.signed_at
    r = c.post(reverse("telegrams:complete", args=[d.pk]), {"result": ""})
    assert "请填写办理结果" in r.content.decode()
    c.post(reverse("telegrams:complete", args=[d.pk]), {"result": "已组织学习"})
    d.refresh_from_db()
    assert d.state == DeliveryState.DONE and d.result == "已组织学习"
    assert "已组织学习" not in d.result_enc
    assert Telegram.objects.get().state == TelegramState.DONE
    transitions = list(RoutingEvent.objects.filter(delivery=d).values_list("from_state", "to_state"))
    assert transitions == [("pending", "delivered"), ("delivered", "signed"), ("signed", "done")]


def test_read_only_delivery_is_marked_read(clerk, staff_zgh):
    factories.register(clerk, instruction="送：自治区总工会阅知。")
    actions.route(RoutingOrder.objects.get().pk)
    d = Delivery.objects.get()
    assert d.role == "read" and d.deadline is None
    client_for(staff_zgh).post(reverse("routing:sign", args=[d.pk]))
    d.refresh_from_db()
    assert d.state == DeliveryState.READ
    assert Telegram.objects.get().state == TelegramState.DONE


def test_lead_may_close_the_telegram_before_assisting_units(clerk, staff_cz):
    factories.register(clerk, instruction="请财政厅牵头，自治区总工会配合办理。")
    actions.route(RoutingOrder.objects.get().pk)
    lead = Delivery.objects.get(role="lead")
    actions.sign(lead, actor=staff_cz)
    actions.complete(lead, actor=staff_cz, result="牵头办结", close=True)
    assert Telegram.objects.get().state == TelegramState.DONE


def test_unit_staff_see_only_their_units_deliveries(seed_order, staff_cz, staff_zgh):
    actions.route(seed_order.pk)
    d = Delivery.objects.get()
    other = client_for(staff_cz)
    assert other.get(reverse("telegrams:detail", args=[d.telegram_id])).status_code == 404
    assert other.post(reverse("routing:sign", args=[d.pk])).status_code == 404
    assert other.get(reverse("telegrams:complete", args=[d.pk])).status_code == 404
    assert d.telegram.receipt_no not in other.get(reverse("routing:inbox")).content.decode()
    assert client_for(staff_zgh).get(reverse("telegrams:detail", args=[d.telegram_id])).status_code == 200


def test_inbox_orders_most_urgent_first_and_marks_overdue(clerk, staff_zgh):
    factories.register(clerk, precedence="平急", sender_doc_no="X〔2020〕1号")
    factories.register(clerk, precedence="特提", sender_doc_no="X〔2020〕2号")
    for order in RoutingOrder.objects.all():
        actions.route(order.pk)
    html = client_for(staff_zgh).get(reverse("routing:inbox")).content.decode()
    assert html.index("宁机明收[2020]2号") < html.index("宁机明收[2020]1号")
    assert "已逾期" in html  # 2020 deadlines are long past


def test_admin_history_filters_and_csv(seed_order, admin_user, clerk):
    actions.route(seed_order.pk)
    c = client_for(admin_user)
    html = c.get(reverse("routing:history"), {"precedence": "特提"}).content.decode()
    assert "宁机明收[2020]1号" in html and "送达自治区总工会" in html
    assert "宁机明收" not in c.get(reverse("routing:history"), {"precedence": "平急"}).content.decode().split("<tbody>")[1]
    csv_text = b"".join(c.get(reverse("routing:history_csv")).streaming_content).decode("utf-8-sig")
    assert csv_text.splitlines()[0].startswith("时间,收文号")
    assert "自治区总工会" in csv_text
    assert client_for(clerk).get(reverse("routing:history")).status_code == 403


def test_show_telegram_lists_deliveries(seed_order):
    actions.route(seed_order.pk)
    out = StringIO()
    call_command("show_telegram", "宁机明收[2020]1号", "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert data["deliveries"] == [{"unit": "自治区总工会", "role": "handle", "state": "delivered", "deadline": "2020-05-02"}]
    assert data["state"] == "instructed"


def test_the_units_staff_are_alerted_when_a_telegram_arrives(seed_order, staff_zgh, staff_cz, after_commit):
    with after_commit():
        actions.route(seed_order.pk)
    alert = Alert.objects.get(user=staff_zgh)
    assert alert.kind == "delivered" and "待签收" in alert.text and alert.read_at is None
    assert not Alert.objects.filter(user=staff_cz).exists()
    page = client_for(staff_zgh).get(reverse("routing:inbox")).content.decode()
    assert 'class="badge-alert"' in page
    with after_commit():
        client_for(staff_zgh).get(reverse("telegrams:detail", args=[seed_order.telegram_id]))
    alert.refresh_from_db()
    assert alert.read_at is not None  # opening the telegram clears it
