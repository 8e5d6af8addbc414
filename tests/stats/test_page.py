"""The statistics page and its Excel export, as a clerk, a leader and an admin see them."""
from __future__ import annotations

import io
import re

import pytest
from django.urls import reverse

from stats import summary
from tests.conftest import client_for
from tests.stats.helpers import CZ, desk

pytestmark = pytest.mark.django_db
SEPTEMBER = {"grain": "month", "year": "2025", "month": "9"}


@pytest.fixture
def register(clerk, staff_cz):
    telegrams = desk(clerk, staff_cz)
    summary.refresh(full=True)
    return telegrams


def text_of(html: str, element_id: str) -> str:
    m = re.search(rf'id="{element_id}">([^<]*)<', html)
    assert m, f"#{element_id} not on the page"
    return m.group(1).strip()


def test_the_clerk_reads_september_at_a_glance(register, clerk_client):
    response = clerk_client.get(reverse("stats:page"), SEPTEMBER)
    assert response.status_code == 200
    html = response.content.decode()
    assert "统计 · 2025年9月" in html
    assert text_of(html, "stat-total") == "4"
    assert text_of(html, "stat-on-time") == "50.0%"
    assert text_of(html, "stat-overdue") == "1"  # T3's 总工会 delivery, overdue today
    assert html.count('<svg class="chart"') == 6  # trend, senders, units' times; each for a phone and a desktop
    assert "<title>9/20 特提：1件</title>" in html  # every bar says its figure
    row = re.search(rf'<tr data-unit="{CZ}">(.*?)</tr>', html, re.S).group(1)
    assert "2.2小时 / 3.6小时" in row and "100.0%" in row  # 签收 median / 90 %, 按期办结率
    assert "<script" not in html and " style=" not in html  # the CSP allows neither


def test_leaders_and_admins_see_it_too_and_it_has_a_menu_entry(register, leader, admin_user):
    for user in (leader, admin_user):
        html = client_for(user).get(reverse("stats:page")).content.decode()
        assert f'href="{reverse("stats:page")}"' in html and "统计 · " in html


def test_a_unit_filter_shows_what_reached_that_unit(register, clerk_client):
    from directory.models import Unit

    cz = Unit.objects.get(name=CZ)
    html = clerk_client.get(reverse("stats:page"), {**SEPTEMBER, "unit": cz.pk}).content.decode()
    assert "统计 · 2025年9月 · 自治区财政厅" in html and "送达本单位" in html
    assert text_of(html, "stat-total") == "2"
    assert html.count("<tr data-unit=") == 1


def test_bad_filters_fall_back_to_defaults_with_a_message(register, clerk_client):
    response = clerk_client.get(reverse("stats:page"), {"grain": "decade", "year": "1900", "unit": "999999",
                                                        "precedence": "急"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "筛选条件有误的项已按默认值统计" in html
    assert re.search(r"统计 · \d{4}年<", html)  # this year, every precedence, every unit


def test_before_the_first_refresh_the_page_says_so(clerk_client):
    html = clerk_client.get(reverse("stats:page")).content.decode()
    assert "统计数据尚未生成" in html and text_of(html, "stat-total") == "0"


def test_the_excel_export_has_the_same_figures(register, clerk_client):
    from openpyxl import load_workbook

    response = clerk_client.get(reverse("stats:export"), SEPTEMBER)
    assert response.status_code == 200
    assert "filename*=UTF-8''" in response["Content-Disposition"] and "stats-2025-09.xlsx" in response["Content-Disposition"]
    wb = load_workbook(io.BytesIO(response.content))
    assert wb.sheetnames == ["说明", "收文按来电单位", "收文趋势（按日）", "各单位办理"]
    senders = [[c.value for c in row] for row in wb["收文按来电单位"].iter_rows(min_row=2)]
    assert senders[-1] == ["合计", 1, 1, 1, 1, 4]
    units = {row[0].value: [c.value for c in row] for row in wb["各单位办理"].iter_rows(min_row=2)}
    assert units[CZ][1:8] == [2, 2, 2, 2.25, 3.65, 48.0, 48.0]
    assert units["全部单位"][11] == 0.5 and wb["各单位办理"]["L2"].number_format == "0.0%"
    assert wb["说明"]["B2"].value == "2025年9月"
