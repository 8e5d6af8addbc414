"""The audit log for people (audit.catalog): each app names its own objects (with a link) and data fields, the
audit app imports none of them; the operator is found by user name or by name, objects by what people call them."""
from __future__ import annotations

import json
import re

import pytest
from django.db import transaction
from django.urls import reverse

from audit import catalog
from audit.models import AuditEntry
from audit.services import record
from directory import services as directory
from directory.models import Unit
from routing.models import Delivery
from tests import factories
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def seed(clerk):
    """The seed telegram, registered by the clerk and routed to 自治区总工会."""
    telegram = factories.register(clerk)
    factories.route_pending(telegram)
    return telegram


def rows(page_html: str) -> str:
    return page_html.split('id="audit-entries"', 1)[1]


def test_entries_name_their_objects_as_people_do_with_a_link(admin_user, seed, staff_zgh):
    delivery = Delivery.objects.get(telegram=seed)
    directory.save_person(staff_zgh, directory.PersonData(full_name="张承办", role="承办人", unit=staff_zgh.person.unit,
                                                          title="科长"), actor=admin_user)
    entries = list(AuditEntry.objects.order_by("seq"))
    catalog.describe(entries)
    shown = {(e.action, e.object_text, e.object_url) for e in entries}
    history = reverse("audit:telegram", args=[seed.pk])
    assert ("telegram.register", f"来电：{seed.receipt_no}", history) in shown
    assert ("routing.delivered", f"分送指令：{seed.receipt_no} · 来源：批办", history) in shown
    person_page = reverse("directory:person_edit", args=[staff_zgh.pk])
    assert ("directory.user_updated", "用户：张承办（zonggonghui）", person_page) in shown
    # A delivery names its telegram and unit.
    with transaction.atomic():
        entry = record(admin_user, "routing.sign", delivery, {"telegram": seed.receipt_no, "unit": "自治区总工会", "state": "signed"})
    catalog.describe([entry])
    assert entry.object_text == f"分送：{seed.receipt_no} · 自治区总工会（办理）" and entry.object_url == history


def test_the_log_shows_labelled_fields_not_json_nor_internal_names(admin_user, seed):
    page = client_for(admin_user).get(reverse("audit:log")).content.decode()
    table = rows(page)
    assert "<dt>收文号</dt>" in table and "<dt>来电单位</dt>" in table and "<dt>分送单位</dt>" in table
    assert "单位：自治区总工会 · 角色：办理 · 办结期限：2020-05-02" in table
    text = re.sub(r"<[^>]+>", " ", table)  # what is read (the action's code stays in a tooltip)
    for internal in ('{"', "telegrams.telegram", "routing.routingorder", "sender_doc_no", "telegram.register"):
        assert internal not in text, internal


def test_a_correction_lists_the_fields_by_their_form_names_old_and_new():
    data = json.dumps({"changes": {"precedence": {"old": "特急", "new": "特提"}, "sender_unit_name": {"old": "甲", "new": "乙"}},
                       "reason": "核对原件"})
    fields = catalog.data_fields(data, "telegrams.telegram")
    assert [(f.label, f.text) for f in fields[0].children] == [("来电单位", "甲 → 乙"), ("等级", "特急 → 特提")]
    assert (fields[0].label, fields[1].label, fields[1].text) == ("修改内容", "原因", "核对原件")


def test_the_same_key_reads_as_its_own_objects_field():
    assert catalog.field_label("title", "telegrams.telegram") == "标题"
    assert catalog.field_label("title", "auth.user") == "职务"
    assert catalog.data_fields('{"role": "lead", "state": "signed", "close": false}', "routing.delivery")[0].text == "牵头"
    assert [f.text for f in catalog.data_fields('{"state": "signed", "close": false}', "routing.delivery")] == ["办理中", "否"]


def test_an_object_nobody_described_or_a_failing_description_still_shows(admin_user, monkeypatch):
    with transaction.atomic():
        unknown = record(admin_user, "plugin.thing", None, {"x": 1}, object_type="plugin.widget")
    unknown.object_id = "7"
    broken = catalog.ObjectKind("单位", describe=lambda ids: 1 / 0)
    monkeypatch.setitem(catalog._kinds, "directory.unit", broken)
    with transaction.atomic():
        unit_entry = record(admin_user, "directory.unit_saved", Unit.objects.first(), {})
    catalog.describe([unknown, unit_entry])
    assert unknown.object_text == "plugin.widget #7" and unknown.object_url == ""
    assert unit_entry.object_text == f"单位 #{unit_entry.object_id}"
    page = client_for(admin_user).get(reverse("audit:log"))
    assert page.status_code == 200


def test_the_operator_is_found_by_user_name_or_by_name(admin_user, seed, leader):
    c = client_for(admin_user)
    c.get(reverse("telegrams:detail", args=[seed.pk]))  # the admin reads the body: an entry by 刘管理
    for who in ("admin", "刘管理", "ADMIN"):
        page = rows(c.get(reverse("audit:log"), {"actor": who}).content.decode())
        assert "查看正文" in page and "王机要" not in page, who
    page = rows(c.get(reverse("audit:log"), {"actor": "clerk"}).content.decode())
    assert "登记来电" in page and "刘管理" not in page


def test_objects_are_found_by_receipt_number_unit_or_user(admin_user, seed, staff_zgh):
    c = client_for(admin_user)
    by_number = rows(c.get(reverse("audit:log"), {"telegram": seed.receipt_no}).content.decode())
    assert "登记来电" in by_number and "送达单位" in by_number
    unit = Unit.objects.get(name="自治区民政厅")
    client_for(admin_user).post(reverse("directory:unit_edit", args=[unit.pk]), {
        "name": unit.name, "short_name": unit.short_name, "aliases": ["区民政厅"], "parent": "", "active": "on"})
    by_unit = rows(c.get(reverse("audit:log"), {"telegram": "民政厅"}).content.decode())  # its short name
    assert "保存单位" in by_unit and "登记来电" not in by_unit
    directory.save_person(staff_zgh, directory.PersonData(full_name="张承办", role="承办人", unit=staff_zgh.person.unit,
                                                          title="科长"), actor=admin_user)
    by_user = rows(c.get(reverse("audit:log"), {"telegram": "zonggonghui"}).content.decode())
    assert "用户：张承办（zonggonghui）" in by_user


def test_part_of_an_actions_chinese_name_finds_it(admin_user, seed):
    page = rows(client_for(admin_user).get(reverse("audit:log"), {"action": "分送"}).content.decode())
    assert "分送指令" in page and "登记来电" not in page
