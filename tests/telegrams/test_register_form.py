"""Journeys of the clerk registering telegrams through the form (Django test client)."""
from __future__ import annotations

import io

import pytest
from django.urls import reverse

from telegrams.models import Scan, State, Telegram

from .helpers import SEED_FORM, form

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def post(client, data, files=None):
    payload = dict(data)
    if files:
        payload["scans"] = files
    return client.post(reverse("telegrams:create"), payload)


def test_clerk_registers_the_seed_telegram_and_reads_it_back(clerk_client, settings):
    settings.RECEIPT_PREFIX = "宁机明收"
    scan = io.BytesIO(b"%PDF-1.4\n" + b"x" * 100)
    scan.name = "744.pdf"
    response = post(clerk_client, SEED_FORM, [scan])
    assert response.status_code == 302, response.content.decode()[:2000]
    t = Telegram.objects.get()
    assert response["Location"] == reverse("telegrams:detail", args=[t.pk])
    assert t.receipt_no == "宁机明收[2020]1号"
    assert (t.receipt_year, t.receipt_seq) == (2020, 1)
    assert t.sender_unit_name == "中华全国总工会办公厅"
    assert t.sender_unit.name == "中华全国总工会办公厅"
    assert t.precedence == "特提" and t.classification == "明电"
    assert t.received_at.isoformat() == "2020-05-01T13:36:00+00:00"  # 21:36 Asia/Shanghai
    assert t.title == SEED_FORM["title"]
    assert t.sending_unit == "中华全国总工会"
    assert t.sender_doc_no == "工发电〔2020〕7号"  # brackets normalised
    assert t.addressees == ["各省、自治区、直辖市总工会", "各全国产业工会", "中央和国家机关工会联合会",
                            "全总各部门、各直属单位"]
    assert t.cc == ["新疆生产建设兵团总工会"]
    assert (t.pages, t.copies) == (4, 1)
    assert t.signatory == "中华全国总工会办公厅" and t.signed_on.isoformat() == "2020-05-01"
    assert t.body == SEED_FORM["body"]
    assert SEED_FORM["body"][:10] not in t.body_enc  # stored encrypted
    assert t.instruction == "送：自治区总工会。"
    assert t.state == State.INSTRUCTED  # the 批办 named a unit: an order went out
    assert Scan.objects.get().read().startswith(b"%PDF-")

    page = clerk_client.get(reverse("telegrams:detail", args=[t.pk])).content.decode()
    for text in ("内部明电", "宁机明收[2020]1号", "中华全国总工会办公厅", "特提", "2020年5月1日21时36分",
                 "工发电〔2020〕7号", "送：自治区总工会。", "新疆生产建设兵团总工会", "744.pdf"):
        assert text in page, text


def test_the_register_lists_newest_first_with_teti_in_red(clerk_client):
    post(clerk_client, form(precedence="平急", sender_doc_no="A〔2020〕1号", received_at="2020-05-01T08:00"))
    post(clerk_client, form(precedence="特提", sender_doc_no="A〔2020〕2号", received_at="2020-05-02T08:00"))
    html = clerk_client.get(reverse("telegrams:register")).content.decode()
    rows = html.split("<tbody>")[1]
    first_row = rows.split("</tr>")[0]
    assert 'class="urgent"' in first_row and "prec-特提" in first_row
    assert rows.index("宁机明收[2020]2号") < rows.index("宁机明收[2020]1号")


@pytest.mark.parametrize("params, expected", [
    ({"precedence": "特提"}, {"宁机明收[2020]2号"}),
    ({"q": "工发电[2020]7号"}, {"宁机明收[2020]1号"}),
    ({"q": "防汛"}, {"宁机明收[2020]2号"}),
    ({"q": "宁机明收[2020]3"}, {"宁机明收[2020]3号"}),
    ({"sender": "国务院"}, {"宁机明收[2020]2号"}),
    ({"date_from": "2020-05-02", "date_to": "2020-05-02"}, {"宁机明收[2020]2号"}),
    ({"state": "void"}, {"宁机明收[2020]3号"}),
])
def test_register_filters_and_search(clerk_client, clerk, params, expected):
    from telegrams import services

    post(clerk_client, form(precedence="平急", received_at="2020-05-01T08:00"))
    post(clerk_client, form(precedence="特提", sender_unit_name="国务院办公厅", title="关于做好防汛工作的紧急通知",
                            sender_doc_no="国办发电〔2020〕3号", received_at="2020-05-02T08:00"))
    post(clerk_client, form(precedence="加急", sender_doc_no="工发电〔2020〕9号", received_at="2020-05-03T08:00"))
    services.void(Telegram.objects.get(receipt_seq=3), actor=clerk, reason="重复登记")
    html = clerk_client.get(reverse("telegrams:register"), params).content.decode().split("<tbody>")[1]
    shown = {t.receipt_no for t in Telegram.objects.all() if t.receipt_no in html}
    assert shown == expected


def test_same_sender_number_twice_is_refused_as_duplicate(clerk_client):
    post(clerk_client, SEED_FORM)
    response = post(clerk_client, form(sender_doc_no="工发电［2020］7号"))
    assert response.status_code == 200
    assert "重复收文" in response.content.decode()
    assert Telegram.objects.count() == 1


