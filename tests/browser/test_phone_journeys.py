"""Issue 15 on a phone (390×844, touch): the leader reads the 特提 telegram and writes a routing 批示, the lead unit
signs for it on the telegram page and reports it done — with the thumb, and without any page scrolling sideways.
Screenshots of each step: test-output/browser/…; with DOCS_SCREENSHOTS=1 also docs/screenshots/phone-*.png."""
from __future__ import annotations

import pytest
from django.urls import reverse

from routing.models import Delivery, DeliveryState
from tests import factories

from .conftest import PHONE
from .helpers import SidewaysCheck, form_cell, login, tap_height

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

INSTRUCTION = "请财政厅牵头，民政厅配合办理。"
RESULT = "已会同民政厅研究落实，情况已报自治区党委办公厅。"
THUMB = 44  # CSS pixels: the smallest comfortable touch target


def test_leader_and_unit_do_their_whole_job_on_a_phone(new_page, shots, clerk):
    # Waiting for a 批示: the seed telegram (特提) and an ordinary one, both registered without a 批办.
    factories.another(clerk, precedence="平急", instruction="", title="关于做好平急事项的通知")
    teti = factories.register(clerk, instruction="")

    # --- the leader -------------------------------------------------------------------------------------------
    leader = new_page(PHONE)
    fits = SidewaysCheck(leader)
    leader.goto("/accounts/login/")
    fits(leader)
    login(leader, "leader")
    assert leader.url.endswith(reverse("annotations:inbox"))  # lands on 待批示, not the register
    fits(leader)
    cards = leader.locator("#inbox tbody tr")
    assert cards.count() == 2
    top = cards.first
    assert top.locator(".prec").inner_text() == "特提"
    # A card, not a table row: the title on top, as wide as the screen allows.
    title = top.locator("td.card-title")
    assert title.inner_text() == factories.SEED["title"]
    assert title.bounding_box()["y"] < top.locator("td").first.bounding_box()["y"]
    assert title.bounding_box()["width"] > 300
    shots(leader, "leader-inbox", full_page=False, docs="phone-leader-inbox")

    # The top bar folds into 菜单: closed, no link shows; open, the leader's pages are a column of large links.
    nav = leader.locator("#topnav")
    assert not nav.is_visible()
    leader.locator("#menu-toggle summary").click()
    assert nav.get_by_role("link", name="待批示").is_visible()
    assert nav.get_by_role("link", name="收文登记簿").is_visible()
    assert tap_height(nav.get_by_role("link", name="待批示")) >= THUMB
    assert leader.locator(".topbar").get_by_role("button", name="退出").is_visible()
    fits(leader)
    shots(leader, "menu-open", full_page=False, docs="phone-menu")
    leader.locator("#menu-toggle summary").click()
    assert not nav.is_visible()

    title.get_by_role("link").click()
    leader.wait_for_url(f"**{reverse('telegrams:detail', args=[teti.pk])}")
    fits(leader)
    # The 内部明电 form stacks: each heading beside its value, one pair per line, nothing cut to a character.
    sender = form_cell(leader, "来电单位")
    assert sender.inner_text() == "中华全国总工会办公厅"
    assert sender.bounding_box()["height"] < 60  # one line, not one character per line
    # The body reads at a phone's measure: a comfortable size and the whole width, not a 5-character column.
    paragraph = leader.locator("#telegram-text .body p").first
    assert paragraph.evaluate("el => parseFloat(getComputedStyle(el).fontSize)") >= 16
    assert paragraph.bounding_box()["width"] > 300
    shots(leader, "telegram-page", full_page=False, docs="phone-leader-telegram")

    box = leader.get_by_label("写批示")
    box.fill(INSTRUCTION)
    submit = leader.get_by_role("button", name="提交批示")
    assert tap_height(submit) >= THUMB and submit.bounding_box()["width"] > 300
    with leader.expect_navigation():
        submit.click()
    fits(leader)
    routes = [r.locator("td").all_inner_texts() for r in leader.locator("#routes tbody tr").all()]
    assert routes == [["自治区财政厅", "牵头", "将分送"], ["自治区民政厅", "配合", "将分送"]]
    confirm = leader.get_by_role("button", name="确认并提交")
    assert tap_height(confirm) >= THUMB
    shots(leader, "pishi-confirm", full_page=False, docs="phone-leader-pishi-confirm")
    with leader.expect_navigation():
        confirm.click()
    fits(leader)
    assert "批示已保存" in leader.locator(".messages").inner_text()
    assert INSTRUCTION in leader.locator("#annotations").inner_text()
    # "← 返回" goes back to 待批示 (where the leader came from), where the 特提 one is now done.
    with leader.expect_navigation():
        leader.get_by_role("link", name="← 返回").click()
    assert leader.url.endswith(reverse("annotations:inbox"))
    fits(leader)
    assert leader.locator("#inbox tbody tr", has_text=teti.receipt_no).count() == 0
    fits.all_checked()

    # The worker's part, done here: the order becomes deliveries (tests/browser/test_leader_journey.py runs it
    # with a real worker).
    factories.route_pending(teti)
    delivery = Delivery.objects.get(telegram=teti, unit__name="自治区财政厅")
    assert delivery.state == DeliveryState.DELIVERED

    # --- 自治区财政厅's 承办人 -------------------------------------------------------------------------------
    staff = new_page(PHONE)
    fits = SidewaysCheck(staff)
    staff.goto("/accounts/login/")
    fits(staff)
    login(staff, "caizheng")
    assert staff.url.endswith(reverse("routing:inbox"))  # lands on 本单位来电
    fits(staff)
    card = staff.locator("#inbox tbody tr", has_text=teti.receipt_no)
    assert card.count() == 1 and "urgent" in card.get_attribute("class")
    sign = card.get_by_role("button", name="签收")
    assert tap_height(sign) >= THUMB and sign.bounding_box()["width"] > 300
    shots(staff, "unit-inbox", full_page=False, docs="phone-unit-inbox")

    # Read it first, then sign on the telegram page itself.
    card.locator("td.card-title").get_by_role("link").click()
    staff.wait_for_url(f"**{reverse('telegrams:detail', args=[teti.pk])}")
    fits(staff)
    mine = staff.locator("#my-delivery")
    assert "自治区财政厅" in mine.inner_text() and "待签收" in mine.inner_text()
    shots(staff, "unit-telegram", full_page=False, docs="phone-unit-telegram")
    with staff.expect_navigation():
        mine.get_by_role("button", name="签收").click()
    assert staff.url.endswith(reverse("telegrams:detail", args=[teti.pk]))  # stays on the telegram
    fits(staff)
    assert f"已签收 {teti.receipt_no}" in staff.locator(".messages").inner_text()
    done = mine.get_by_role("link", name="办结")
    assert tap_height(done) >= THUMB
    with staff.expect_navigation():
        staff.get_by_role("link", name="← 返回").click()
    assert staff.url.endswith(reverse("routing:inbox"))
    fits(staff)

    staff.locator(".tabs a", has_text="办理中").click()
    staff.wait_for_url("**/routing/inbox/?tab=doing")
    fits(staff)
    staff.locator("#inbox tbody tr", has_text=teti.receipt_no).get_by_role("link", name="办结").click()
    staff.wait_for_url("**/done/")
    fits(staff)
    staff.get_by_label("办理结果").fill(RESULT)
    finish = staff.get_by_role("button", name="确认办结")
    assert tap_height(finish) >= THUMB
    shots(staff, "report-done", full_page=False, docs="phone-unit-report-done")
    with staff.expect_navigation():
        finish.click()
    fits(staff)
    assert f"{teti.receipt_no} 已办结" in staff.locator(".messages").inner_text()
    fits.all_checked()
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.DONE and delivery.result == RESULT
