"""A unit's deliveries over the API: only its own (another unit's is 404), 签收 and 办结 through the routing
actions, their refusals as problem documents."""
from __future__ import annotations

import json

import pytest

from audit.models import AuditEntry
from routing.models import Delivery
from tests import factories

from .conftest import problem_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def delivered(clerk):
    telegram = factories.register(clerk)
    factories.route_pending(telegram)
    return Delivery.objects.get(telegram=telegram)


def test_the_unit_lists_signs_and_finishes_its_delivery(api_zgh, delivered, staff_zgh):
    page = api_zgh.get("/api/v1/deliveries/").json()
    assert page["count"] == 1
    row = page["results"][0]
    assert {k: row[k] for k in ("id", "telegram", "receipt_no", "unit", "role", "state", "deadline")} == {
        "id": delivered.pk, "telegram": delivered.telegram_id, "receipt_no": delivered.telegram.receipt_no,
        "unit": "自治区总工会", "role": "handle", "state": "delivered", "deadline": "2020-05-02"}
    assert row["url"] == f"/api/v1/deliveries/{delivered.pk}/"

    signed = api_zgh.post(f"/api/v1/deliveries/{delivered.pk}/sign/")
    assert signed.status_code == 200 and signed.json()["state"] == "signed" and signed.json()["signed_at"]
    done = api_zgh.post(f"/api/v1/deliveries/{delivered.pk}/done/", {"result": "已转发各级工会学习。"}, format="json")
    assert done.status_code == 200
    assert done.json()["state"] == "done" and done.json()["result"] == "已转发各级工会学习。"
    assert api_zgh.get("/api/v1/deliveries/", {"state": "done"}).json()["count"] == 1
    assert api_zgh.get("/api/v1/deliveries/", {"state": "delivered"}).json()["count"] == 0

    entries = AuditEntry.objects.filter(action__in=["routing.sign", "routing.done"]).order_by("seq")
    assert [(e.action, e.actor_id) for e in entries] == [("routing.sign", staff_zgh.pk), ("routing.done", staff_zgh.pk)]
    data = json.loads(entries[0].data)
    assert data["channel"] == "api" and data["api_token"] == staff_zgh.api_tokens.get().pk


def test_the_actions_refusals_are_problems(api_zgh, delivered):
    not_signed = api_zgh.post(f"/api/v1/deliveries/{delivered.pk}/done/", {"result": "x"}, format="json")
    assert not_signed.status_code == 409 and problem_of(not_signed)["code"] == "not_signed"
    api_zgh.post(f"/api/v1/deliveries/{delivered.pk}/sign/")
    twice = api_zgh.post(f"/api/v1/deliveries/{delivered.pk}/sign/")
    assert twice.status_code == 409 and problem_of(twice)["code"] == "already_signed"
    no_result = api_zgh.post(f"/api/v1/deliveries/{delivered.pk}/done/", {}, format="json")
    assert no_result.status_code == 400
    assert problem_of(no_result)["field"] == "result" and problem_of(no_result)["detail"] == "请填写办理结果。"
    not_lead = api_zgh.post(f"/api/v1/deliveries/{delivered.pk}/done/", {"result": "完", "close": True}, format="json")
    assert not_lead.status_code == 409 and problem_of(not_lead)["field"] == "close"


def test_another_units_delivery_is_404_and_other_roles_403(api_cz, api_clerk, api_leader, delivered):
    for path in (f"/api/v1/deliveries/{delivered.pk}/", f"/api/v1/deliveries/{delivered.pk}/sign/"):
        method = api_cz.get if path.endswith(f"{delivered.pk}/") else api_cz.post
        assert method(path).status_code == 404
    assert api_cz.get("/api/v1/deliveries/").json()["count"] == 0
    assert api_clerk.get("/api/v1/deliveries/").status_code == 403
    assert api_leader.post(f"/api/v1/deliveries/{delivered.pk}/sign/").status_code == 403
    delivered.refresh_from_db()
    assert delivered.state == "delivered"
