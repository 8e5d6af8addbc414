"""Issue 12 in a real browser, one journey per step of the 收文 procedure: the clerk's 退文 and its printed
告知单; a 阅件 read by two units; a leader's 同意拟办; 传阅 across two leaders; a unit's 退回 and the clerk's
re-route; 代签收 for a unit without an account; 答复 closing the telegram. Telegrams are registered and routed
through the factories (what the form and the worker do is covered by the other journeys); every step of the
procedure itself is clicked through the pages, and each journey saves a screenshot per step."""
from __future__ import annotations

import pytest
from django.urls import reverse

from routing.models import Delivery, DeliveryState
from telegrams.models import Telegram, TelegramState
from tests import factories
from tests.printing.helpers import pdf_text, squeeze

from .conftest import PHONE
from .helpers import SidewaysCheck, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def open_telegram(page, telegram: Telegram) -> None:
    page.goto(reverse("telegrams:detail", args=[telegram.pk]))
    assert page.locator("#receipt-no").inner_text() == telegram.receipt_no


def submit(page, name: str) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name=name).click()


def message(page) -> str:
    return page.locator("ul.messages").first.inner_text()


def delivery_row(page, unit: str):
    return page.locator(f'#deliveries tr.delivery[data-unit="{unit}"]')


# ----------------------------------------------------------------------------------------------------- 退文


def test_clerk_returns_a_telegram_with_reasons_and_prints_the_return_notice(new_page, shots, demo):
    t = factories.register(demo["clerk"])  # routed by its 批办 to 自治区总工会
    factories.route_pending(t)
    clerk = new_page()
    login(clerk, "clerk")
    open_telegram(clerk, t)
    with clerk.expect_navigation():
        clerk.locator("#return-link").click()
    form = clerk.locator("#return-form")
    form.get_by_label("重复来文").check()
    form.get_by_label("其他", exact=True).check()
    submit(clerk, "确认退文")  # 其他 without its text
    assert "勾选“其他”时请写明退文原因。" in clerk.locator("#return-form").inner_text()
    clerk.get_by_label("其他原因").fill("已由国务院办公厅转发")
    clerk.get_by_label("说明").fill("请勿重复报送。")
    shots(clerk, "return-form", docs="procedure-return-form")
    submit(clerk, "确认退文")

    assert "已退文，收文号保留" in message(clerk)
    assert clerk.locator("#receipt-no").inner_text() == t.receipt_no
    assert clerk.locator("#telegram-state").inner_text() == "已退文"
    banner = clerk.locator("#returned-banner").inner_text()
    assert "重复来文；其他：已由国务院办公厅转发" in banner and "请勿重复报送。" in banner
    assert "已撤销" in delivery_row(clerk, "自治区总工会").inner_text()
    assert "退文，撤销对自治区总工会的分送" in clerk.locator("#timeline").inner_text()
    shots(clerk, "telegram-returned")

    clerk.get_by_role("link", name="打印退文告知单").click()
    clerk.wait_for_url("**/return-notice/")
    notice = clerk.locator("#return-notice").inner_text()
    for text in ("退文告知单", t.receipt_no, "中华全国总工会：", "不属于本机关职责", "其他：已由国务院办公厅转发", "请勿重复报送。"):
        assert text in notice, text
    assert clerk.locator(".checklist-item.ticked").count() == 2
    shots(clerk, "return-notice", docs="procedure-return-notice")
    pdf = clerk.request.get(reverse("printing:return_notice_pdf", args=[t.pk]))
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    assert squeeze("重复来文") in squeeze(pdf_text(pdf.body()))
    assert Telegram.objects.get(pk=t.pk).state == TelegramState.RETURNED


# ------------------------------------------------------------------------------------------ 阅件 to units


