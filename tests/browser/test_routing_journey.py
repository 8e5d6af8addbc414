"""Issue 3 in a real browser with a real Celery worker: the seed's 批办 routes the telegram to 自治区总工会, whose
承办人 signs for it and reports it done; the admin sees every step in 流转记录 and on the telegram page."""
from __future__ import annotations

import pytest
from django.urls import reverse

from routing.models import Delivery, DeliveryState
from tests.telegrams.helpers import SEED_FORM

from .helpers import fill_registration, login, reload_until

pytestmark = [
    pytest.mark.browser, pytest.mark.worker,
    pytest.mark.django_db(transaction=True),  # keep the migrations' role groups
]

RESULT = "已于5月2日转发各市总工会，组织职工学习贯彻回信精神，情况已报全国总工会。"


def test_batban_routes_the_seed_to_zonggonghui_who_signs_and_finishes_and_admin_sees_every_step(
    celery_worker_process, new_page, shots, demo
):
    clerk = new_page()
    login(clerk, "clerk")
    clerk.goto(reverse("telegrams:create"))
    fill_registration(clerk, SEED_FORM)
    assert clerk.get_by_label("批办").input_value() == "送：自治区总工会。"
    with clerk.expect_navigation():
        clerk.get_by_role("button", name="保存并编号").click()
    receipt_no = clerk.locator("#receipt-no").inner_text()
    assert receipt_no.startswith("宁机明收[2020]")

    # 自治区总工会's 承办人 waits for it in 本单位来电 / 待签收.
    staff = new_page()
    login(staff, "zonggonghui")
    staff.get_by_role("link", name="本单位来电").click()
    assert staff.locator(".tabs a.active").inner_text().startswith("待签收")
    row = staff.locator("#inbox tbody tr", has_text=receipt_no)
    reload_until(staff, row, celery_worker_process)
    cells = row.locator("td").all_inner_texts()
    # …marked 未读 until someone of the unit opens it (issue 12's read receipts).
    assert cells[1] == "特提" and cells[2] == SEED_FORM["title"] + " 未读" and cells[4] == "办理"
    assert cells[6] == "2020-05-02 已逾期"  # 特提: one day from receipt, long past in this replay of 2020
    assert "urgent" in row.get_attribute("class")
    shots(staff, "unit-inbox-to-sign", docs="unit-inbox-to-sign")

    with staff.expect_navigation():
        row.get_by_role("button", name="签收").click()
    assert f"已签收 {receipt_no}" in staff.locator(".messages").inner_text()
    assert row.count() == 0  # gone from 待签收
    staff.locator(".tabs a", has_text="办理中").click()
    row = staff.locator("#inbox tbody tr", has_text=receipt_no)
    assert row.count() == 1
    shots(staff, "unit-inbox-in-progress")

    row.get_by_role("link", name="办结").click()
    staff.wait_for_url("**/done/")
    with staff.expect_navigation():
        staff.get_by_role("button", name="确认办结").click()  # a 办理 unit must say what it did
    assert staff.locator(".messages .error").inner_text() == "请填写办理结果。"
    staff.get_by_label("办理结果").fill(RESULT)
    shots(staff, "report-done", docs="unit-report-done")
    with staff.expect_navigation():
        staff.get_by_role("button", name="确认办结").click()
    assert f"{receipt_no} 已办结" in staff.locator(".messages").inner_text()
    staff.locator(".tabs a", has_text="已办结").click()
    assert staff.locator("#inbox tbody tr", has_text=receipt_no).count() == 1
    shots(staff, "unit-inbox-done")

    delivery = Delivery.objects.get(telegram__receipt_no=receipt_no)
    assert delivery.state == DeliveryState.DONE and delivery.result == RESULT
    assert delivery.unit.name == "自治区总工会" and delivery.done_by.username == "zonggonghui"

    # The admin's 流转记录 shows every step of this receipt number.
    admin = new_page()
    login(admin, "admin")
    admin.get_by_role("link", name="流转记录").click()
    admin.wait_for_url("**/routing/history/")
    rows = admin.locator("#history tbody tr", has_text=receipt_no)
    steps = [(r.locator("td").nth(4).inner_text(), r.locator("td").nth(5).inner_text(), r.locator("td").nth(6).inner_text())
             for r in rows.all()]
    for step in [("自治区总工会", "分送 待送达 → 待签收", "系统"),
                 ("自治区总工会", "分送 待签收 → 办理中", "张承办"),
                 ("自治区总工会", "分送 办理中 → 已办结", "张承办")]:
        assert step in steps, steps
    assert ("—", "分送指令 — → 待分送", "王机要") in steps  # the clerk's 批办 wrote the order
    shots(admin, "routing-history", docs="routing-history")

    # …and the telegram page shows the same timeline.
    rows.first.get_by_role("link", name=receipt_no).click()
    admin.wait_for_url("**/telegrams/*/")
    timeline = admin.locator("#timeline li").all_inner_texts()
    notes = [t.splitlines()[-1] for t in timeline]
    assert notes[0] == "批办：送：自治区总工会。"
    for note in ("送达自治区总工会（办理）", "签收", "办结"):
        assert note in notes, notes
    assert admin.locator("#deliveries").get_by_text("已办结").count() == 1
    shots(admin, "telegram-timeline", docs="telegram-page-routing-timeline")
