"""Issue 2 in a real browser: the clerk registers the seed telegram and finds it at the top of the register."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from telegrams.models import Telegram
from tests.telegrams.helpers import SEED_FORM, form

from .helpers import RED, computed, fill_registration, form_cell, login, tiny_png

# Each journey starts from the demo directory (the `demo` fixture loads it again after an earlier journey's flush).
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_clerk_registers_a_teti_telegram_with_a_scan_and_sees_it_in_red_at_the_top(
    page, shots, demo, clerk_client
):
    # Two ordinary telegrams received earlier are already on the register.
    for n, (precedence, received) in enumerate((("平急", "2020-04-28T09:10"), ("加急", "2020-04-30T15:20"))):
        response = clerk_client.post(reverse("telegrams:create"), form(
            precedence=precedence, received_at=received, instruction="", sender_doc_no=f"工发电〔2020〕{n + 3}号",
            title=f"关于做好{precedence}事项的通知",
        ))
        assert response.status_code == 302

    login(page, "clerk")
    shots(page, "register-before")
    page.get_by_role("link", name="登记来电").first.click()
    page.wait_for_url("**/telegrams/new/")
    scan = tiny_png()
    fill_registration(page, SEED_FORM, scans=[{"name": "744-扫描件.png", "mimeType": "image/png", "buffer": scan}])
    shots(page, "registration-form-filled", docs="registration-form")
    with page.expect_navigation():
        page.get_by_role("button", name="保存并编号").click()

    # The telegram page, laid out like the paper 内部明电 form.
    t = Telegram.objects.get(sender_doc_no="工发电〔2020〕7号")
    assert page.url.endswith(reverse("telegrams:detail", args=[t.pk]))
    assert t.receipt_no == "宁机明收[2020]3号"
    assert f"已登记，收文号 {t.receipt_no}" in page.locator(".messages").inner_text()
    assert page.locator("#receipt-form .heading").inner_text().replace(" ", "") == "内部明电"
    assert page.locator("#receipt-no").inner_text() == t.receipt_no
    assert form_cell(page, "来电单位").inner_text() == "中华全国总工会办公厅"
    assert form_cell(page, "等级").inner_text().split() == ["特提", "明电"]
    assert form_cell(page, "收报时间").inner_text() == "2020年5月1日21时36分"
    assert form_cell(page, "标").inner_text() == SEED_FORM["title"]
    assert page.locator("#instruction").inner_text().startswith("送：自治区总工会。")
    assert "“五一”国际劳动节" in page.locator("#telegram-text").inner_text()
    shots(page, "telegram-page", docs="telegram-page-neibu-mingdian")

    # The scan went in encrypted and comes back as the same, displayable image.
    assert t.scans.count() == 1 and t.scans.get().read() == scan
    scan_link = page.get_by_role("link", name="744-扫描件.png")
    page.goto(scan_link.get_attribute("href"))
    assert page.evaluate("document.images[0].naturalWidth") == 48
    page.go_back()

    page.get_by_role("link", name="收文登记簿").click()
    page.wait_for_url("**/telegrams/")
    first = page.locator("#register tbody tr").first
    assert first.locator("td").first.inner_text() == t.receipt_no
    assert page.locator("#register tbody tr").count() == 3
    assert "urgent" in first.get_attribute("class")
    # 特提 reads red: the title and the badge take app.css's red.
    title_link = first.get_by_role("link", name=SEED_FORM["title"])
    assert title_link.evaluate("el => getComputedStyle(el).color") == RED
    assert computed(page, "#register tbody tr:first-child .prec-特提", "background-color") == RED
    # …and only the 特提 one does.
    assert page.locator("#register tbody .urgent-text").count() == 2  # the title cell and its link
    shots(page, "register-teti-on-top", docs="register-teti-in-red-on-top")


def test_a_future_receipt_time_is_refused_in_chinese_and_nothing_is_saved(page, shots, demo):
    login(page, "clerk")
    page.goto(reverse("telegrams:create"))
    tomorrow = timezone.localtime() + timedelta(days=2)
    fill_registration(page, {**SEED_FORM, "received_at": tomorrow.strftime("%Y-%m-%dT%H:%M")})
    with page.expect_navigation():
        page.get_by_role("button", name="保存并编号").click()

    assert page.url.endswith(reverse("telegrams:create"))
    field = page.locator(".field.error", has=page.get_by_label("收报时间"))
    assert field.locator(".errorlist").inner_text() == "收报时间不能晚于当前时间。"
    assert "未保存任何内容" in page.locator("#register-form").inner_text()
    assert computed(page, "#id_received_at", "border-top-color") == RED
    # What the clerk typed is still there to correct.
    assert page.get_by_label("标题").input_value() == SEED_FORM["title"]
    shots(page, "future-time-refused", docs="registration-error-future-time")
    assert not Telegram.objects.exists()
