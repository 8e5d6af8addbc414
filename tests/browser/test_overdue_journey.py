"""逾期与催办 in the browser: the clerk opens the overdue list from the menu, finds 自治区总工会's overdue telegram,
writes a note and presses 催办; the unit's 承办人, on a phone, sees the reminder among their alerts and on the
telegram page; a leader reads the same list on a phone. Screenshots under test-output/browser/ (and, with
DOCS_SCREENSHOTS=1, docs/screenshots/overdue-list.png and phone-overdue-list.png)."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from routing.models import Delivery
from tests import factories

from .conftest import PHONE
from .helpers import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sideways(page) -> list[str]:
    return page.evaluate("""() => [...document.querySelectorAll('main > *, main table.grid tr')]
        .filter(el => el.getBoundingClientRect().right > window.innerWidth + 0.5)
        .map(el => el.tagName + '.' + el.className)""")


def test_clerk_chases_an_overdue_unit_and_the_unit_sees_it(new_page, shots, demo):
    clerk = demo["clerk"]
    today = timezone.localdate()
    late = factories.another(clerk, precedence="特急", instruction="送：自治区总工会、自治区财政厅。")
    older = factories.another(clerk, precedence="平急", instruction="送：自治区总工会。")
    for t, days in ((late, 2), (older, 9)):
        factories.route_pending(t)
        Delivery.objects.filter(telegram=t).update(deadline=today - timedelta(days=days))

    page = new_page()
    login(page, "clerk")
    on_time = factories.another(clerk, precedence="平急", instruction="送：自治区财政厅。", received_at=timezone.now())
    factories.route_pending(on_time)
    page.goto(reverse("telegrams:register"))
    page.get_by_label("仅逾期未办结").check()
    with page.expect_navigation():
        page.get_by_role("button", name="查询").click()
    listed = page.locator("#register tbody tr").all_inner_texts()
    assert len(listed) == 2 and not any(on_time.receipt_no in row for row in listed)
    shots(page, "register-overdue-only")
    page.locator(".topbar nav").get_by_role("link", name="逾期与催办", exact=True).click()
    page.wait_for_url("**/overdue/")
    assert page.locator("h1").inner_text() == "逾期与催办"
    units = page.locator("section.overdue-unit").evaluate_all("els => els.map(e => e.dataset.unit)")
    assert units == ["自治区总工会", "自治区财政厅"]  # the unit with the longest overdue first
    row = page.locator(f'section[data-unit="自治区总工会"] tr[data-receipt="{late.receipt_no}"]')
    assert "2 天" in row.locator(".days-overdue").inner_text()
    assert row.get_by_text("未催办").is_visible()
    shots(page, "overdue-list", docs="overdue-list")

    row.get_by_label("催办内容").fill("请于今天下班前报送办理结果。")
    with page.expect_navigation():
        row.get_by_role("button", name="催办").click()
    assert f"已向自治区总工会催办 {late.receipt_no}。" in page.locator("ul.messages").inner_text()
    row = page.locator(f'section[data-unit="自治区总工会"] tr[data-receipt="{late.receipt_no}"]')
    assert "1 次" in row.locator(".reminder-count").inner_text()
    shots(page, "overdue-reminded")

    # On the telegram page the clerk gives 自治区财政厅 a week more, saying why; the list no longer shows it there.
    page.goto(reverse("telegrams:detail", args=[late.pk]))
    cz = page.locator('details.deadline-tools[data-unit="自治区财政厅"]')
    cz.get_by_text("改期限/催办").click()
    new_deadline = today + timedelta(days=7)
    cz.get_by_label("新的办结期限").fill(new_deadline.isoformat())
    cz.get_by_label("修改原因").fill("财政厅来函申请延期一周，主任同意。")
    shots(page, "telegram-change-deadline")
    with page.expect_navigation():
        cz.get_by_role("button", name="修改期限").click()
    assert f"自治区财政厅的办结期限已改为{new_deadline:%Y-%m-%d}。" in page.locator("ul.messages").inner_text()
    assert "人工催办" in page.locator("#reminders-panel").inner_text()
    assert "财政厅来函申请延期一周" in page.locator("#timeline").inner_text()
    page.goto(reverse("reminders:overdue"))
    assert page.locator("section.overdue-unit").evaluate_all("els => els.map(e => e.dataset.unit)") == ["自治区总工会"]

    unit = new_page(PHONE)
    login(unit, "zonggonghui")
    assert unit.locator("#alerts-badge").is_visible()
    unit.goto(reverse("notifications:list"))
    alert = unit.locator("#alerts tr", has_text="机要室催办")
    assert "请于今天下班前报送办理结果。" in alert.inner_text() and late.receipt_no in alert.inner_text()
    shots(unit, "unit-sees-reminder")
    alert.get_by_role("link").click()
    unit.wait_for_url(f"**/telegrams/{late.pk}/")
    panel = unit.locator("#reminders-panel")
    assert "人工催办" in panel.inner_text() and "请于今天下班前报送办理结果。" in panel.inner_text()
    shots(unit, "unit-telegram-reminders")

    leader = new_page(PHONE)
    login(leader, "leader")
    leader.goto(reverse("reminders:overdue"))
    assert leader.locator("tr.overdue-row").count() == 2 and leader.get_by_role("button", name="催办").count() == 0
    assert sideways(leader) == []
    shots(leader, "overdue-list-leader-phone")

    phone = new_page(PHONE)
    login(phone, "clerk")
    phone.goto(reverse("reminders:overdue"))
    assert phone.get_by_role("button", name="催办").count() == 2 and sideways(phone) == []
    button = phone.get_by_role("button", name="催办").first.bounding_box()
    assert button["height"] >= 40  # a thumb's target
    shots(phone, "overdue-list-phone", full_page=False, docs="phone-overdue-list")
