"""Journeys of the clerk pasting or uploading a received telegram's text: 识别并填表 fills the registration form,
marks what it found, saves nothing; 保存并编号 then registers what the clerk checked."""
from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from django.urls import reverse

from audit.models import AuditEntry
from routing.models import RoutingOrder
from telegrams.models import ReceiptCounter, Telegram

from .helpers import form

pytestmark = pytest.mark.django_db

SAMPLES = Path(__file__).parent / "samples"
SEED_TEXT = (SAMPLES / "seed_744.txt").read_text(encoding="utf-8")
CREATE = "telegrams:create"


def paste(client, text: str = "", upload=None):
    payload: dict = {"text": text, "parse": "1"}
    if upload is not None:
        payload["file"] = upload
    return client.post(reverse(CREATE), payload)


def upload(content: bytes, name: str = "telegram.txt") -> io.BytesIO:
    f = io.BytesIO(content)
    f.name = name
    return f


def filled_values(response) -> dict[str, object]:
    """What the re-rendered registration form holds, field by field (what the browser would post back)."""
    form = response.context["form"]
    assert not form.is_bound, "the parse step must not validate (or save) the registration form"
    return {name: form[name].value() for name in form.fields if name != "scans"}


def hint_of(html: str, label: str) -> str | None:
    """The parse-hint state printed under the field labelled `label` ("found"/"missing"), or None."""
    m = re.search(rf'<label for="[^"]+">{label}(?: <span[^>]*>\*</span>)?</label>(.*?)</div>\s*(?:<div class="field|</div>)',
                  html, re.S)
    assert m, f"no field labelled {label}"
    hint = re.search(r'data-parse="(found|missing)"', m.group(1))
    return hint.group(1) if hint else None


def nothing_saved(audit_before: int) -> None:
    assert not Telegram.objects.exists()
    assert not ReceiptCounter.objects.exists()
    assert not RoutingOrder.objects.exists()
    assert AuditEntry.objects.count() == audit_before


def test_pasting_the_seed_fills_every_field_marks_them_and_saves_nothing(clerk_client):
    audit_before = AuditEntry.objects.count()
    response = paste(clerk_client, SEED_TEXT)
    assert response.status_code == 200
    values = filled_values(response)
    assert values["title"] == "中华全国总工会关于学习宣传贯彻习近平总书记给郑州圆方集团职工回信精神的通知"
    assert values["sender_unit_name"] == "中华全国总工会办公厅"
    assert values["precedence"] == "特提"
    assert values["classification"] == "明电"
    assert values["received_at"] == "2020-05-01T21:36"
    assert values["sender_doc_no"] == "工发电〔2020〕7号"
    assert values["instruction"] == "送：自治区总工会。"
    assert values["receipt_no"] == "宁机明收[2020]744号"
    assert values["sending_unit"] == "中华全国总工会"
    assert values["signatory"] == "中华全国总工会办公厅"
    assert values["signed_on"] == "2020-05-01"
    assert values["addressees"] == "各省、自治区、直辖市总工会，各全国产业工会，中央和国家机关工会联合会，全总各部门、各直属单位"
    assert values["cc"] == "新疆生产建设兵团总工会"
    assert values["body"].startswith("4月30日，在“五一”国际劳动节来临之际")

    html = response.content.decode()
    # The page shows the values in the real inputs…
    assert 'value="宁机明收[2020]744号"' in html and 'value="2020-05-01T21:36"' in html
    assert '<option value="特提" selected>' in html
    # …and marks each field the parser read; fields it does not read (签发人, 页数) carry no mark.
    for label in ("来电单位", "收报时间", "等级", "标题", "批办", "收文号", "发电字号", "主送", "正文", "抄送"):
        assert hint_of(html, label) == "found", label
    assert hint_of(html, "签发人") is None and hint_of(html, "页数") is None
    summary = html.split('id="parse-summary"')[1].split("</div>")[0]
    assert "已识别 14 项" in summary and "未识别" not in summary and "尚未保存" in summary
    # The pasted text stays in its box, so the clerk can correct it and parse again.
    assert "中华全国总工会 关于学习宣传贯彻" in html.split('id="paste-form"')[1].split("</form>")[0]
    nothing_saved(audit_before)