def test_a_yuejian_is_circulated_to_two_units_and_each_marks_it_read(new_page, shots, demo):
    t = factories.register(demo["clerk"], instruction="")
    clerk = new_page()
    login(clerk, "clerk")
    open_telegram(clerk, t)
    clerk.locator("#review").get_by_label("阅件").check()
    submit(clerk, "初审通过")
    assert "初审完成：阅件。" in message(clerk)
    units = clerk.locator("#circulate-units")
    units.get_by_label("自治区总工会").check()
    units.get_by_label("自治区财政厅").check()
    shots(clerk, "yuejian-choose-units")
    submit(clerk, "传阅给所选单位")
    assert "已传阅：自治区总工会、自治区财政厅" in message(clerk)
    factories.route_pending(t)  # what the worker does after commit
    clerk.reload()
    for unit in ("自治区总工会", "自治区财政厅"):
        assert delivery_row(clerk, unit).locator(".read-receipt").inner_text() == "未读"
    shots(clerk, "yuejian-unread")

    # 总工会 opens it from its inbox (未读 there too) and marks it 已阅 on the telegram page.
    zgh = new_page()
    login(zgh, "zonggonghui")
    zgh.get_by_role("link", name="本单位来电").click()
    row = zgh.locator("#inbox tbody tr", has_text=t.receipt_no)
    assert "未读" in row.inner_text() and row.get_by_role("button", name="已阅").count() == 1
    with zgh.expect_navigation():
        row.get_by_role("link", name=t.title).click()
    shots(zgh, "unit-opens-yuejian")
    clerk.reload()
    assert delivery_row(clerk, "自治区总工会").locator(".read-receipt").inner_text() == "已读"
    with zgh.expect_navigation():
        zgh.locator("#my-delivery").get_by_role("button", name="已阅").click()
    assert f"已阅 {t.receipt_no}" in message(zgh)

    # 财政厅 marks it 已阅 straight from its inbox.
    cz = new_page()
    login(cz, "caizheng")
    cz.get_by_role("link", name="本单位来电").click()
    with cz.expect_navigation():
        cz.locator("#inbox tbody tr", has_text=t.receipt_no).get_by_role("button", name="已阅").click()
    shots(cz, "unit-marked-read")

    clerk.reload()
    assert [delivery_row(clerk, u).locator(".read-receipt").inner_text() for u in ("自治区总工会", "自治区财政厅")] == ["已阅", "已阅"]
    assert clerk.locator("#telegram-state").inner_text() == "已办结"
    clerk.locator("#deliveries-panel").scroll_into_view_if_needed()
    shots(clerk, "yuejian-all-read", docs="procedure-yuejian-read-receipts")


# -------------------------------------------------------------------------------------------- 同意拟办


def test_the_leader_approves_the_proposal_in_one_action(new_page, shots, demo):
    t = factories.register(demo["clerk"], instruction="")
    clerk = new_page()
    login(clerk, "clerk")
    open_telegram(clerk, t)
    with clerk.expect_navigation():
        clerk.locator("#propose-link").click()
    clerk.get_by_label("拟办意见").fill("拟请财政厅牵头，民政厅配合办理。")
    submit(clerk, "保存拟办意见")
    assert clerk.locator("#proposal-text").inner_text() == "拟请财政厅牵头，民政厅配合办理。"

    leader = new_page()
    login(leader, "leader")
    leader.get_by_role("link", name="待批示").click()
    row = leader.locator("#inbox tbody tr", has_text=t.receipt_no)
    assert "拟请财政厅牵头，民政厅配合办理。" in row.inner_text()
    with leader.expect_navigation():
        row.get_by_role("link", name=t.title).click()
    approve = leader.locator("#proposal-approve")
    assert "同意后分送：自治区财政厅（牵头）、自治区民政厅（配合，尚无承办人账号）" in approve.inner_text()
    shots(leader, "proposal-to-approve", docs="procedure-approve-proposal")
    with leader.expect_navigation():
        approve.get_by_role("button", name="同意拟办").click()
    assert "已同意拟办，按拟办分送：自治区财政厅（牵头）、自治区民政厅（配合）。" in message(leader)
    assert "同意拟办。" in leader.locator("#annotations").inner_text()
    assert "李领导已于" in leader.locator("#proposal-approved").inner_text()
    assert leader.locator("#proposal-approve").count() == 0  # one approval
    shots(leader, "proposal-approved")

    factories.route_pending(t)
    assert sorted(Delivery.objects.filter(telegram=t).values_list("unit__name", "role")) == [
        ("自治区民政厅", "assist"), ("自治区财政厅", "lead")]
    cz = new_page()
    login(cz, "caizheng")
    cz.get_by_role("link", name="本单位来电").click()
    assert cz.locator("#inbox tbody tr", has_text=t.receipt_no).locator("td").nth(4).inner_text() == "牵头"
    shots(cz, "caizheng-gets-it")


# ---------------------------------------------------------------------------------- 传阅 among two leaders


