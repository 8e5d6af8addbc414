"""The director's view: a clerk opens 统计 from the menu, narrows it to a year, a month and a unit, exports it to
Excel; the same page on a 390 px phone. Screenshots under test-output/browser/."""
from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.db.models import Count
from django.db.models.functions import ExtractMonth
from django.urls import reverse

from routing.models import Delivery
from stats import summary
from tests.stats.helpers import CZ, a_year

from .helpers import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE = {"width": 390, "height": 844}


def sideways(page) -> list[str]:
    """The page's own blocks (the top bar is the layout issue's) that stick out of the viewport."""
    return page.evaluate("""() => [...document.querySelectorAll('main > *, main .cards > *, main .chart-grid > *')]
        .filter(el => el.getBoundingClientRect().right > window.innerWidth + 0.5)
        .map(el => el.tagName + '.' + el.className)""")


def test_clerk_reads_the_year_narrows_it_and_exports_it(new_page, shots, demo):
    a_year(demo["clerk"], demo["caizheng"])
    summary.refresh(full=True)
    busiest = (Delivery.objects.filter(unit__name=CZ).annotate(month=ExtractMonth("telegram__received_at"))
               .values_list("month").annotate(n=Count("id")).order_by("-n", "month").first())
    page = new_page()
    login(page, "clerk")
    page.locator(".topbar nav").get_by_role("link", name="统计", exact=True).click()
    page.wait_for_url("**/stats/")
    page.get_by_label("年度").select_option("2025")
    with page.expect_navigation():
        page.get_by_role("button", name="查询").click()
    assert page.locator("h1").inner_text() == "统计 · 2025年"
    assert page.locator("#stat-total").inner_text() == "48"
    assert page.locator("svg.chart:visible").count() == 3  # the desktop drawings
    assert page.locator(".chart-desktop svg.chart rect.p3").count() > 0  # 平急 bars drawn in their colour from stats.css
    shots(page, "stats-year-desktop", docs="stats")

    page.get_by_label("统计期").select_option("month")
    page.get_by_label("月份").select_option(str(busiest[0]))
    page.get_by_label("承办单位").select_option(label=CZ)
    with page.expect_navigation():
        page.get_by_role("button", name="查询").click()
    assert page.locator("h1").inner_text() == f"统计 · 2025年{busiest[0]}月 · {CZ}"
    assert page.locator("#stats-units-table tbody tr").count() == 1
    row = page.locator(f'#stats-units-table tr[data-unit="{CZ}"] td')
    assert row.nth(1).inner_text() == str(busiest[1])  # its deliveries that month
    shots(page, "stats-month-one-unit")

    with page.expect_download() as download:
        page.get_by_role("link", name="导出Excel").click()
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))  # the download has no .xlsx name
    assert wb["说明"]["B2"].value == f"2025年{busiest[0]}月" and wb["说明"]["B3"].value == f"送达{CZ}的来电"

    phone = new_page()
    phone.set_viewport_size(PHONE)
    login(phone, "leader")
    phone.goto(reverse("stats:page") + "?year=2025")
    assert phone.locator("#stat-total").inner_text() == "48"
    assert sideways(phone) == []
    table = phone.locator("#stats-units-table")
    # On a phone the per-unit table reads as cards (the app's list layout) or scrolls in its own box: never the page.
    assert table.evaluate("t => t.getBoundingClientRect().right <= 390 || t.parentElement.scrollWidth > t.parentElement.clientWidth")
    shots(phone, "stats-year-phone", docs="phone-stats")
