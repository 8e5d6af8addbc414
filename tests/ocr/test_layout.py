"""Boxes → lines: reading order on a skewed page, normalised brackets and colons, per-line confidence.
Pure Python: runs without the OCR extra."""
from __future__ import annotations

import math

import pytest

from ocr.layout import Box, group_lines, normalise, skew_of


def box(x: float, y: float, w: float, h: float, text: str, score: float = 0.99, *, degrees: float = 0.0,
        about: tuple[float, float] = (0.0, 0.0)) -> Box:
    """An axis-aligned box turned by `degrees` about `about` (positive: downhill to the right)."""
    a = math.radians(degrees)

    def turn(px: float, py: float) -> tuple[float, float]:
        dx, dy = px - about[0], py - about[1]
        return about[0] + dx * math.cos(a) - dy * math.sin(a), about[1] + dx * math.sin(a) + dy * math.cos(a)

    return Box((turn(x, y), turn(x + w, y), turn(x + w, y + h), turn(x, y + h)), text, score)


FORM = [  # a receipt form's rows: label cell, value cell (x, y, w, h, text)
    [(100, 100, 180, 40, "来电单位"), (320, 100, 900, 40, "中华全国总工会办公厅")],
    [(100, 150, 100, 40, "等级"), (320, 150, 1200, 40, "特提 明电 收报时间:2020年5月1日21时36分")],
    [(100, 200, 100, 40, "标题"), (320, 200, 1250, 40, "中华全国总工会关于学习宣传贯彻的通知")],
    [(100, 250, 100, 40, "批办"), (320, 250, 500, 40, "送:自治区总工会。")],
]


def test_a_fax_turned_1_5_degrees_is_read_row_by_row() -> None:
    # Over a 1,600 px wide row a 1.5° turn moves the right end 42 px down: more than a row's spacing here, so
    # sorting by y alone would interleave rows. The skew correction keeps each label with its value.
    boxes = [box(*cell, degrees=1.5) for row in reversed(FORM) for cell in reversed(row)]
    assert math.degrees(skew_of(boxes)) == pytest.approx(1.5, abs=0.05)
    lines = [ln.text for ln in group_lines(boxes)]
    assert lines == [
        "来电单位 中华全国总工会办公厅",
        "等级 特提 明电 收报时间：2020年5月1日21时36分",
        "标题 中华全国总工会关于学习宣传贯彻的通知",
        "批办 送：自治区总工会。",
    ]


def test_without_skew_correction_labels_and_values_come_apart(monkeypatch) -> None:
    boxes = [box(*cell, degrees=1.5) for row in FORM for cell in row]
    monkeypatch.setattr("ocr.layout.skew_of", lambda boxes: 0.0)
    lines = [ln.text for ln in group_lines(boxes)]
    assert "等级" in lines and "标题" in lines  # labels parted from their values: the check above can fail


def test_a_wide_gap_between_rows_becomes_an_empty_line() -> None:
    lines = group_lines([box(100, 100, 400, 40, "中央和国家机关发电"), box(100, 300, 400, 40, "发电单位 中华全国总工会")])
    assert [ln.text for ln in lines] == ["中央和国家机关发电", "", "发电单位 中华全国总工会"]


def test_a_lines_confidence_is_its_weakest_box() -> None:
    (line,) = group_lines([box(100, 100, 200, 40, "批办", 0.98), box(320, 100, 400, 40, "送：自治区总工会。", 0.61)], page=2)
    assert (line.confidence, line.page) == (0.61, 2)
    assert line.as_dict() == {"text": "批办 送：自治区总工会。", "confidence": 0.61, "page": 2}


def test_no_boxes_no_lines() -> None:
    assert group_lines([]) == [] and group_lines([box(0, 0, 10, 10, "  ")]) == []


@pytest.mark.parametrize(
    ("read", "expected"),
    [
        ("宁机明收【2024】0931号", "宁机明收[2024]0931号"),
        ("宁机明收(2024)0931号", "宁机明收[2024]0931号"),
        ("宁机明收〔2024〕0931号", "宁机明收[2024]0931号"),
        ("国汛办电（2024）45号", "国汛办电〔2024〕45号"),
        ("工发电[2020]7号", "工发电〔2020〕7号"),
        ("来电单位:公安部办公厅", "来电单位：公安部办公厅"),
        ("公安厅(局),新疆", "公安厅（局）,新疆"),
        ("收报时间：2024年9月12日7:55", "收报时间：2024年9月12日7:55"),
    ],
)
def test_brackets_and_colons_are_normalised(read: str, expected: str) -> None:
    assert normalise(read) == expected