def test_a_telegram_goes_round_two_leaders_with_read_receipts(new_page, shots, demo):
    t = factories.register(demo["clerk"], instruction="")
    clerk = new_page()
    login(clerk, "clerk")
    open_telegram(clerk, t)
    circulation = clerk.locator("#circulation")
    circulation.get_by_label("第1位").select_option(label="李领导")
    circulation.get_by_label("第2位").select_option(label="陈领导")
    with clerk.expect_navigation():
        circulation.get_by_role("button", name="发起传阅").click()
    assert "已发起传阅：李领导 → 陈领导。" in message(clerk)
    steps = clerk.locator("#circulation .circulation-steps tr")
    assert "李领导" in steps.nth(1).inner_text() and "未读" in steps.nth(1).inner_text()
    assert "未送达" in steps.nth(2).inner_text()
    shots(clerk, "circulation-started")

    leader = new_page(PHONE)  # leaders do this on a phone
    fits = SidewaysCheck(leader)
    leader.goto("/accounts/login/")
    fits(leader)
    login(leader, "leader")  # lands on 待批示
    row = leader.locator("#inbox tbody tr", has_text=t.receipt_no)
    assert "传阅：请您阅" in row.inner_text()
    fits(leader)
    with leader.expect_navigation():
        row.get_by_role("link", name=t.title).click()
    fits(leader)
    leader.get_by_label("写批示").fill("已阅。同意。")
    submit(leader, "提交批示")
    assert "批示已保存" in message(leader)
    fits(leader)
    leader.locator("#circulation").scroll_into_view_if_needed()
    shots(leader, "leader-holds-it-phone", docs="phone-leader-circulation")
    with leader.expect_navigation():
        leader.locator("#pass-on").click()
    assert "已阅，传陈领导。" in message(leader)
    fits(leader)
    fits.all_checked()

    clerk.reload()
    first, second = clerk.locator("#circulation .circulation-steps tr").nth(1), clerk.locator("#circulation .circulation-steps tr").nth(2)
    assert "已阅" in first.inner_text() and "阅毕" in first.inner_text()
    assert "未读" in second.inner_text() and "（在此）" in second.inner_text()

    chen = new_page()
    login(chen, "leader2")
    chen.get_by_role("link", name="提醒").click()
    with chen.expect_navigation():
        chen.locator("#alerts tbody tr", has_text="李领导传阅").get_by_role("link").click()
    assert "已阅。同意。" in chen.locator("#annotations").inner_text()
    shots(chen, "second-leader-reads")
    with chen.expect_navigation():
        chen.get_by_role("button", name="阅毕（传阅完毕）").click()
    assert "已阅，传阅完毕。" in message(chen)

    clerk.reload()
    rows = clerk.locator("#circulation .circulation-steps tr")
    assert [rows.nth(i).locator(".read-receipt").inner_text() for i in (1, 2)] == ["已阅", "已阅"]
    assert "传阅完毕" in clerk.locator("#circulation").inner_text()
    assert "传阅阅毕" in clerk.locator("#timeline").inner_text()
    clerk.locator("#circulation").scroll_into_view_if_needed()
    shots(clerk, "circulation-finished", docs="procedure-circulation")


# ------------------------------------------------------------------------------- 退回 and the clerk's re-route


def test_a_unit_sends_a_telegram_back_and_the_clerk_routes_it_to_the_right_unit(new_page, shots, demo):
    t = factories.register(demo["clerk"])  # the seed: 送：自治区总工会
    factories.route_pending(t)
    zgh = new_page(PHONE)  # the unit's 承办人 on a phone
    fits = SidewaysCheck(zgh)
    zgh.goto("/accounts/login/")
    fits(zgh)
    login(zgh, "zonggonghui")  # lands on 本单位来电
    fits(zgh)
    with zgh.expect_navigation():
        zgh.locator("#inbox tbody tr", has_text=t.receipt_no).get_by_role("link", name="退回").click()
    fits(zgh)
    submit(zgh, "确认退回")
    assert "请填写退回原因。" in zgh.locator("#hand-back-form").inner_text()
    fits(zgh)
    zgh.get_by_label("退回原因").fill("该事项由财政厅主管，非本单位职责。")
    shots(zgh, "hand-back-phone", docs="phone-unit-hand-back")
    submit(zgh, "确认退回")
    assert f"已退回 {t.receipt_no}" in message(zgh)
    fits(zgh)
    fits.all_checked()

    clerk = new_page()
    login(clerk, "clerk")
    clerk.get_by_role("link", name="收文登记簿").click()
    with clerk.expect_navigation():
        clerk.locator("#handback-banner a").click()
    row = clerk.locator("#handbacks tbody tr", has_text=t.receipt_no)
    assert "该事项由财政厅主管，非本单位职责。" in row.inner_text()
    row.get_by_label("改送单位").select_option(label="自治区财政厅")
    shots(clerk, "handback-to-reroute", docs="procedure-reroute")
    with clerk.expect_navigation():
        row.get_by_role("button", name="改送").click()
    assert "已改送自治区财政厅。" in message(clerk)
    factories.route_pending(t)

    open_telegram(clerk, t)
    assert "已退回" in delivery_row(clerk, "自治区总工会").inner_text()
    assert "该事项由财政厅主管" in clerk.locator("#deliveries").inner_text()
    assert "已改送自治区财政厅" in clerk.locator("#deliveries").inner_text()
    assert "待签收" in delivery_row(clerk, "自治区财政厅").inner_text()
    timeline = clerk.locator("#timeline").inner_text()
    assert "退回：该事项由财政厅主管，非本单位职责。" in timeline and "改送自治区财政厅" in timeline
    shots(clerk, "rerouted-telegram")


