"""Double clicks, for real: the same step sent eight times at the same moment does one thing (PostgreSQL row locks;
SQLite serializes every writer anyway). Each refused copy gets the Chinese message of the step already done."""
from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.db import connection, connections

from annotations import actions as annotation_actions
from annotations.models import Annotation, CirculationStep
from audit.models import AuditEntry
from core.errors import ActionError
from routing import actions
from routing.models import Handback
from telegrams.models import TelegramReturn
from tests import factories

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
N = 8


def at_once(step: Callable[[], object]) -> tuple[list, list[str]]:
    if connection.vendor != "postgresql":
        pytest.skip("row locks are only meaningful on PostgreSQL (SQLite serializes all writers)")
    barrier = threading.Barrier(N)
    done, refused, errors = [], [], []

    def run() -> None:
        try:
            barrier.wait()
            done.append(step())
        except ActionError as exc:
            refused.append(exc.message)
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(N)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors, errors
    return done, refused


def test_eight_simultaneous_returns_return_once(demo):
    t = factories.register(demo["clerk"])
    factories.route_pending(t)
    done, refused = at_once(lambda: factories.return_telegram(t, demo["clerk"], "duplicate"))
    assert len(done) == 1 and refused == ["该来电已经退文。"] * (N - 1)
    assert TelegramReturn.objects.count() == 1 and AuditEntry.objects.filter(action="telegram.return").count() == 1


def test_eight_simultaneous_handbacks_hand_back_once(demo):
    t = factories.register(demo["clerk"])
    factories.route_pending(t)
    d = factories.delivery_of(t, demo["zonggonghui"])
    done, refused = at_once(lambda: actions.hand_back(d, actor=demo["zonggonghui"], reason="非本单位职责"))
    assert len(done) == 1 and refused == ["本单位已退回该来电。"] * (N - 1)
    assert Handback.objects.count() == 1


def test_eight_simultaneous_approvals_approve_once(demo):
    t = factories.register(demo["clerk"], instruction="")
    factories.propose(t, demo["clerk"], "拟请财政厅办理。")
    done, refused = at_once(lambda: factories.approve(t, demo["leader"]))
    assert len(done) == 1 and refused == ["李领导已同意该拟办意见。"] * (N - 1)
    assert Annotation.objects.count() == 1 and t.orders.count() == 1


def test_eight_simultaneous_pass_ons_pass_once(demo):
    t = factories.register(demo["clerk"], instruction="")
    factories.circulate(t, demo["clerk"], demo["leader"], demo["leader2"])
    done, refused = at_once(lambda: annotation_actions.pass_on(t, actor=demo["leader"]))
    assert len(done) == 1 and refused == ["您已阅毕，传阅现在陈领导处，您不能传下一位。"] * (N - 1)
    assert list(CirculationStep.objects.order_by("position").values_list("passed_at", flat=True))[1] is None
