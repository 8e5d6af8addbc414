"""A 批办 naming a unit the directory lacks: the telegram is registered and routed to the units found; the clerk
routes each unknown name later (to a unit added since, or one it stood for) or sets it aside."""
from __future__ import annotations

import pytest
from django.urls import reverse

from audit.models import AuditEntry
from core.errors import InvalidInput, NotAllowed
from directory.models import Unit
from routing import actions
from routing.models import Delivery, RoutingOrder, UnknownUnit
from telegrams.models import TelegramState
from tests import factories
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def flagged(clerk):
    return factories.register(clerk, sender_doc_no="", instruction="请财政厅牵头，自治区水利厅配合办理。")


def test_the_known_unit_is_routed_and_the_unknown_name_waits(flagged):
    factories.route_pending(flagged)
    assert list(Delivery.objects.filter(telegram=flagged).values_list("unit__name", flat=True)) == ["自治区财政厅"]
    waiting = UnknownUnit.objects.get(telegram=flagged)
    assert waiting.name == "自治区水利厅" and waiting.resolved_at is None


def test_the_clerk_routes_the_name_to_a_unit_added_since(flagged, clerk_client):
    factories.route_pending(flagged)
    water = Unit.objects.create(name="自治区水利厅", short_name="水利厅")
    page = clerk_client.get(reverse("routing:unknown_units")).content.decode()
    assert f'<option value="{water.pk}" selected>' in page  # the directory knows the name now: offered first
    item = UnknownUnit.objects.get()
    response = clerk_client.post(reverse("routing:resolve_unknown", args=[item.pk]), {"unit": water.pk, "role": "assist"})
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.unit == water and item.resolved_at and item.resolved_by.username == "clerk"
    order = RoutingOrder.objects.filter(telegram=flagged, source="resolved").get()
    assert order.routes == [{"unit_id": water.pk, "unit": "自治区水利厅", "role": "assist"}]
    factories.route_pending(flagged)
    assert Delivery.objects.get(telegram=flagged, unit=water).role == "assist"
    assert AuditEntry.objects.filter(action="routing.unknown_routed").exists()
    assert "自治区水利厅" not in clerk_client.get(reverse("routing:unknown_units")).content.decode().split("<tbody>")[1]


def test_setting_a_name_aside_needs_a_reason_and_happens_once(flagged, clerk):
    item = UnknownUnit.objects.get()
    with pytest.raises(InvalidInput, match="请填写不分送的原因"):
        actions.set_aside_unknown(item, actor=clerk, note=" ")
    actions.set_aside_unknown(item, actor=clerk, note="非本区单位，已电话告知")
    with pytest.raises(NotAllowed, match="已经处理过"):
        actions.set_aside_unknown(item, actor=clerk, note="再次")
    with pytest.raises(NotAllowed, match="已经处理过"):
        actions.route_unknown(item, unit=Unit.objects.get(name="自治区财政厅"), role="handle", actor=clerk)
    assert AuditEntry.objects.filter(action="routing.unknown_set_aside").count() == 1


def test_a_voided_telegram_routes_nothing_more(flagged, clerk):
    from telegrams.actions import void

    void(flagged, actor=clerk, reason="误登记")
    with pytest.raises(NotAllowed, match="已作废"):
        actions.route_unknown(UnknownUnit.objects.get(), unit=Unit.objects.get(name="自治区财政厅"), role="handle",
                              actor=clerk)


def test_only_clerks_handle_the_list(flagged, leader, staff_cz):
    item = UnknownUnit.objects.get()
    for user in (leader, staff_cz):
        assert client_for(user).post(reverse("routing:resolve_unknown", args=[item.pk]), {"action": "set_aside",
                                                                                          "note": "x"}).status_code == 403
    item.refresh_from_db()
    assert item.resolved_at is None and flagged.state == TelegramState.INSTRUCTED
