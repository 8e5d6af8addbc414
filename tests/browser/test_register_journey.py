"""Issue 15, the register and the clerk's other lists: the register says who handles each telegram, how far each
unit is and the nearest deadline (desktop 1440×900 and a 390 px phone), and finds a telegram by its sender; on the
phone the clerk also visits 待处理单位, 我的提醒 and 统计 — nothing scrolls sideways. Screenshots under
test-output/browser/; DOCS_SCREENSHOTS=1 also writes docs/screenshots/."""
from __future__ import annotations

import pytest
from django.urls import reverse

from routing import actions as routing_actions
from tests import factories

from .conftest import PHONE
from .helpers import SidewaysCheck, login, tap_height

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

THREE_UNITS = "请财政厅牵头，总工会、民政厅配合办理。"


def the_desk(demo):
    """A morning's register: one telegram three units work on, one finished, one waiting for a 批示, and one whose
    批办 names a unit the directory lacks."""
    clerk, zgh, cz = demo["clerk"], demo["zonggonghui"], demo["caizheng"]
    working = factories.register(clerk, precedence="平急", instruction=THREE_UNITS)
    factories.route_pending(working)
    factories.sign_and_finish(working, zgh, result="已配合办理。")
    routing_actions.sign(factories.delivery_of(working, cz), actor=cz)
    finished = factories.another(clerk, precedence="特急", sender_unit_name="国务院办公厅", title="关于做好防汛工作的紧急通知")
    factories.sign_and_finish(finished, zgh)
    waiting = factories.another(clerk, precedence="特提", instruction="", title="关于紧急事项的通知")
    unknown = factories.another(clerk, precedence="加急", instruction="请财政厅、自治区水利厅办理。",
                                sender_unit_name="财政部办公厅", title="关于做好预算执行工作的通知")
    factories.route_pending(unknown)
    return working, finished, waiting, unknown


def test_the_register_tells_where_each_telegram_is(new_page, shots, demo):
    working, finished, waiting, unknown = the_desk(demo)
    page = new_page()
    login(page, "clerk")
    assert page.url.endswith(reverse("telegrams:register"))
    row = page.locator("#register tbody tr", has_text=working.receipt_no)
    assert row.locator('td[data-label="承办单位"] .unit-mark').all_inner_texts() == ["财政厅牵头", "区总工会", "民政厅"]
    assert row.locator('td[data-label="状态"] .progress').inner_text() == "1/3 办结 1家未签收 2家未读"
    deadline = row.locator('td[data-label="办结期限"]')
    assert deadline.inner_text() == "2020-05-11 已逾期" and deadline.locator(".overdue").count() == 1
    # Each unit's state in its colour and, on hover, in words.
    lead = row.locator(".unit-mark", has_text="财政厅")
    assert lead.get_attribute("title") == "自治区财政厅（牵头）：办理中，未读"  # signed from its inbox, not opened
    assert "mark-signed" in lead.get_attribute("class")
    done = page.locator("#register tbody tr", has_text=finished.receipt_no)
    assert done.locator(".progress").inner_text() == "1/1 办结"
    assert done.locator('td[data-label="办结期限"]').inner_text() == "—"
    assert page.locator("#register tbody tr", has_text=waiting.receipt_no).locator(
        'td[data-label="承办单位"]').inner_text() == "—"
    assert page.evaluate("document.documentElement.scrollWidth") <= 1440
    shots(page, "register-where-each-is", full_page=False, docs="register-progress")

    # The search finds the sender too.
    page.get_by_label("搜索").fill("国务院")
    with page.expect_navigation():
        page.get_by_role("button", name="查询").click()
    assert page.locator("#register tbody tr").count() == 1
    assert finished.receipt_no in page.locator("#register tbody tr").inner_text()


def test_the_clerks_lists_on_a_phone(new_page, shots, demo):
    working, finished, waiting, unknown = the_desk(demo)
    page = new_page(PHONE)
    fits = SidewaysCheck(page)
    page.goto("/accounts/login/")
    fits(page)
    login(page, "clerk")
    fits(page)
    card = page.locator("#register tbody tr", has_text=working.receipt_no)
    assert card.locator("td.card-title").inner_text() == working.title
    units = card.locator('td[data-label="承办单位"]')
    assert units.bounding_box()["width"] > 300  # the card's width, labelled
    assert card.locator(".progress").inner_text() == "1/3 办结 1家未签收 2家未读"
    card.scroll_into_view_if_needed()
    shots(page, "register-cards", full_page=False, docs="phone-register")

    # 待处理单位: from the register's banner, each name a card with its choices at thumb size.
    with page.expect_navigation():
        page.locator("#unknown-banner").get_by_role("link").click()
    assert page.url.endswith(reverse("routing:unknown_units"))
    fits(page)
    item = page.locator("#unknown-units tbody tr", has_text="自治区水利厅")
    assert item.locator("td.card-title").inner_text().startswith("自治区水利厅")
    assert tap_height(item.get_by_role("button", name="分送", exact=True)) >= 44
    assert tap_height(item.get_by_role("button", name="不分送")) >= 44
    shots(page, "unknown-units", full_page=False, docs="phone-unknown-units")
    item.get_by_label("不分送的原因").fill("该单位已撤并")
    with page.expect_navigation():
        item.get_by_role("button", name="不分送").click()
    fits(page)
    assert "不分送" in page.locator(".messages").inner_text()

    # 我的提醒: the clerk's alert about the unknown unit, as a card with its button at the thumb.
    page.locator("#menu-toggle summary").click()
    with page.expect_navigation():
        page.locator(".topbar .alerts-link").click()
    assert page.url.endswith(reverse("notifications:list"))
    fits(page)
    alert = page.locator("#alerts tbody tr", has_text=unknown.receipt_no)
    assert alert.count() == 1
    assert tap_height(alert.get_by_role("button", name="标为已读")) >= 44
    assert tap_height(page.get_by_role("button", name="关闭提示音")) >= 44
    shots(page, "alerts", full_page=False, docs="phone-alerts")

    # 统计: its figure tables keep their columns and scroll inside their own box; the page itself does not.
    page.goto(reverse("stats:page"))
    fits(page)
    shots(page, "stats", full_page=False)
    fits.all_checked()
