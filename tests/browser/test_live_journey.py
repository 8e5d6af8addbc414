"""Issue 15, live inboxes: pages left open update themselves. A 特提 registered (through the register action, as
the clerk's 保存并编号 does) and routed appears in 自治区总工会's open 本单位来电 within 5 s, without a reload, under
a red banner that beeps once; the unit mutes the sound and the choice outlives a reload. The leader's open 待批示
and the unit's second tab (我的提醒) follow too. Screenshots: test-output/browser/…"""
from __future__ import annotations

import time

import pytest
from django.contrib.sessions.models import Session
from django.urls import reverse
from playwright.sync_api import expect

from notifications.models import Alert
from tests import factories

from .conftest import PHONE
from .helpers import SidewaysCheck, login, tap_height

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WITHIN = 5_000  # ms: the promise, from the change to the open page showing it
MUTED_KEY = "mingdian.teti.muted.{}"  # static/js/live.js, per person
# Headless Chromium lets any page sound. Browsers may keep a page's audio suspended until the person has touched
# that page (Chromium's autoplay policy): here the page's AudioContext resumes only after a touch, click or key in it.
AUTOPLAY_POLICY = """(() => {
  let touched = false;
  for (const type of ["pointerdown", "keydown"]) {
    window.addEventListener(type, (e) => { if (e.isTrusted) touched = true; }, true);
  }
  const Real = window.AudioContext;
  window.AudioContext = class extends Real {
    get state() { return touched ? super.state : "suspended"; }
    resume() { return touched ? super.resume() : new Promise(() => {}); }
  };
})();"""


def mark_document(page) -> None:
    """A reload would lose this: proves the page changed in place."""
    page.evaluate("window.__stillTheSamePage = true")


def same_document(page) -> bool:
    return page.evaluate("window.__stillTheSamePage === true")


def test_a_teti_shows_up_in_the_units_open_inbox_with_banner_and_sound(new_page, shots, demo):
    clerk = demo["clerk"]
    staff = new_page()
    login(staff, "zonggonghui")
    assert staff.url.endswith(reverse("routing:inbox"))
    assert staff.locator("#inbox tbody td.empty").inner_text() == "没有来电"
    assert not staff.locator("#live-alert").is_visible() and not staff.locator("#alerts-badge").is_visible()
    staff.locator("h1").click()  # the person touched the page once: from then on the browser lets it sound
    mark_document(staff)
    # A second tab of the same person, on 我的提醒.
    alerts_tab = staff.context.new_page()
    alerts_tab.goto(reverse("notifications:list"))
    mark_document(alerts_tab)

    teti = factories.register(clerk)  # the seed: 特提, 送：自治区总工会。
    factories.route_pending(teti)  # what the worker does (tests/browser/test_routing_journey.py runs a real one)
    routed = time.monotonic()
    row = staff.locator("#inbox tbody tr", has_text=teti.receipt_no)
    row.wait_for(timeout=WITHIN)
    took = time.monotonic() - routed
    assert same_document(staff), "the inbox was reloaded, not updated in place"
    assert "urgent" in row.get_attribute("class")
    assert staff.locator(".tabs a.active").inner_text() == "待签收1"

    banner = staff.locator("#live-alert")
    banner.wait_for(timeout=WITHIN)
    assert banner.locator(".live-alert-title").inner_text() == "特提来电"
    link = banner.get_by_role("link")
    assert teti.receipt_no in link.inner_text() and link.get_attribute("href") == reverse("telegrams:detail", args=[teti.pk])
    assert staff.locator("#alerts-badge").inner_text() == "1"
    assert staff.title().startswith("【特提】")
    expect(staff.locator("#live-alert")).to_have_attribute("data-sound", "played", timeout=WITHIN)
    assert banner.get_attribute("data-beeps") == "1"
    shots(staff, "teti-arrives-in-open-inbox", full_page=False, docs="live-unit-inbox-teti")
    print(f"特提 shown {took:.1f} s after it was routed")

    # The other tab updated its list and shows the banner too, but stays quiet: the first tab announced it.
    alerts_tab.locator("#alerts tbody tr", has_text=teti.receipt_no).wait_for(timeout=WITHIN)
    assert same_document(alerts_tab)
    alerts_tab.locator("#live-alert").wait_for(timeout=WITHIN)
    assert alerts_tab.locator("#live-alert").get_attribute("data-beeps") is None
    assert alerts_tab.locator("h1 .count").inner_text() == "1"
    shots(alerts_tab, "alerts-list-updated", full_page=False)

    # Mute: remembered in this browser, shown on both tabs; 知道了 puts the banner away.
    banner.get_by_role("button", name="静音").click()
    assert staff.evaluate(f"localStorage.getItem('{MUTED_KEY.format(demo['zonggonghui'].pk)}')") == "1"
    assert banner.get_by_role("button", name="取消静音").is_visible()
    banner.get_by_role("button", name="知道了").click()
    assert not banner.is_visible()
    assert not staff.title().startswith("【特提】")

    staff.reload()
    mark_document(staff)
    assert not staff.locator("#live-alert").is_visible()  # dismissed stays dismissed
    second = factories.another(clerk, precedence="特提", title="关于紧急事项的通知")
    factories.route_pending(second)
    staff.locator("#inbox tbody tr", has_text=second.receipt_no).wait_for(timeout=WITHIN)
    banner.wait_for(timeout=WITHIN)
    assert second.receipt_no in banner.inner_text()
    # Whichever tab's poll saw it first announced it — silently now, and the other tab stayed quiet anyway.
    sounds = lambda: [p.locator("#live-alert").get_attribute("data-sound") for p in (staff, alerts_tab)]  # noqa: E731
    deadline = time.monotonic() + WITHIN / 1000
    while "muted" not in sounds() and time.monotonic() < deadline:
        staff.wait_for_timeout(100)
    assert "muted" in sounds() and "played" not in sounds()[:1]
    assert [p.locator("#live-alert").get_attribute("data-beeps") for p in (staff, alerts_tab)] == [None, None]
    assert banner.get_by_role("button", name="取消静音").is_visible()  # the reload kept the choice
    assert staff.locator(".tabs a.active").inner_text() == "待签收2"
    assert same_document(staff)
    shots(staff, "second-teti-muted", full_page=False)

    # Signing in one tab: the inbox and the badge follow, the banner goes once its alerts are read.
    with staff.expect_navigation():
        staff.locator("#inbox tbody tr", has_text=second.receipt_no).get_by_role("link").first.click()
    assert Alert.objects.filter(telegram=second, user=demo["zonggonghui"], read_at__isnull=False).exists()
    alerts_tab.locator("#alerts-badge").filter(has_text="1").wait_for(timeout=WITHIN)
    assert same_document(alerts_tab)

    # The session ends (30 idle minutes — the polls never renew it —, or 退出 in another tab): the page says so.
    Session.objects.all().delete()
    status = alerts_tab.locator("#live-status")
    status.wait_for(timeout=WITHIN)
    assert status.inner_text() == "登录已过期，本页面不再自动更新。 重新登录"
    assert status.get_by_role("link").get_attribute("href") == "/accounts/login/?next=%2Falerts%2F"
    shots(alerts_tab, "session-ended", full_page=False)


