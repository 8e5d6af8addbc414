"""Telegrams over the API: register from fields or from the text (the same parser as the paste form and
import_telegram), retries with an Idempotency-Key, the register's filters, the record as show_telegram has it."""
from __future__ import annotations

import json

import pytest
from django.core.management import call_command

from audit.models import AuditEntry
from routing.models import RoutingOrder, UnknownUnit
from telegrams.models import Telegram
from tests import factories
from tests.factories import SEED

from .conftest import problem_of, seed_text, token_client

pytestmark = pytest.mark.django_db

SEED_FIELDS = {
    "sender_unit": SEED["sender_unit_name"], "precedence": "特提", "classification": "明电",
    "received_at": "2020-05-01T21:36:00+08:00", "title": SEED["title"], "sending_unit": "中华全国总工会",
    "sender_doc_no": "工发电[2020]7号", "addressees": SEED["addressees"], "cc": SEED["cc"], "body": SEED["body"],
    "signatory": "中华全国总工会办公厅", "signed_on": "2020-05-01", "instruction": "送：自治区总工会。",
    "annotation": None, "receipt_no": None,
}


def test_the_clerk_registers_from_the_parse_telegram_fields(api_clerk, clerk):
    response = api_clerk.post("/api/v1/telegrams/", SEED_FIELDS, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    telegram = Telegram.objects.get()
    assert body == {"id": telegram.pk, "receipt_no": telegram.receipt_no, "url": f"/api/v1/telegrams/{telegram.pk}/"}
    assert response["Location"] == body["url"]
    assert telegram.sender_doc_no == "工发电〔2020〕7号" and telegram.registered_by == clerk
    assert telegram.body == SEED["body"]
    assert RoutingOrder.objects.get(telegram=telegram).routes[0]["unit"] == "自治区总工会"


def test_registering_from_the_text_uses_the_same_parser_as_parse_telegram(api_clerk, tmp_path, capsys):
    text = seed_text()
    response = api_clerk.post("/api/v1/telegrams/", {"text": text}, format="json")
    assert response.status_code == 201, response.content
    record = api_clerk.get(response.json()["url"]).json()

    (tmp_path / "seed.txt").write_text(text, encoding="utf-8")
    call_command("parse_telegram", str(tmp_path / "seed.txt"), "--json")
    parsed = json.loads(capsys.readouterr().out)
    for name in ("receipt_no", "sender_unit", "precedence", "received_at", "title", "instruction", "sending_unit",
                 "sender_doc_no", "addressees", "body", "signatory", "signed_on", "cc"):
        assert record[name] == parsed[name], name
    assert record["receipt_no"] == "宁机明收[2020]744号"  # the number on the paper form is kept


def test_a_field_given_beside_the_text_replaces_what_the_parser_found(api_clerk):
    response = api_clerk.post("/api/v1/telegrams/", {"text": seed_text(), "precedence": "加急", "receipt_no": ""},
                              format="json")
    assert response.status_code == 201
    assert Telegram.objects.get().precedence == "加急"


def test_a_retried_request_with_its_idempotency_key_registers_once(api_clerk):
    first = api_clerk.post("/api/v1/telegrams/", SEED_FIELDS, format="json", HTTP_IDEMPOTENCY_KEY="oa-20200501-7")
    again = api_clerk.post("/api/v1/telegrams/", SEED_FIELDS, format="json", HTTP_IDEMPOTENCY_KEY="oa-20200501-7")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.content == first.content
    assert Telegram.objects.count() == 1
    assert AuditEntry.objects.filter(action="telegram.register").count() == 1


def test_without_the_key_the_same_telegram_again_is_a_duplicate_naming_the_first(api_clerk):
    first = api_clerk.post("/api/v1/telegrams/", SEED_FIELDS, format="json").json()
    response = api_clerk.post("/api/v1/telegrams/", SEED_FIELDS, format="json")
    assert response.status_code == 409
    problem = problem_of(response)
    assert problem["code"] == "duplicate" and problem["field"] == "sender_doc_no"
    assert problem["existing"] == first["id"] and problem["receipt_no"] == first["receipt_no"]
    assert "重复收文" in problem["detail"]


def test_another_account_with_the_same_key_gets_its_own_telegram(api_clerk, clerk):
    from api.actions import create_system_account
    from directory import roles

    _, _, key = create_system_account(username="oa", full_name="OA系统", role=roles.CLERK, unit=None,
                                      purpose="OA推送", actor=None)
    first = api_clerk.post("/api/v1/telegrams/", SEED_FIELDS, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    other = dict(SEED_FIELDS, sender_doc_no="工发电〔2020〕8号")
    second = token_client(clerk)
    second.credentials(HTTP_AUTHORIZATION=f"Token {key}", HTTP_IDEMPOTENCY_KEY="k1")
    response = second.post("/api/v1/telegrams/", other, format="json")
    assert response.status_code == 201 and response.json()["id"] != first.json()["id"]
    assert Telegram.objects.get(pk=response.json()["id"]).registered_by.username == "oa"


def test_what_the_action_refuses_comes_back_as_a_problem_with_its_field(api_clerk):
    missing_title = api_clerk.post("/api/v1/telegrams/", dict(SEED_FIELDS, title=""), format="json")
    assert missing_title.status_code == 400
    assert problem_of(missing_title)["field"] == "title" and problem_of(missing_title)["detail"] == "标题不能为空。"

    secret = api_clerk.post("/api/v1/telegrams/", dict(SEED_FIELDS, classification="密电"), format="json")
    assert secret.status_code == 409 and problem_of(secret)["code"] == "classified"

    bad_time = api_clerk.post("/api/v1/telegrams/", dict(SEED_FIELDS, received_at="昨天"), format="json")
    assert bad_time.status_code == 400
    problem = problem_of(bad_time)
    assert problem["field"] == "received_at" and problem["errors"][0]["field"] == "received_at"

    nul = api_clerk.post("/api/v1/telegrams/", dict(SEED_FIELDS, title="标题\x00"), format="json")
    assert nul.status_code == 400 and problem_of(nul)["field"] == "title"

    empty_text = api_clerk.post("/api/v1/telegrams/", {"text": "   "}, format="json")
    assert empty_text.status_code == 400 and problem_of(empty_text)["field"] == "sender_unit_name"

    assert Telegram.objects.count() == 0


def test_unknown_units_in_the_instruction_never_refuse_the_registration(api_clerk):
    response = api_clerk.post("/api/v1/telegrams/", dict(SEED_FIELDS, instruction="送：自治区总工会、自治区水利厅。"),
                              format="json")
    assert response.status_code == 201
    assert list(UnknownUnit.objects.values_list("name", flat=True)) == ["自治区水利厅"]


def test_only_the_clerk_registers(api_leader, api_zgh):
    for client in (api_leader, api_zgh):
        response = client.post("/api/v1/telegrams/", SEED_FIELDS, format="json")
        assert response.status_code == 403 and problem_of(response)["code"] == "permission_denied"


def test_the_register_list_has_the_pages_filters_and_search(api_clerk, clerk):
    urgent = factories.register(clerk)
    plain = factories.another(clerk, precedence="平急", title="关于春季防火的通知", sender_unit_name="自治区应急管理厅")
    page = api_clerk.get("/api/v1/telegrams/").json()
    assert set(page) == {"count", "next", "previous", "results"}
    assert page["count"] == 2 and page["next"] is None
    assert {r["id"] for r in page["results"]} == {urgent.pk, plain.pk}
    row = next(r for r in page["results"] if r["id"] == urgent.pk)
    assert row == {"id": urgent.pk, "receipt_no": urgent.receipt_no, "precedence": "特提",
                   "sender_unit": "中华全国总工会办公厅", "sender_doc_no": "工发电〔2020〕7号", "title": SEED["title"],
                   "received_at": "2020-05-01T21:36:00+08:00", "state": "instructed",
                   "url": f"/api/v1/telegrams/{urgent.pk}/"}
    assert [r["id"] for r in api_clerk.get("/api/v1/telegrams/", {"precedence": "平急"}).json()["results"]] == [plain.pk]
    assert [r["id"] for r in api_clerk.get("/api/v1/telegrams/", {"q": "防火"}).json()["results"]] == [plain.pk]
    assert [r["id"] for r in api_clerk.get("/api/v1/telegrams/", {"q": "工发电[2020]7"}).json()["results"]] == [urgent.pk]
    assert api_clerk.get("/api/v1/telegrams/", {"sender": "应急"}).json()["count"] == 1
    assert api_clerk.get("/api/v1/telegrams/", {"date_from": "2020-05-02"}).json()["count"] == 0
    two = api_clerk.get("/api/v1/telegrams/", {"page_size": 1}).json()
    assert two["count"] == 2 and two["next"].endswith("page=2&page_size=1") and len(two["results"]) == 1

    bad = api_clerk.get("/api/v1/telegrams/", {"precedence": "很急"})
    assert bad.status_code == 400 and problem_of(bad)["field"] == "precedence"
    assert api_clerk.get("/api/v1/telegrams/", {"page": 9}).status_code == 404


def test_unit_staff_have_no_register(api_zgh):
    assert api_zgh.get("/api/v1/telegrams/").status_code == 403


def test_the_record_is_show_telegram_plus_id_and_reading_it_is_audited(api_clerk, clerk, staff_zgh, capsys):
    telegram = factories.register(clerk)
    factories.sign_and_finish(telegram, staff_zgh, result="已转发各级工会。")
    record = api_clerk.get(f"/api/v1/telegrams/{telegram.pk}/").json()
    call_command("show_telegram", telegram.receipt_no, "--json")
    assert record == {"id": telegram.pk, **json.loads(capsys.readouterr().out)}
    assert record["deliveries"] == [{"unit": "自治区总工会", "role": "handle", "state": "done", "deadline": "2020-05-02"}]
    entry = AuditEntry.objects.filter(action="telegram.view_body").last()
    assert entry.actor_id == clerk.pk and json.loads(entry.data)["channel"] == "api"


def test_another_units_telegram_is_404_like_a_missing_one(api_zgh, api_cz, clerk):
    telegram = factories.register(clerk)
    factories.route_pending(telegram)
    assert api_zgh.get(f"/api/v1/telegrams/{telegram.pk}/").status_code == 200
    theirs = api_cz.get(f"/api/v1/telegrams/{telegram.pk}/")
    missing = api_cz.get("/api/v1/telegrams/999999/")
    assert theirs.status_code == missing.status_code == 404
    assert problem_of(theirs)["detail"] == problem_of(missing)["detail"]


def test_the_clerk_voids_a_telegram_with_a_reason(api_clerk, api_leader, clerk):
    telegram = factories.register(clerk)
    url = f"/api/v1/telegrams/{telegram.pk}/void/"
    assert api_leader.post(url, {"reason": "误登记"}, format="json").status_code == 403
    no_reason = api_clerk.post(url, {"reason": "  "}, format="json")
    assert no_reason.status_code == 400 and problem_of(no_reason)["field"] == "reason"
    done = api_clerk.post(url, {"reason": "重复登记"}, format="json")
    assert done.status_code == 200
    assert done.json() == {"id": telegram.pk, "receipt_no": telegram.receipt_no, "state": "void",
                           "url": f"/api/v1/telegrams/{telegram.pk}/"}
    again = api_clerk.post(url, {"reason": "重复登记"}, format="json")
    assert again.status_code == 409 and problem_of(again)["code"] == "illegal_transition"
