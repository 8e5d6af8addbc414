"""Journeys around the printed 处理单: the clerk prints the seed telegram's slip, the PDF carries the receipt
header as text on A4 pages with page numbers, and only those who may see the telegram can print it."""
from __future__ import annotations

import io
import json

import pytest
from django.urls import reverse

from audit.models import AuditEntry
from tests.conftest import client_for

from .helpers import SEED_RECEIPT_NO, pdf_text, pdf_to_png, register_seed, route_now, squeeze

pytestmark = pytest.mark.django_db

A4_PT = (595.28, 841.89)
SEED_TITLE = "中华全国总工会关于学习宣传贯彻习近平总书记给郑州圆方集团职工回信精神的通知"
RESULT = "已传达至各级工会，5月6日组织专题学习，月底前报送落实情况。"


def _handled_seed(clerk_client, staff_zgh):
    """The seed registered, routed to 自治区总工会 by its 批办, signed and reported done by the unit."""
    from routing.actions import complete, sign

    telegram = register_seed(clerk_client)
    route_now(telegram)
    delivery = telegram.deliveries.get(unit__name="自治区总工会")
    sign(delivery, actor=staff_zgh)
    complete(delivery, actor=staff_zgh, result=RESULT)
    return telegram


def _prints(telegram, fmt: str):
    return [json.loads(e.data) for e in AuditEntry.objects.filter(
        action="telegram.print", object_type="telegrams.telegram", object_id=str(telegram.pk)
    ).order_by("seq") if json.loads(e.data)["format"] == fmt]