def test_the_leaders_open_inbox_and_a_phone_follow_a_teti(new_page, shots, demo):
    clerk = demo["clerk"]
    leader = new_page()
    login(leader, "leader")
    assert leader.url.endswith(reverse("annotations:inbox"))
    assert leader.locator("h1 .count").inner_text() == "0"
    mark_document(leader)
    phone = new_page(PHONE)
    phone.context.add_init_script(AUTOPLAY_POLICY)
    fits = SidewaysCheck(phone)
    phone.goto("/accounts/login/")
    fits(phone)
    login(phone, "caizheng")
    fits(phone)
    mark_document(phone)


    waiting = factories.register(clerk, instruction="")  # 特提 without a 批办: waits for a 批示
    leader.locator("#inbox tbody tr", has_text=waiting.receipt_no).wait_for(timeout=WITHIN)
    assert same_document(leader)
    assert leader.locator("h1 .count").inner_text() == "1"
    assert leader.locator("#alerts").get_by_text(waiting.receipt_no).count() == 1  # the unread-alerts panel too
    leader.locator("#live-alert").wait_for(timeout=WITHIN)
    assert waiting.receipt_no in leader.locator("#live-alert").inner_text()
    expect(leader.locator("#live-alert")).to_have_attribute("data-sound", "played", timeout=WITHIN)
    shots(leader, "leader-inbox-teti", full_page=False, docs="live-leader-inbox-teti")

    factories.annotate(waiting, demo["leader"], "请财政厅办理。")  # written elsewhere (another leader, a phone)
    factories.route_pending(waiting)
    leader.locator("#inbox tbody td.empty").wait_for(timeout=WITHIN)
    assert same_document(leader)

    # 自治区财政厅 on a phone: the row and the banner, and nothing wider than the screen.
    card = phone.locator("#inbox tbody tr", has_text=waiting.receipt_no)
    card.wait_for(timeout=WITHIN)
    assert same_document(phone)
    banner = phone.locator("#live-alert")
    banner.wait_for(timeout=WITHIN)
    fits(phone)
    box = banner.bounding_box()
    assert box["x"] >= 0 and box["width"] <= PHONE["width"]
    assert banner.get_by_role("button", name="知道了").bounding_box()["height"] >= 44
    # Not touched yet, so the browser kept it silent: the banner offers to turn the sound on, and one tap does.
    expect(phone.locator("#live-alert")).to_have_attribute("data-sound", "blocked", timeout=WITHIN)
    turn_on = banner.get_by_role("button", name="开启提示音")
    assert tap_height(turn_on) >= 44
    shots(phone, "phone-teti-banner", full_page=False, docs="phone-live-teti")
    turn_on.tap()
    expect(phone.locator("#live-alert")).to_have_attribute("data-sound", "played", timeout=WITHIN)
    assert banner.get_by_role("button", name="静音").is_visible()
    fits.all_checked()
