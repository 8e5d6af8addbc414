"""Issue 12 on paper: the 退文告知单 (the 处理单's look: one A4 page, every reason of the checklist with the ticked
ones marked) and the 处理单 carrying 拟办, every 批示, the 传阅 record, 退回/转办, 答复 — and each unit's result
only for those allowed to see it (the PDF used to show one unit's result to the other units)."""
from __future__ import annotations

import io
import json
import shutil

import pytest
from django.urls import reverse

from annotations import actions as annotation_actions
from audit.models import AuditEntry
from routing import actions as routing_actions
from routing.models import Delivery
from tests import factories
from tests.conftest import ROOT, client_for

from .helpers import pdf_text, pdf_to_png, squeeze

pytestmark = pytest.mark.django_db
OUT = ROOT / "test-output" / "printing"


def test_the_return_notice_prints_the_whole_checklist_with_the_reasons_ticked(clerk, clerk_client, staff_zgh):
    from pypdf import PdfReader

    t = factories.register(clerk)
    factories.return_telegram(t, clerk, "duplicate", "other", other="已由国务院办公厅转发", note="请勿重复报送。")
    html = clerk_client.get(reverse("printing:return_notice", args=[t.pk])).content.decode()
    assert 'id="return-notice"' in html and "退文告知单" in html
    response = clerk_client.get(reverse("printing:return_notice_pdf", args=[t.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = squeeze(pdf_text(response.content))
    for expected in ("退文告知单", t.receipt_no, "中华全国总工会：", "工发电〔2020〕7号", t.title,
                     "不属于本机关职责", "重复来文", "格式或要素不全", "附件缺失", "其他：已由国务院办公厅转发",
                     "请勿重复报送。", "经办人：王机要"):
        assert squeeze(expected) in text, expected
    assert len(PdfReader(io.BytesIO(response.content)).pages) == 1
    prints = [json.loads(e.data)["format"] for e in AuditEntry.objects.filter(action="telegram.print_return_notice")]
    assert prints == ["html", "pdf"]
    if shutil.which("pdftoppm"):  # a picture to look at (docs/screenshots has the browser's)
        (OUT / "return-notice").mkdir(parents=True, exist_ok=True)
        pdf_to_png(response.content, OUT / "return-notice")
    # Only the office prints it, and only for a returned telegram.
    assert client_for(staff_zgh).get(reverse("printing:return_notice", args=[t.pk])).status_code == 403
    other = factories.another(clerk)
    assert clerk_client.get(reverse("printing:return_notice", args=[other.pk])).status_code == 404


def _the_whole_procedure(clerk, leader, leader2, staff_zgh, staff_cz):
    t = factories.register(clerk, instruction="")
    factories.review(t, clerk, "handle")
    factories.propose(t, clerk, "拟请自治区总工会牵头，财政厅、民政厅配合办理。")
    factories.circulate(t, clerk, leader, leader2)
    annotation_actions.pass_on(t, actor=leader)
    factories.approve(t, leader2)
    annotation_actions.pass_on(t, actor=leader2)
    factories.route_pending(t)
    factories.hand_back(t, staff_cz, "经费已由中央直接下达，非本单位职责。")
    mz = Delivery.objects.get(telegram=t, unit__name="自治区民政厅")
    routing_actions.sign(mz, actor=clerk, proxy=True)
    routing_actions.complete(mz, actor=clerk, result="民政厅已知悉。", proxy=True)
    zgh = factories.delivery_of(t, staff_zgh)
    routing_actions.sign(zgh, actor=staff_zgh)
    routing_actions.complete(zgh, actor=staff_zgh, result="总工会已部署全区工会学习。", close=True)
    factories.reply(t, clerk, method="document", doc_no="宁工发〔2020〕3号", text="学习贯彻情况已函复全总。")
    return t


def test_the_slip_shows_every_step_and_hides_a_units_result_from_the_other_units(
        clerk, leader, leader2, staff_zgh, staff_cz):
    t = _the_whole_procedure(clerk, leader, leader2, staff_zgh, staff_cz)
    content = client_for(clerk).get(reverse("printing:slip_pdf", args=[t.pk])).content
    if shutil.which("pdftoppm"):
        (OUT / "slip-procedure").mkdir(parents=True, exist_ok=True)
        pdf_to_png(content, OUT / "slip-procedure")
    clerk_pdf = squeeze(pdf_text(content))
    for expected in ("拟办拟请自治区总工会牵头，财政厅、民政厅配合办理。", "初审：办件", "同意拟办。", "陈领导",
                     "领导传阅", "1李领导", "2陈领导", "总工会已部署全区工会学习。", "民政厅已知悉。", "（代签）",
                     "退回：经费已由中央直接下达，非本单位职责。", "答复", "公文答复宁工发〔2020〕3号", "学习贯彻情况已函复全总。"):
        assert squeeze(expected) in clerk_pdf, expected
    # 民政厅 has no account; 财政厅 sees the telegram (it had it) but not what 总工会 or 民政厅 wrote.
    cz_pdf = squeeze(pdf_text(client_for(staff_cz).get(reverse("printing:slip_pdf", args=[t.pk])).content))
    assert "总工会已部署全区工会学习。" not in cz_pdf and "民政厅已知悉。" not in cz_pdf
    assert "（办理结果不向其他单位显示）" in cz_pdf and "学习贯彻情况已函复全总。" not in cz_pdf
    assert "领导传阅" not in cz_pdf  # the leaders' reading record is the office's and the leaders' business
    page = client_for(staff_cz).get(reverse("telegrams:detail", args=[t.pk])).content.decode()
    assert 'id="circulation"' not in page and "总工会已部署全区工会学习。" not in page
    zgh_pdf = squeeze(pdf_text(client_for(staff_zgh).get(reverse("printing:slip_pdf", args=[t.pk])).content))
    assert "总工会已部署全区工会学习。" in zgh_pdf and "民政厅已知悉。" not in zgh_pdf
    # The HTML print view follows the same rule.
    html = client_for(staff_cz).get(reverse("printing:slip", args=[t.pk])).content.decode()
    assert "总工会已部署全区工会学习。" not in html