# ---------------------------------------------------------------------------------------------------- 代签收


def test_the_clerk_signs_for_a_unit_without_an_account(new_page, shots, demo):
    t = factories.register(demo["clerk"], instruction="送：自治区民政厅。")
    factories.route_pending(t)  # the routing alerts the clerks: nobody at 民政厅 can sign
    clerk = new_page()
    login(clerk, "clerk")
    clerk.get_by_role("link", name="提醒").click()
    alert = clerk.locator("#alerts tbody tr", has_text="请代签收")
    assert "自治区民政厅" in alert.inner_text() and "待代签收" in alert.inner_text()
    shots(clerk, "no-staff-alert")
    with clerk.expect_navigation():
        alert.get_by_role("link").click()
    row = delivery_row(clerk, "自治区民政厅")
    assert "该单位尚无承办人账号" in row.inner_text()
    with clerk.expect_navigation():
        row.get_by_role("button", name="代签收").click()
    assert f"已为自治区民政厅代签收 {t.receipt_no}" in message(clerk)
    assert "代签：王机要" in delivery_row(clerk, "自治区民政厅").inner_text()
    clerk.locator("#deliveries-panel").scroll_into_view_if_needed()
    shots(clerk, "proxy-signed", docs="procedure-proxy-sign")
    with clerk.expect_navigation():
        delivery_row(clerk, "自治区民政厅").get_by_role("link", name="代登记办结").click()
    assert "代登记办结" in clerk.locator("h1").inner_text()
    clerk.get_by_label("办理结果").fill("已电话通知民政厅办公室，按要求落实。")
    submit(clerk, "确认办结")
    assert clerk.locator("#telegram-state").inner_text() == "已办结"
    assert "已电话通知民政厅办公室" in clerk.locator("#deliveries").inner_text()
    shots(clerk, "proxy-done")
    d = Delivery.objects.get(telegram=t)
    assert (d.state, d.proxy_signed, d.signed_by.username) == (DeliveryState.DONE, True, "clerk")


# ----------------------------------------------------------------------------------------------------- 答复


def test_a_reply_to_the_sender_closes_the_telegram(new_page, shots, demo):
    t = factories.register(demo["clerk"])
    factories.sign_and_finish(t, demo["zonggonghui"], "已转发各市总工会学习贯彻。")
    clerk = new_page()
    login(clerk, "clerk")
    open_telegram(clerk, t)
    assert clerk.locator("#telegram-state").inner_text() == "已办结"
    with clerk.expect_navigation():
        clerk.locator("#reply-link").click()
    submit(clerk, "登记答复并办毕")
    assert "请选择答复方式（电报、传真或公文）。" in clerk.locator("#reply-form").inner_text()
    clerk.get_by_label("答复方式").select_option(label="传真")
    clerk.get_by_label("答复文号").fill("宁工传〔2020〕5号")
    clerk.get_by_label("答复内容").fill("我区已转发各市总工会学习贯彻，情况如下……")
    assert clerk.get_by_label("答复人").input_value() == "王机要"
    shots(clerk, "reply-form", docs="procedure-reply-form")
    submit(clerk, "登记答复并办毕")
    assert "已答复，办毕" in message(clerk)
    assert clerk.locator("#telegram-state").inner_text() == "已办毕"
    replies = clerk.locator("#replies").inner_text()
    assert "传真答复" in replies and "宁工传〔2020〕5号" in replies and "我区已转发各市总工会学习贯彻" in replies
    assert clerk.locator("#reply-link").count() == 0  # closed: nothing more to reply
    shots(clerk, "telegram-closed")
    clerk.locator("#print-slip").click()
    clerk.wait_for_url("**/print/telegrams/*/")
    slip = clerk.locator("#slip").inner_text()
    assert "传真答复" in slip and "已转发各市总工会学习贯彻。" in slip
    shots(clerk, "slip-with-reply")
    assert Telegram.objects.get(pk=t.pk).state == TelegramState.CLOSED