def test_clerk_downloads_the_seed_slip_as_an_a4_pdf_with_the_receipt_header(clerk_client, staff_zgh, tmp_path):
    from pypdf import PdfReader

    telegram = _handled_seed(clerk_client, staff_zgh)
    response = clerk_client.get(reverse("printing:slip_pdf", args=[telegram.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "no-store" in response["Cache-Control"]
    content = response.content
    assert content.startswith(b"%PDF-")

    # The header fields are real text (searchable, copyable), not pictures of text.
    text = squeeze(pdf_text(content))
    for expected in ("内部明电", SEED_RECEIPT_NO, "来电单位", "中华全国总工会办公厅", "等级", "特提", "明电",
                     "收报时间", "2020年5月1日21时36分", "标题", SEED_TITLE, "领导批示", "批办",
                     "送：自治区总工会。", "工发电〔2020〕7号"):
        assert squeeze(expected) in text, expected
    # …laid out like the paper form: one header row, then 标题, 领导批示, 批办 in that order.
    assert squeeze(f"{SEED_RECEIPT_NO}来电单位中华全国总工会办公厅等级特提明电收报时间2020年5月1日21时36分"
                   f"标题{SEED_TITLE}领导批示") in text
    assert text.index("领导批示") < text.index("批办送：自治区总工会。") < text.index("分送与办理情况")
    # The deliveries table: unit, role, signed by whom, the decrypted result.
    for expected in ("自治区总工会", "办理", "张承办", RESULT):
        assert squeeze(expected) in text, expected
    # The telegram itself follows: 主送, body, signature, date, 抄送.
    for expected in ("发电单位", "中华全国总工会", "特提·明电", "中央和国家机关工会联合会", "4月30日，在“五一”国际劳动节来临之际",
                     "请及时报告全国总工会。", "2020年5月1日", "抄送：新疆生产建设兵团总工会。"):
        assert squeeze(expected) in text, expected

    reader = PdfReader(io.BytesIO(content))
    pages = len(reader.pages)
    assert pages >= 2  # the slip, then the telegram on the following pages
    for page in reader.pages:
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        assert abs(width - A4_PT[0]) < 1 and abs(height - A4_PT[1]) < 1, (width, height)
    assert f"第1页共{pages}页" in text and f"第{pages}页共{pages}页" in text
    # The slip's first page carries the header; the telegram starts on a page of its own.
    first, second = (squeeze(reader.pages[i].extract_text()) for i in (0, 1))
    assert "领导批示" in first and "4月30日" not in first
    assert "发电单位" in second

    # Chinese is drawn with an embedded CJK font, so it never prints as boxes.
    fonts = {str(f["/BaseFont"]) for page in reader.pages
             for f in (page["/Resources"].get_object().get("/Font") or {}).values()
             for f in [f.get_object()]}
    assert any("CJK" in name or "WenQuanYi" in name for name in fonts), fonts

    # Printing discloses the body: it is on the audit chain, with the digest of exactly what was handed out.
    import hashlib

    [entry] = _prints(telegram, "pdf")
    assert entry["receipt_no"] == SEED_RECEIPT_NO and entry["pages"] == pages
    assert entry["sha256"] == hashlib.sha256(content).hexdigest()

    # A picture of the first page, kept with the test run (not in the repo), as a person would look at it.
    pngs = pdf_to_png(content, tmp_path)
    assert len(pngs) == pages and pngs[0].stat().st_size > 10_000


def test_the_print_view_shows_the_slip_and_the_telegram_for_the_browser(clerk_client, staff_zgh):
    telegram = _handled_seed(clerk_client, staff_zgh)
    response = clerk_client.get(reverse("printing:slip", args=[telegram.pk]))

    assert response.status_code == 200
    page = response.content.decode()
    for expected in ("内部明电", SEED_RECEIPT_NO, "中华全国总工会办公厅", "2020年5月1日21时36分", SEED_TITLE,
                     "送：自治区总工会。", "工发电〔2020〕7号", RESULT, "张承办", "抄送：新疆生产建设兵团总工会。"):
        assert expected in page, expected
    assert reverse("printing:slip_pdf", args=[telegram.pk]) in page
    assert "printing/print.css" in page and "printing/print.js" in page
    # CSP-friendly: no inline script or style.
    assert "<script>" not in page and "style=" not in page and "<style" not in page
    assert "no-store" in response["Cache-Control"]
    assert len(_prints(telegram, "html")) == 1


def test_the_telegram_page_offers_the_print_buttons(clerk_client):
    telegram = register_seed(clerk_client)
    page = clerk_client.get(reverse("telegrams:detail", args=[telegram.pk])).content.decode()
    assert "打印处理单" in page and reverse("printing:slip", args=[telegram.pk]) in page
    assert "下载PDF" in page and reverse("printing:slip_pdf", args=[telegram.pk]) in page


def test_leaders_instructions_are_printed_with_name_and_time(clerk_client, leader):
    from annotations.actions import annotate

    telegram = register_seed(clerk_client)
    annotation = annotate(telegram, "请认真组织学习，抓好贯彻落实。", leader)

    page = clerk_client.get(reverse("printing:slip", args=[telegram.pk])).content.decode()
    box = page[page.index('id="slip-annotations"'):page.index('id="slip-instruction"')]
    assert "请认真组织学习，抓好贯彻落实。" in box
    assert annotation.author_name in box and "李领导" in box
    from django.utils import timezone

    assert timezone.localtime(annotation.created_at).strftime("%Y年%-m月%-d日 %H:%M") in box


def test_a_void_telegram_prints_with_the_void_notice(clerk_client, clerk):
    from telegrams.actions import void

    telegram = register_seed(clerk_client)
    void(telegram, actor=clerk, reason="重复登记")
    page = clerk_client.get(reverse("printing:slip", args=[telegram.pk])).content.decode()
    assert "本件已作废：重复登记" in page


def test_unit_staff_print_only_what_was_delivered_to_their_unit(clerk_client, staff_zgh, staff_cz):
    telegram = register_seed(clerk_client)
    route_now(telegram)  # delivered to 自治区总工会 only
    before = AuditEntry.objects.filter(action="telegram.print").count()

    other = client_for(staff_cz)
    assert other.get(reverse("printing:slip", args=[telegram.pk])).status_code == 404
    assert other.get(reverse("printing:slip_pdf", args=[telegram.pk])).status_code == 404
    assert AuditEntry.objects.filter(action="telegram.print").count() == before  # nothing disclosed

    own = client_for(staff_zgh)
    response = own.get(reverse("printing:slip", args=[telegram.pk]))
    assert response.status_code == 200 and SEED_RECEIPT_NO in response.content.decode()


def test_a_slip_that_does_not_exist_is_404(clerk_client):
    assert clerk_client.get(reverse("printing:slip", args=[999999])).status_code == 404
    assert clerk_client.get(reverse("printing:slip_pdf", args=[999999])).status_code == 404


def test_anonymous_visitors_are_sent_to_login(clerk_client, client):
    telegram = register_seed(clerk_client)
    for name in ("printing:slip", "printing:slip_pdf"):
        response = client.get(reverse(name, args=[telegram.pk]))
        assert response.status_code == 302 and response["Location"].startswith(reverse("login")), name
