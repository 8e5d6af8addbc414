"""Journeys around exporting the 收文登记簿: a clerk picks a date range (and the register's own filters) and takes
it away as Excel, CSV or an A4 landscape PDF; too large a range for a file gets a clear message instead."""
from __future__ import annotations

import csv
import io
import json

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from audit.models import AuditEntry
from printing import exports
from tests.conftest import client_for
from tests.telegrams.helpers import form

from .helpers import SEED_RECEIPT_NO, pdf_text, register_seed, squeeze

pytestmark = pytest.mark.django_db

MAY = {"date_from": "2020-05-01", "date_to": "2020-05-31"}


def _post(client, **overrides):
    response = client.post(reverse("telegrams:create"), form(**overrides))
    assert response.status_code == 302, response.content.decode()[:2000]


@pytest.fixture
def book(clerk_client):
    """Three telegrams in May 2020 (one a 平急 whose title starts like a spreadsheet formula) and one in June."""
    register_seed(clerk_client)  # 宁机明收[2020]744号, 特提, 2020-05-01 21:36
    _post(clerk_client, precedence="平急", received_at="2020-05-03T09:05", sender_doc_no="宁政电〔2020〕11号",
          sender_unit_name="自治区人民政府办公厅", title="=HYPERLINK(\"http://x\")关于做好节日值班的通知", instruction="")
    _post(clerk_client, precedence="特急", received_at="2020-05-20T16:40", sender_doc_no="国办电〔2020〕20号",
          sender_unit_name="国务院办公厅", title="关于做好汛期安全工作的通知", instruction="送：自治区应急管理厅。")
    _post(clerk_client, precedence="加急", received_at="2020-06-02T10:00", sender_doc_no="国办电〔2020〕30号",
          sender_unit_name="国务院办公厅", title="六月份的来电", instruction="")


def _last_message(response) -> str:
    # Earlier messages (the "已登记" of each registration) are still queued; ours is the last one.
    return [str(m) for m in get_messages(response.wsgi_request)][-1]


def _export(client, fmt, **params):
    return client.get(reverse("printing:register_export", args=[fmt]), params)


def test_excel_export_of_may_opens_with_openpyxl_and_lists_the_rows_in_book_order(clerk_client, book):
    from openpyxl import load_workbook

    response = _export(clerk_client, "xlsx", **MAY)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    assert "filename*=UTF-8''" in response["Content-Disposition"]

    ws = load_workbook(io.BytesIO(response.content)).active
    values = [list(r) for r in ws.iter_rows(values_only=True)]
    assert values[0][0] == "收文登记簿" and "2020年5月1日至2020年5月31日" in values[1][0]
    assert tuple(values[2]) == exports.COLUMNS
    body = values[3:]
    assert [r[1] for r in body] == [SEED_RECEIPT_NO, "宁机明收[2020]745号", "宁机明收[2020]746号"]  # June left out
    seed = dict(zip(exports.COLUMNS, body[0], strict=True))
    assert seed["等级"] == "特提" and seed["来电单位"] == "中华全国总工会办公厅"
    assert seed["发电字号"] == "工发电〔2020〕7号" and seed["收报时间"] == "2020-05-01 21:36"
    assert seed["批办"] == "送：自治区总工会。"
    # A title that looks like a formula stays text in the cell.
    cell = ws.cell(row=5, column=exports.COLUMNS.index("标题") + 1)
    assert cell.data_type == "s" and cell.value.startswith("=HYPERLINK")


def test_csv_export_has_a_bom_the_header_and_the_filtered_rows(clerk_client, book):
    response = _export(clerk_client, "csv", precedence="特急", **MAY)
    assert response.status_code == 200 and response.streaming  # streamed, not built in memory
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    raw = b"".join(response.streaming_content)
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: Excel opens the Chinese correctly
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert tuple(rows[0]) == exports.COLUMNS
    assert [r[1] for r in rows[1:]] == ["宁机明收[2020]746号"]  # the register's own filter: 特急 only
    assert rows[1][exports.COLUMNS.index("标题")] == "关于做好汛期安全工作的通知"


