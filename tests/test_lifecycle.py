"""The lifecycle tables refuse what they do not list, with a Chinese message, and change nothing."""
from __future__ import annotations

import pytest

from audit.models import AuditEntry
from core.errors import IllegalTransition, NotAllowed
from core.lifecycle import Lifecycle
from routing import actions as routing_actions
from routing.models import DELIVERY_LIFECYCLE, Delivery, DeliveryState
from telegrams import actions as telegram_actions
from telegrams.models import TELEGRAM_LIFECYCLE, TelegramState
from tests import factories

pytestmark = pytest.mark.django_db


def test_a_table_names_only_known_states():
    with pytest.raises(ValueError, match="unknown states"):
        Lifecycle("x", TelegramState, {TelegramState.REGISTERED: {"nonsense"}}, initial={TelegramState.REGISTERED})


def test_an_illegal_transition_raises_in_chinese():
    with pytest.raises(IllegalTransition, match="来电当前状态为“已作废”，不能变为“已办结”"):
        TELEGRAM_LIFECYCLE.check(TelegramState.VOID, TelegramState.DONE)
    with pytest.raises(IllegalTransition):
        DELIVERY_LIFECYCLE.check(DeliveryState.DONE, DeliveryState.SIGNED)


def test_voiding_twice_is_refused_and_writes_nothing(clerk):
    t = factories.register(clerk)
    telegram_actions.void(t, actor=clerk, reason="误登记")
    before = AuditEntry.objects.count()
    with pytest.raises(IllegalTransition, match="该来电已经作废"):
        telegram_actions.void(t, actor=clerk, reason="再次")
    assert AuditEntry.objects.count() == before


def test_the_telegram_cannot_follow_its_deliveries_into_a_state_its_table_forbids(clerk):
    t = factories.register(clerk, instruction="")
    assert t.state == TelegramState.REGISTERED
    with pytest.raises(IllegalTransition):
        telegram_actions.follow([(t, TelegramState.DONE)])  # 已登记 → 已办结 is not in the table
    t.refresh_from_db()
    assert t.state == TelegramState.REGISTERED


def test_only_the_lead_unit_may_close_the_whole_telegram(clerk, staff_cz, staff_zgh):
    t = factories.register(clerk, instruction="请财政厅牵头，自治区总工会配合办理。")
    factories.route_pending(t)
    assist = Delivery.objects.get(telegram=t, unit=staff_zgh.person.unit)
    routing_actions.sign(assist, actor=staff_zgh)
    with pytest.raises(NotAllowed, match="只有牵头单位"):
        routing_actions.complete(assist, actor=staff_zgh, result="已配合", close=True)
    assist.refresh_from_db()
    assert assist.state == DeliveryState.SIGNED  # nothing changed
    t.refresh_from_db()
    assert t.state == TelegramState.IN_PROGRESS


def test_signing_twice_is_refused(clerk, staff_zgh):
    t = factories.register(clerk)
    factories.route_pending(t)
    d = factories.delivery_of(t, staff_zgh)
    routing_actions.sign(d, actor=staff_zgh)
    with pytest.raises(NotAllowed, match="无需重复签收"):
        routing_actions.sign(d, actor=staff_zgh)
