"""The real engine on small images (a header strip of the seed's receipt form): what the clerk's scan gives
the parser. Skipped without the OCR extra; the whole file stays well under 30 s (one engine per process)."""
from __future__ import annotations

import io

import pytest
from PIL import Image

from bench import ocr_forms as forms
from ocr import engine
from telegrams.textparse import parse

from .conftest import needs_ocr

pytestmark = needs_ocr


@pytest.fixture(scope="module")
def header_strip():
    if forms.font_path() is None:
        pytest.skip("no CJK font to render the form with")
    page, printed = forms.render_form(forms.SEED, dpi=150, header_only=True)
    return page, printed


def test_a_clean_header_strip_is_read_into_the_receipt_fields(header_strip):
    page, _ = header_strip
    pages_seen = []
    result = engine.read_document(forms.clean(page), on_page=lambda n, count: pages_seen.append((n, count)))
    assert pages_seen == [(1, 1)] and result.pages == 1
    fields = parse(result.text)
    assert fields.receipt_no == "宁机明收[2020]744号"
    assert fields.sender_unit == "中华全国总工会办公厅"
    assert (fields.precedence, fields.classification) == ("特提", "明电")
    assert fields.received_at is not None and fields.received_at.isoformat() == "2020-05-01T21:36:00+08:00"
    assert fields.instruction == "送：自治区总工会。"
    assert all(0 < ln.confidence <= 1 for ln in result.lines)
    assert result.mean_confidence is not None and result.mean_confidence > 0.9


def test_a_fax_copy_of_the_strip_as_a_one_page_pdf(header_strip):
    page, _ = header_strip
    pdf = forms.as_pdf(Image.open(io.BytesIO(forms.fax(page))), dpi=150)
    result = engine.read_document(pdf, dpi=150)
    assert result.pages == 1
    fields = parse(result.text)
    assert fields.receipt_no == "宁机明收[2020]744号"
    assert fields.sender_unit == "中华全国总工会办公厅"


def test_what_is_not_a_scan_is_refused_in_chinese():
    with pytest.raises(engine.OcrError, match="PDF、JPEG 或 PNG"):
        engine.read_document(b"GIF89a not a scan")
    with pytest.raises(engine.OcrError, match="损坏"):
        engine.read_document(b"%PDF-1.4 truncated")
    with pytest.raises(engine.OcrError, match="损坏"):
        engine.read_document(b"\x89PNG\r\n\x1a\n truncated")


def test_a_pdf_longer_than_the_limit_is_refused(header_strip):
    page, _ = header_strip
    pdf = forms.as_pdf(page)
    with pytest.raises(engine.OcrError, match="超过识别上限 0 页"):
        engine.read_document(pdf, max_pages=0)


def test_one_engine_per_process():
    assert engine.engine() is engine.engine()