def test_unknown_unit_in_the_instruction_saves_nothing(clerk_client):
    response = post(clerk_client, form(instruction="送：自治区总公会。"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "未找到单位" in html and "自治区总工会" in html  # the suggestion
    assert Telegram.objects.count() == 0


BAD_INPUT = [
    ({"received_at": "2099-01-01T08:00"}, "收报时间不能晚于当前时间"),
    ({"title": "   "}, "标题不能为空"),
    ({"classification": "密电"}, "密电等涉密电报不得在本系统登记"),
    ({"precedence": "特特急"}, "等级只能是特提、特急、加急或平急"),
    ({"received_at": "昨天"}, "收报时间格式不正确"),
    ({"sender_unit_name": ""}, "请填写来电单位"),
]


@pytest.mark.parametrize("override, message", BAD_INPUT)
def test_bad_input_gets_a_chinese_message_and_writes_nothing(clerk_client, override, message):
    from audit.models import AuditEntry

    before = AuditEntry.objects.count()
    response = post(clerk_client, form(**override))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Telegram.objects.count() == 0
    assert AuditEntry.objects.count() == before


def test_scan_judged_by_content_not_by_extension(clerk_client):
    fake = io.BytesIO(b"<html><script>alert(1)</script></html>")
    fake.name = "scan.pdf"
    response = post(clerk_client, SEED_FORM, [fake])
    assert "不是PDF、JPEG或PNG文件" in response.content.decode()
    assert Telegram.objects.count() == 0 and Scan.objects.count() == 0


def test_oversized_scan_is_refused(clerk_client, settings):
    settings.SCAN_MAX_BYTES = 1024
    big = io.BytesIO(PNG + b"\x00" * 2048)
    big.name = "big.png"
    response = post(clerk_client, SEED_FORM, [big])
    assert "超过" in response.content.decode()
    assert Telegram.objects.count() == 0


def test_clerk_corrects_a_header_field_and_the_change_is_kept(clerk_client):
    post(clerk_client, SEED_FORM)
    t = Telegram.objects.get()
    data = form(title="更正后的标题", reason="标题录入有误")
    data["addressees"] = "各省总工会"
    response = clerk_client.post(reverse("telegrams:correct", args=[t.pk]), data)
    assert response.status_code == 302
    t.refresh_from_db()
    assert t.title == "更正后的标题"
    change = t.changes.get(field="title")
    assert change.old == SEED_FORM["title"] and change.new == "更正后的标题" and change.reason == "标题录入有误"
    page = clerk_client.get(reverse("telegrams:detail", args=[t.pk])).content.decode()
    assert "标题录入有误" in page and t.receipt_no in page


def test_void_keeps_the_number_and_needs_a_reason(clerk_client):
    post(clerk_client, SEED_FORM)
    t = Telegram.objects.get()
    clerk_client.post(reverse("telegrams:void", args=[t.pk]), {"reason": ""})
    t.refresh_from_db()
    assert t.state != State.VOID
    clerk_client.post(reverse("telegrams:void", args=[t.pk]), {"reason": "误登记"})
    t.refresh_from_db()
    assert t.state == State.VOID and t.void_reason == "误登记" and t.receipt_no == "宁机明收[2020]1号"
    # The number is not reused, and the same sender number may now be registered again.
    post(clerk_client, SEED_FORM)
    assert Telegram.objects.get(state=State.INSTRUCTED).receipt_no == "宁机明收[2020]2号"


def test_the_register_stops_counting_at_the_cap_but_still_pages(clerk_client, settings):
    import telegrams.views

    for n in range(4):
        post(clerk_client, form(sender_doc_no=f"C〔2020〕{n}号"))
    settings.REGISTER_COUNT_CAP = 2
    old, telegrams.views.PAGE_SIZE = telegrams.views.PAGE_SIZE, 1
    try:
        html = clerk_client.get(reverse("telegrams:register"), {"page": 3}).content.decode()
    finally:
        telegrams.views.PAGE_SIZE = old
    assert "超过 2 件" in html and "第 3 页" in html
    assert "宁机明收[2020]2号" in html.split("<tbody>")[1]
    settings.REGISTER_COUNT_CAP = 100
    assert "共 4 件" in clerk_client.get(reverse("telegrams:register")).content.decode()


def test_the_correction_form_offers_exactly_the_correctable_header_fields_with_the_same_messages(clerk_client):
    from telegrams import services
    from telegrams.forms import CorrectionForm, HeaderForm

    assert tuple(HeaderForm.base_fields) == services.HEADER_FIELDS
    assert set(CorrectionForm.base_fields) == {*services.HEADER_FIELDS, "reason"}
    post(clerk_client, SEED_FORM)
    t = Telegram.objects.get()
    response = clerk_client.post(reverse("telegrams:correct", args=[t.pk]), form(title="", reason="测试"))
    assert "标题不能为空" in response.content.decode()
    assert 'list="unit-names"' in response.content.decode()  # unit suggestions on the correction form too
