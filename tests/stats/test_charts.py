"""The SVG charts: axes people can read, and names from outside (senders, units) escaped."""
from __future__ import annotations

import re

import pytest

from stats import charts


@pytest.mark.parametrize("value, whole, expected", [
    (4, True, (4, 1)), (5, True, (6, 2)), (11, False, (15, 5)), (48, True, (60, 20)), (2740, True, (3000, 1000)),
    (0, True, (1, 1)), (3, False, (3, 1)), (0.5, False, (0.6, 0.2)),
])
def test_axis_steps_are_round_numbers(value, whole, expected):
    top, step = charts.nice_scale(value, whole=whole)
    assert (top, step) == pytest.approx(expected)
    assert top >= value and top / step <= 5


def test_names_from_outside_are_escaped_everywhere():
    hostile = '<script>alert(1)</script>"&'
    svg = "".join([
        charts.stacked_columns([(hostile, {"平急": 2})], ("平急",), hostile),
        charts.stacked_bars([(hostile, {"特提": 1, "平急": 3})], ("特提", "平急"), "来电单位"),
        charts.ranges([(hostile, 1.0, 2.0, "1.0天")], "用时", "天"),
    ])
    assert "<script" not in svg and "&lt;script&gt;" in svg
    assert not re.search(r'="[^"]*"&', svg)  # no attribute broken open by a quote


def test_a_stacked_column_is_as_tall_as_its_count():
    svg = charts.stacked_columns([("1月", {"特提": 1, "平急": 3}), ("2月", {"平急": 2})], ("特提", "平急"), "t", width=330)
    heights = [float(h) for h in re.findall(r'<rect class="p\d" x="[^"]+" y="[^"]+" width="[^"]+" height="([^"]+)"', svg)]
    assert heights == pytest.approx([32.5, 97.5, 65.0])  # 1, 3 and 2 of 4 on a 130-unit plot
    assert '<title>1月 平急：3件</title>' in svg
