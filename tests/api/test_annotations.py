"""批示 over the API: the parsed routes are returned for confirmation, then saved with the fingerprint of exactly
what was shown; a plain comment saves at once."""
from __future__ import annotations

import pytest

from annotations.models import Annotation
from routing.models import RoutingOrder
from tests import factories

from .conftest import problem_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def unrouted(clerk):
    return factories.another(clerk, instruction="")


def test_preview_then_confirm_routes_to_the_units_the_leader_saw(api_leader, unrouted, leader):
    url = f"/api/v1/telegrams/{unrouted.pk}/annotations/"
    text = "请财政厅牵头，自治区总工会配合办理。"
    draft = api_leader.post(url + "preview/", {"text": text}, format="json").json()
    assert draft["routes"] == [{"unit": "自治区财政厅", "role": "lead"}, {"unit": "自治区总工会", "role": "assist"}]
    assert draft["needs_confirmation"] and draft["ok"] and len(draft["fingerprint"]) == 64
    assert not Annotation.objects.exists()

    unconfirmed = api_leader.post(url, {"text": text}, format="json")
    assert unconfirmed.status_code == 409
    problem = problem_of(unconfirmed)
    assert problem["code"] == "confirmation_required" and problem["draft"]["fingerprint"] == draft["fingerprint"]
    stale = api_leader.post(url, {"text": text, "fingerprint": "0" * 64}, format="json")
    assert stale.status_code == 409 and "已变化" in problem_of(stale)["detail"]
    assert not Annotation.objects.exists()

    saved = api_leader.post(url, {"text": text, "fingerprint": draft["fingerprint"]}, format="json",
                            HTTP_IDEMPOTENCY_KEY="leader-1")
    assert saved.status_code == 201
    body = saved.json()
    assert body["text"] == text and body["author"] == "李领导" and body["telegram"] == unrouted.pk
    order = RoutingOrder.objects.get(telegram=unrouted)
    assert [(r["unit"], r["role"]) for r in order.routes] == [("自治区财政厅", "lead"), ("自治区总工会", "assist")]

    again = api_leader.post(url, {"text": text, "fingerprint": draft["fingerprint"]}, format="json",
                            HTTP_IDEMPOTENCY_KEY="leader-1")
    assert again.status_code == 201 and again.content == saved.content
    assert Annotation.objects.count() == 1 and RoutingOrder.objects.count() == 1
    assert api_leader.get(url).json() == [body]


def test_a_plain_comment_needs_no_confirmation(api_leader, unrouted):
    response = api_leader.post(f"/api/v1/telegrams/{unrouted.pk}/annotations/", {"text": "已阅。"}, format="json")
    assert response.status_code == 201 and not RoutingOrder.objects.filter(telegram=unrouted).exists()


def test_unknown_units_are_shown_and_refused(api_leader, unrouted):
    url = f"/api/v1/telegrams/{unrouted.pk}/annotations/"
    draft = api_leader.post(url + "preview/", {"text": "请水利厅办理。"}, format="json").json()
    assert not draft["ok"] and draft["unknown_units"][0]["name"] == "水利厅"
    refused = api_leader.post(url, {"text": "请水利厅办理。", "fingerprint": draft["fingerprint"]}, format="json")
    assert refused.status_code == 400 and problem_of(refused)["field"] == "text"
    empty = api_leader.post(url, {"text": ""}, format="json")
    assert empty.status_code == 400 and problem_of(empty)["detail"] == "请填写批示内容。"


def test_only_leaders_write_and_scope_still_applies(api_clerk, api_cz, unrouted):
    url = f"/api/v1/telegrams/{unrouted.pk}/annotations/"
    assert api_clerk.post(url, {"text": "同意。"}, format="json").status_code == 403
    assert api_clerk.get(url).status_code == 200
    assert api_cz.get(url).status_code == 404  # not delivered to 财政厅
