"""Journeys of the clerk registering telegrams through the form (Django test client)."""
from __future__ import annotations

import io
from datetime import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEntry
from routing.models import RoutingOrder, UnknownUnit
from telegrams import actions
from telegrams.inputs import HEADER_FIELDS
from telegrams.models import Scan, Telegram, TelegramState
from tests import factories

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
    assert t.state == TelegramState.INSTRUCTED  # the 批办 named a unit: an order went out
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
    def at(day: int):
        return timezone.make_aware(datetime(2020, 5, day, 8, 0))

    factories.register(clerk, precedence="平急", received_at=at(1))
    factories.register(clerk, precedence="特提", sender_unit_name="国务院办公厅", title="关于做好防汛工作的紧急通知",
                       sender_doc_no="国办发电〔2020〕3号", received_at=at(2))
    factories.register(clerk, precedence="加急", sender_doc_no="工发电〔2020〕9号", received_at=at(3))
    actions.void(Telegram.objects.get(receipt_seq=3), actor=clerk, reason="重复登记")
    html = clerk_client.get(reverse("telegrams:register"), params).content.decode().split("<tbody>")[1]
    shown = {t.receipt_no for t in Telegram.objects.all() if t.receipt_no in html}
    assert shown == expected


def test_same_sender_number_twice_is_refused_as_duplicate(clerk_client):
    post(clerk_client, SEED_FORM)
    response = post(clerk_client, form(sender_doc_no="工发电［2020］7号"))
    assert response.status_code == 200
    assert "重复收文" in response.content.decode()
    assert Telegram.objects.count() == 1


def test_a_batban_naming_an_unknown_unit_is_registered_and_the_name_waits_for_the_clerk(clerk_client):
    """A received telegram is always registered: the known unit is routed, the unknown name waits on 待处理."""
    response = post(clerk_client, form(instruction="请财政厅、自治区水利厅办理。"))
    assert response.status_code == 302, response.content.decode()[:2000]
    t = Telegram.objects.get()
    assert t.state == TelegramState.INSTRUCTED
    assert [r["unit"] for r in RoutingOrder.objects.get().routes] == ["自治区财政厅"]
    waiting = UnknownUnit.objects.get()
    assert waiting.name == "自治区水利厅" and waiting.resolved_at is None
    assert AuditEntry.objects.filter(action="routing.unknown_units").exists()
    page = clerk_client.get(response["Location"]).content.decode()
    assert "批办中有1个单位在机构目录中未找到" in page  # the flash message counts what the plan left unknown
    assert "自治区水利厅" in clerk_client.get(reverse("routing:unknown_units")).content.decode()
    assert "有1个批办单位在机构目录中未找到" in clerk_client.get(reverse("telegrams:register")).content.decode()


def test_the_same_submission_sent_twice_registers_once_and_shows_the_first(clerk_client):
    """A double click, or 保存 pressed again after a lost reply: the form's one-time token lands on the record."""
    data = form(sender_doc_no="", submission="0123456789abcdef0123456789abcdef")
    first = post(clerk_client, data)
    again = post(clerk_client, data)
    t = Telegram.objects.get()
    assert first["Location"] == again["Location"] == reverse("telegrams:detail", args=[t.pk])
    assert "未重复登记" in clerk_client.get(again["Location"]).content.decode()


@pytest.mark.parametrize("paper", [{"receipt_no": "宁机明收[2020]744号"}, {"sender_doc_no": "工发电〔2020〕7号"}])
def test_the_same_submission_of_a_numbered_or_known_telegram_is_no_duplicate(clerk_client, paper):
    """The second send of a record with its paper number (or its sender's number) finds it taken: by the same
    submission, so it lands on the record instead of being refused as a duplicate."""
    data = form(**paper, submission="fedcba9876543210fedcba9876543210")
    first, again = post(clerk_client, data), post(clerk_client, data)
    assert first.status_code == again.status_code == 302 and first["Location"] == again["Location"]
    assert Telegram.objects.count() == 1


def test_a_duplicate_links_the_record_that_exists(clerk_client):
    post(clerk_client, SEED_FORM)
    t = Telegram.objects.get()
    html = post(clerk_client, form(sender_doc_no="工发电［2020］7号")).content.decode()
    assert "重复收文" in html and reverse("telegrams:detail", args=[t.pk]) in html and t.receipt_no in html


@pytest.mark.parametrize("receipt_no, message", [
    ("宁机明收[2019]5号", "与收报时间的年度 2020 不一致"),
    ("宁机明收[2020]9999999号", "超出范围"),
])
def test_a_typed_receipt_number_must_fit_the_received_year(clerk_client, receipt_no, message):
    html = post(clerk_client, form(receipt_no=receipt_no)).content.decode()
    assert message in html and not Telegram.objects.exists()


def test_a_typed_number_of_this_year_may_not_run_ahead_of_the_counter(clerk, clerk_client):
    now = timezone.localtime().replace(second=0, microsecond=0) - timezone.timedelta(minutes=5)
    factories.register(clerk, received_at=now, sender_doc_no="")  # this year's number 1
    html = post(clerk_client, form(receipt_no=f"宁机明收[{now.year}]9999号", received_at=now.strftime("%Y-%m-%dT%H:%M"),
                                   sender_doc_no="")).content.decode()
    assert "本年度收文号已编至第1号" in html and Telegram.objects.count() == 1


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


def test_clerk_corrects_a_header_field_and_the_change_is_kept(clerk, clerk_client):
    t = factories.register(clerk)
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


def test_void_keeps_the_number_and_needs_a_reason(clerk, clerk_client):
    t = factories.register(clerk)
    clerk_client.post(reverse("telegrams:void", args=[t.pk]), {"reason": ""})
    t.refresh_from_db()
    assert t.state != TelegramState.VOID
    clerk_client.post(reverse("telegrams:void", args=[t.pk]), {"reason": "误登记"})
    t.refresh_from_db()
    assert t.state == TelegramState.VOID and t.void_reason == "误登记" and t.receipt_no == "宁机明收[2020]1号"
    # The number is not reused, and the same sender number may now be registered again.
    post(clerk_client, SEED_FORM)
    assert Telegram.objects.get(state=TelegramState.INSTRUCTED).receipt_no == "宁机明收[2020]2号"


def test_the_register_stops_counting_at_the_cap_but_still_pages(clerk, clerk_client, settings, monkeypatch):
    import desk.views

    for n in range(4):
        factories.register(clerk, sender_doc_no=f"C〔2020〕{n}号")
    settings.REGISTER_COUNT_CAP = 2
    monkeypatch.setattr(desk.views, "PAGE_SIZE", 1)
    html = clerk_client.get(reverse("telegrams:register"), {"page": 3}).content.decode()
    assert "超过 2 件" in html and "第 3 页" in html
    assert "宁机明收[2020]2号" in html.split("<tbody>")[1]
    settings.REGISTER_COUNT_CAP = 100
    assert "共 4 件" in clerk_client.get(reverse("telegrams:register")).content.decode()


def test_the_correction_form_offers_exactly_the_correctable_header_fields_with_the_same_messages(clerk, clerk_client):
    from telegrams.forms import CorrectionForm, HeaderForm

    assert tuple(HeaderForm.base_fields) == HEADER_FIELDS
    assert set(CorrectionForm.base_fields) == {*HEADER_FIELDS, "reason"}
    t = factories.register(clerk)
    response = clerk_client.post(reverse("telegrams:correct", args=[t.pk]), form(title="", reason="测试"))
    assert "标题不能为空" in response.content.decode()
    assert 'list="unit-names"' in response.content.decode()  # unit suggestions on the correction form too
