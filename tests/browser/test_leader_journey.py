"""Issue 4 in a real browser with a real Celery worker: the leader writes a routing 批示 on the 特提 telegram at the
top of 待批示, confirms the units it names, 财政厅 finds it to sign, and the audit log holds both steps and verifies."""
from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from routing.models import Delivery
from telegrams.models import Telegram
from tests.telegrams.helpers import SEED_FORM, form

from .helpers import login, reload_until

pytestmark = [
    pytest.mark.browser, pytest.mark.worker,
    pytest.mark.django_db(transaction=True),  # keep the migrations' role groups
]

INSTRUCTION = "请财政厅牵头，民政厅配合办理。"


def test_leader_routes_the_teti_telegram_by_a_pishi_and_caizheng_and_the_audit_log_see_it(
    celery_worker_process, new_page, shots, demo, clerk_client
):
    # Three telegrams wait for a 批示 (no 批办): the 特提 one arrived last but must be read first.
    for n, (precedence, received) in enumerate((("平急", "2020-04-28T09:10"), ("加急", "2020-04-29T16:00"))):
        response = clerk_client.post(reverse("telegrams:create"), form(
            precedence=precedence, received_at=received, instruction="", sender_doc_no=f"工发电〔2020〕{n + 3}号",
            title=f"关于做好{precedence}事项的通知",
        ))
        assert response.status_code == 302
    assert clerk_client.post(reverse("telegrams:create"), form(instruction="")).status_code == 302
    teti = Telegram.objects.get(precedence="特提")

    leader = new_page()
    login(leader, "leader")
    leader.get_by_role("link", name="待批示").click()
    leader.wait_for_url("**/annotations/inbox/")
    rows = leader.locator("#inbox tbody tr")
    assert rows.count() == 3
    top = rows.first
    assert top.locator("td").nth(0).inner_text() == teti.receipt_no
    assert top.locator(".prec").inner_text() == "特提" and "urgent" in top.get_attribute("class")
    shots(leader, "leader-inbox", docs="leader-inbox-teti-first")

    top.get_by_role("link", name=SEED_FORM["title"]).click()
    leader.wait_for_url(f"**{reverse('telegrams:detail', args=[teti.pk])}")
    leader.get_by_label("写批示").fill(INSTRUCTION)
    with leader.expect_navigation():
        leader.get_by_role("button", name="提交批示").click()
    # The leader checks which units the 批示 names before anything is sent.
    routes = [r.locator("td").all_inner_texts() for r in leader.locator("#routes tbody tr").all()]
    assert routes == [["自治区财政厅", "牵头", "将分送"], ["自治区民政厅", "配合", "将分送"]]
    assert not Delivery.objects.exists()
    shots(leader, "confirm-units", docs="pishi-confirm-units")
    with leader.expect_navigation():
        leader.get_by_role("button", name="确认并提交").click()
    assert "批示已保存，正在分送：自治区财政厅（牵头）、自治区民政厅（配合）。" in leader.locator(".messages").inner_text()
    annotations = leader.locator("#annotations")
    assert INSTRUCTION in annotations.inner_text() and "李领导" in annotations.inner_text()
    shots(leader, "telegram-with-pishi")

    # 自治区财政厅's 承办人 finds it to sign for, as the lead unit.
    caizheng = new_page()
    login(caizheng, "caizheng")
    caizheng.get_by_role("link", name="本单位来电").click()
    row = caizheng.locator("#inbox tbody tr", has_text=teti.receipt_no)
    reload_until(caizheng, row, celery_worker_process)
    assert caizheng.locator(".tabs a.active").inner_text().startswith("待签收")
    assert row.locator("td").nth(4).inner_text() == "牵头"
    assert row.get_by_role("button", name="签收").count() == 1
    shots(caizheng, "caizheng-inbox")

    # The admin finds both steps in the audit log, and the chain verifies.
    admin = new_page()
    login(admin, "admin")
    admin.get_by_role("link", name="审计日志").click()
    admin.wait_for_url("**/audit/")
    admin.get_by_label("收文号/对象").fill(teti.receipt_no)
    with admin.expect_navigation():
        admin.get_by_role("button", name="查询").click()
    actions = [cell.splitlines()[0] for cell in admin.locator("#audit-entries tbody tr td:nth-child(4)").all_inner_texts()]
    assert "批示" in actions and "送达单位" in actions, actions
    pishi = admin.locator("#audit-entries tbody tr").filter(has=admin.locator("td[title='annotation.write']"))
    assert pishi.locator("td").nth(2).inner_text().splitlines() == ["李领导", "leader"]
    # The object is named by its receipt number, and the data as labelled fields, in Chinese.
    assert pishi.locator("td").nth(4).inner_text() == f"批示：{teti.receipt_no} · 李领导第1版批示"
    fields = pishi.locator("td.audit-data > dl > dt").all_inner_texts()
    assert {"收文号", "分送单位", "版本"} <= set(fields), fields
    assert INSTRUCTION not in pishi.inner_text()  # the ledger keeps a keyed digest, not the 批示 in clear
    shots(admin, "audit-log", docs="audit-log")

    admin.get_by_role("link", name="校验与公钥").click()
    with admin.expect_navigation():
        admin.get_by_role("button", name="立即校验").click()
    latest = admin.locator("#verification-runs tbody tr").first
    # The page refreshes itself while the run is queued or running: nobody reloads it here.
    expect(latest).to_contain_text("通过", timeout=30_000)
    assert " · OK " in latest.inner_text()
    shots(admin, "audit-verified", docs="audit-verified")