def test_saving_the_filled_form_keeps_the_paper_number_and_the_year_counts_on_from_it(clerk_client):
    values = filled_values(paste(clerk_client, SEED_TEXT))
    assert not Telegram.objects.exists()

    # The clerk checks the form and presses 保存并编号: the browser posts back what the form holds.
    response = clerk_client.post(reverse(CREATE), {k: v for k, v in values.items() if v is not None})
    assert response.status_code == 302, response.content.decode()[:3000]
    t = Telegram.objects.get()
    assert t.receipt_no == "宁机明收[2020]744号" and (t.receipt_year, t.receipt_seq) == (2020, 744)
    assert t.addressees == ["各省、自治区、直辖市总工会", "各全国产业工会", "中央和国家机关工会联合会", "全总各部门、各直属单位"]
    assert t.body.startswith("4月30日") and t.body.rstrip().endswith("请及时报告全国总工会。")
    assert RoutingOrder.objects.filter(telegram=t).exists()  # the 批办 routed, as for a typed form

    # The next telegram of 2020, typed without a number, gets 745.
    response = clerk_client.post(reverse(CREATE), form(sender_doc_no="工发电〔2020〕8号", received_at="2020-05-02T09:00"))
    assert response.status_code == 302
    assert Telegram.objects.get(sender_doc_no="工发电〔2020〕8号").receipt_no == "宁机明收[2020]745号"

    # Pasting the same text again warns before saving, and saving is refused: the number is taken.
    again = paste(clerk_client, SEED_TEXT)
    html = again.content.decode()
    assert "收文号 宁机明收[2020]744号 已被占用" in html
    assert "重复收文：中华全国总工会办公厅 的 工发电〔2020〕7号 已经登记过" in html
    values = filled_values(again)
    refused = clerk_client.post(reverse(CREATE), {**{k: v for k, v in values.items() if v is not None},
                                                  "sender_doc_no": "工发电〔2020〕99号"})
    assert refused.status_code == 200
    assert "收文号 宁机明收[2020]744号 已被占用。" in refused.content.decode()
    assert Telegram.objects.count() == 2


@pytest.mark.parametrize("text", ["hello world 12345", "！！！\n？？？", "   \n\t  "])
def test_text_it_cannot_read_gets_the_parsers_message_and_nothing_is_saved(clerk_client, text):
    audit_before = AuditEntry.objects.count()
    response = paste(clerk_client, text)
    assert response.status_code == 200
    errors = response.content.decode().split('id="paste-errors"')[1].split("</ul>")[0]
    assert "无法识别电报文本" in errors or "请粘贴电报文本或选择一个 .txt 文件" in errors
    assert 'id="parse-summary" role="status" hidden>' in response.content.decode()  # only there for the script
    assert response.context["filled"] is None
    nothing_saved(audit_before)


def test_a_gb18030_txt_upload_fills_the_form(clerk_client):
    response = paste(clerk_client, upload=upload(SEED_TEXT.encode("gb18030"), "744.txt"))
    assert response.status_code == 200
    values = filled_values(response)
    assert values["receipt_no"] == "宁机明收[2020]744号"
    assert values["title"].startswith("中华全国总工会关于学习宣传贯彻")
    # What was read from the file is shown in the text box, decoded.
    assert response.context["paste"]["text"].value().startswith("\n\n内部明电")
    assert not Telegram.objects.exists()


def test_a_utf8_bom_upload_wins_over_the_text_box(clerk_client):
    response = paste(clerk_client, "hello", upload(b"\xef\xbb\xbf" + SEED_TEXT.encode("utf-8")))
    assert filled_values(response)["sender_doc_no"] == "工发电〔2020〕7号"


