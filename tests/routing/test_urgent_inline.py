"""特提 ahead of the queue (ROUTE_URGENT_INLINE, on by default): a 特提 registration routes its 批办 in its own
transaction — delivered when the registration commits, with no worker or broker involved — while ordinary
telegrams still go through the worker; a worker that also gets the order delivers nothing twice; a failure of
the inline routing refuses the registration whole."""
from __future__ import annotations

import pytest
from django.db import DatabaseError, connection
from django.test.utils import CaptureQueriesContext

from audit.models import AuditEntry
from routing import actions, dispatch
from routing.models import Delivery, DeliveryState, OrderState, RoutingEvent, RoutingOrder
from telegrams.models import Telegram
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(monkeypatch) -> list[tuple[int, str]]:
    """What reaches the broker: (order id, queue) per message."""
    messages: list[tuple[int, str]] = []
    monkeypatch.setattr(dispatch.current_app, "send_task",
                        lambda name, args, kwargs, queue, **_: messages.append((args[0], queue)))
    return messages


def test_a_teti_is_delivered_when_its_registration_commits_without_the_worker(clerk, after_commit, sent):
    with after_commit():
        t = factories.register(clerk)  # 特提, 送：自治区总工会。
    order = RoutingOrder.objects.get(telegram=t)
    assert order.urgent and order.state == OrderState.DONE and order.attempts == 1
    delivery = Delivery.objects.get(telegram=t)
    assert (delivery.unit.name, delivery.state) == ("自治区总工会", DeliveryState.DELIVERED)
    assert RoutingEvent.objects.filter(delivery=delivery, to_state=DeliveryState.DELIVERED).count() == 1
    routed = AuditEntry.objects.get(action="routing.delivered", object_id=str(order.pk))
    assert routed.actor_id is None  # the system routed it, as the worker would
    # in the chain after the registration and the order, in the same transaction's run of entries
    actions_in_order = list(AuditEntry.objects.filter(seq__gte=AuditEntry.objects.get(action="telegram.register").seq)
                            .order_by("seq").values_list("action", flat=True))
    assert actions_in_order[:3] == ["telegram.register", "routing.order", "routing.delivered"]
    assert sent == []  # nothing for a worker to do: no message at all


def test_a_teti_is_routed_before_its_number_so_the_numbering_queue_holds_no_routing(clerk):
    """Registrations queue one at a time from the receipt number to COMMIT: the inline routing writes its rows
    before that (they are all the new telegram's own) and its audit entry joins the registration's one append."""
    with CaptureQueriesContext(connection) as queries:
        factories.register(clerk)
    statements = [q["sql"] for q in queries.captured_queries]
    first = {what: next(i for i, sql in enumerate(statements) if marker in sql) for what, marker in {
        "delivery": 'INSERT INTO "routing_delivery"', "number": "telegrams_receiptcounter",
        "audit": "audit_auditentry"}.items()}
    assert first["delivery"] < first["number"] < first["audit"]
    assert sum("INSERT INTO" in sql and "audit_auditentry" in sql for sql in statements) == 1  # one append of 3


def test_a_teti_is_delivered_with_the_broker_down(clerk, after_commit, monkeypatch):
    def down(*args, **kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr(dispatch.current_app, "send_task", down)
    with after_commit():
        t = factories.register(clerk)
    assert Delivery.objects.filter(telegram=t).count() == 1


def test_ordinary_telegrams_still_go_through_the_worker(clerk, after_commit, sent):
    with after_commit():
        t = factories.register(clerk, precedence="特急")
    order = RoutingOrder.objects.get(telegram=t)
    assert order.state == OrderState.PENDING and not Delivery.objects.filter(telegram=t).exists()
    assert sent == [(order.pk, "default")]


def test_the_worker_or_the_sweeper_getting_the_order_too_delivers_nothing_twice(clerk, after_commit, settings):
    with after_commit():
        t = factories.register(clerk)
    order = RoutingOrder.objects.get(telegram=t)
    actions._routed_here.clear()  # another worker process: it asks the database
    assert actions.route(order.pk) == 0
    assert actions.route(order.pk, swept=True) == 0
    settings.ROUTING_SWEEP_GRACE = 0
    assert order.pk not in dispatch.resend_pending()
    assert Delivery.objects.filter(telegram=t).count() == 1
    assert RoutingEvent.objects.filter(telegram=t, to_state=DeliveryState.DELIVERED).count() == 1
    assert AuditEntry.objects.filter(action="routing.delivered").count() == 1
    assert RoutingOrder.objects.get(pk=order.pk).attempts == 1


def test_when_inline_routing_fails_the_registration_is_refused_whole(clerk, after_commit, sent, monkeypatch):
    """Every row the inline routing writes is new, so only a broken database fails there: then nothing of the
    registration is written (no telegram, no number, no order, no audit entry) and nothing is sent; the clerk
    sees the error, and saving again registers it."""
    real = actions._route_orders

    def broken(orders, **kwargs):
        real(orders, **kwargs)  # writes, then fails: the registration's transaction takes it all back
        raise DatabaseError("deadlock detected")

    monkeypatch.setattr(actions, "_route_orders", broken)
    entries = AuditEntry.objects.count()
    with pytest.raises(DatabaseError), after_commit():
        factories.register(clerk)
    assert not Telegram.objects.exists() and not RoutingOrder.objects.exists() and not Delivery.objects.exists()
    assert not RoutingEvent.objects.exists() and AuditEntry.objects.count() == entries and sent == []
    monkeypatch.setattr(actions, "_route_orders", real)
    with after_commit():
        t = factories.register(clerk)
    assert t.receipt_no and Delivery.objects.filter(telegram=t).count() == 1


def test_a_teti_registration_is_eight_statements_from_begin_to_commit(clerk):
    """The inline routing adds three statements to a registration — the order (written done), its deliveries,
    and one INSERT of every routing event (the order's 'pending' with the deliveries' and its 'done'); no
    savepoint, no separate event INSERT, no UPDATE of the order."""
    factories.register(clerk)  # the directory snapshot and the year's counter exist
    with CaptureQueriesContext(connection) as queries:
        factories.another(clerk)
    statements = [q["sql"] for q in queries.captured_queries]
    # the registration's transaction (a savepoint inside the test's own): BEGIN … COMMIT in production
    begin = next(i for i, sql in enumerate(statements) if sql.startswith(("BEGIN", "SAVEPOINT")))
    end = max(i for i, sql in enumerate(statements) if sql.startswith(("COMMIT", "RELEASE")))
    written = statements[begin + 1:end]
    assert not any(sql.startswith(("SAVEPOINT", "RELEASE")) for sql in written), written
    assert sum('INSERT INTO "routing_routingevent"' in sql for sql in written) == 1
    if connection.vendor == "postgresql":  # SQLite numbers and appends with plain statements, a few more
        # telegram, order, deliveries, events, number (with the body's index row), audit append
        assert len(written) == 6, written
    events = list(RoutingEvent.objects.filter(telegram__sender_doc_no__isnull=False).order_by("-pk")[:3])[::-1]
    assert [(e.subject, e.to_state) for e in events] == [("order", "pending"), ("delivery", "delivered"),
                                                         ("order", "done")]


def test_with_the_setting_off_a_teti_goes_to_the_urgent_queue(clerk, after_commit, sent, settings):
    settings.ROUTE_URGENT_INLINE = False
    with after_commit():
        t = factories.register(clerk)
    order = RoutingOrder.objects.get(telegram=t)
    assert order.state == OrderState.PENDING and sent == [(order.pk, "urgent")]