def test_csv_cells_that_would_run_as_formulas_are_defused(clerk_client, book):
    raw = b"".join(_export(clerk_client, "csv", q="HYPERLINK").streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(raw)))
    assert len(rows) == 2
    assert rows[1][exports.COLUMNS.index("标题")].startswith("'=HYPERLINK")


def test_pdf_export_is_an_a4_landscape_table_of_the_range(clerk_client, book):
    from pypdf import PdfReader

    response = _export(clerk_client, "pdf", **MAY)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    for page in reader.pages:
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        assert abs(width - 841.89) < 1 and abs(height - 595.28) < 1, (width, height)  # A4 landscape
    text = squeeze(pdf_text(response.content))
    assert "收文登记簿" in text and "2020年5月1日至2020年5月31日" in text and "共3件" in text
    for expected in (SEED_RECEIPT_NO, "中华全国总工会办公厅", "工发电〔2020〕7号", "2020-05-0121:36",
                     "宁机明收[2020]746号", "国办电〔2020〕20号"):
        assert expected in text, expected
    assert "六月份的来电" not in text
    assert "第1页共1页" in text


def test_every_export_is_on_the_audit_chain(clerk_client, book):
    _export(clerk_client, "xlsx", **MAY)
    b"".join(_export(clerk_client, "csv", **MAY).streaming_content)
    entries = [json.loads(e.data) for e in AuditEntry.objects.filter(action="register.export").order_by("seq")]
    assert [(e["format"], e["rows"]) for e in entries] == [("xlsx", 3), ("csv", 3)]
    assert entries[0]["filters"] == MAY and entries[0]["range"] == "2020年5月1日至2020年5月31日"


def test_a_range_too_large_for_a_file_returns_to_the_register_with_a_chinese_message(clerk_client, book, monkeypatch):
    monkeypatch.setattr(exports, "MAX_ROWS", {"xlsx": 2, "pdf": 2})
    response = _export(clerk_client, "pdf", **MAY)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("telegrams:register") + "?")
    assert "date_from=2020-05-01" in response["Location"]  # the clerk keeps the filters
    message = _last_message(response)
    assert "共 3 件" in message and "超过 PDF 导出上限 2 件" in message and "CSV" in message
    assert not AuditEntry.objects.filter(action="register.export").exists()
    # CSV streams and has no cap.
    assert _export(clerk_client, "csv", **MAY).status_code == 200


def test_bad_filter_input_gets_a_message_not_an_error(clerk_client, book):
    response = _export(clerk_client, "xlsx", date_from="2020-13-45")
    assert response.status_code == 302
    message = _last_message(response)
    assert message.startswith("筛选条件有误")

    response = _export(clerk_client, "xlsx", date_from="2020-06-01", date_to="2020-05-01")
    message = _last_message(response)
    assert message == "起始日期不能晚于截止日期。"

    assert _export(clerk_client, "docx").status_code == 404


def test_the_register_offers_the_exports_with_its_current_filters(clerk_client, book):
    page = clerk_client.get(reverse("telegrams:register"), {"precedence": "特提"}).content.decode()
    for fmt, label in (("pdf", "导出PDF"), ("xlsx", "导出Excel"), ("csv", "导出CSV")):
        assert label in page
        assert f'{reverse("printing:register_export", args=[fmt])}?precedence=' in page


def test_only_clerks_leaders_and_admins_export(book, leader, admin_user, staff_zgh, client):
    for user in (leader, admin_user):
        assert _export(client_for(user), "csv", **MAY).status_code == 200
    assert _export(client_for(staff_zgh), "csv", **MAY).status_code == 403
    response = _export(client, "csv", **MAY)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