@pytest.mark.parametrize("content, message", [
    (b"%PDF-1.4\n" + b"\x00" * 200, "文件是PDF，不是文本文件"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "文件是PNG 图片，不是文本文件"),
    (bytes(range(256)) * 4, "无法识别文件编码：应为 UTF-8 或 GB18030 文本"),
    ("标题：通知\x01\x02\x03".encode("gb18030"), "文件内容不是纯文本"),
    (b"", "请粘贴电报文本或选择一个 .txt 文件"),  # an empty file is no file at all to the browser
    (b"\n \n", "文件为空"),
    (b"x" * (2 * 1024 * 1024 + 1), "文件超过2MB"),
])
def test_an_upload_that_is_not_a_telegram_text_gets_a_clear_message(clerk_client, content, message):
    audit_before = AuditEntry.objects.count()
    response = paste(clerk_client, "", upload(content))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert response.context["filled"] is None
    nothing_saved(audit_before)


def test_a_bare_telegram_marks_the_receipt_fields_it_could_not_find(clerk_client):
    response = paste(clerk_client, (SAMPLES / "s03_bare_pingji.txt").read_text(encoding="utf-8"))
    html = response.content.decode()
    for label in ("来电单位", "收报时间", "批办", "收文号"):
        assert hint_of(html, label) == "missing", label
    for label in ("标题", "等级", "发电字号", "主送", "正文"):
        assert hint_of(html, label) == "found", label
    summary = html.split('id="parse-summary"')[1].split("</div>")[0]
    assert "未识别" in summary and "来电单位" in summary and "收报时间" in summary
    values = filled_values(response)
    assert values["sender_unit_name"] is None and values["receipt_no"] is None
    assert values["title"] == "自治区党委办公厅关于做好2024年春节期间有关工作的通知"


def test_warnings_before_saving_a_classified_telegram_or_unknown_units(clerk_client):
    mideng = paste(clerk_client, (SAMPLES / "s10_yearless_mideng.txt").read_text(encoding="utf-8")).content.decode()
    assert "密电等涉密电报不得在本系统登记" in mideng

    response = paste(clerk_client, (SAMPLES / "s01_guoban_teji.txt").read_text(encoding="utf-8"))
    html = response.content.decode()
    assert "未找到单位：自治区水利厅" in html and "列入“待处理单位”" in html
    # Saving it as it stands registers it (a received telegram is always registered); the name waits for the clerk.
    values = filled_values(response)
    saved = clerk_client.post(reverse(CREATE), {k: v for k, v in values.items() if v is not None})
    assert saved.status_code == 302
    assert Telegram.objects.get().unknown_units.get().name == "自治区水利厅"


def test_a_leaders_instruction_in_the_text_is_shown_not_dropped_silently(clerk_client):
    html = paste(clerk_client, (SAMPLES / "s02_nxgov_jiaji.txt").read_text(encoding="utf-8")).content.decode()
    summary = html.split('id="parse-summary"')[1].split("</div>")[0]
    assert "原文有领导批示" in summary and "请组织部、宣传部阅研。" in summary


def test_only_clerks_may_use_the_paste_step(client_for_leader):
    response = paste(client_for_leader, SEED_TEXT)
    assert response.status_code in (403, 404)
    assert not Telegram.objects.exists()


@pytest.fixture
def client_for_leader(leader):
    from tests.conftest import client_for

    return client_for(leader)


def test_pasted_terminal_output_with_page_breaks_still_fills_the_form(clerk_client):
    from django.urls import reverse

    from telegrams.models import Telegram

    text = (SAMPLES / "seed_744.txt").read_text(encoding="utf-8").replace("\n\n", "\n\x0c\n", 3)
    response = clerk_client.post(reverse("telegrams:create"), {"parse": "1", "text": text})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'value="宁机明收[2020]744号"' in html  # the form is filled; only the echoed paste keeps its page breaks
    assert Telegram.objects.count() == 0
