"""Issue 16 in Chromium: the admin gives 自治区总工会's OA system an account and a token on the 接口账号 page, the
system follows its deliveries with it, the page shows the token's last use, the admin revokes it; Swagger UI
renders from the app's own files under the strict CSP. The 接口账号 page on a phone does not scroll sideways."""
from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from tests import factories

from .conftest import PHONE
from .helpers import SidewaysCheck, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def call(base: str, key: str, path: str) -> int:
    request = urllib.request.Request(base + path, headers={"Authorization": f"Token {key}"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            json.loads(response.read())
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_admin_issues_a_token_to_a_units_system_and_revokes_it(new_page, shots, live_server, demo):
    telegram = factories.register(demo["clerk"])
    factories.route_pending(telegram)

    admin = new_page()
    login(admin, "admin")
    admin.get_by_role("link", name="接口账号").click()
    admin.wait_for_url("**/integrations/")
    admin.get_by_label("账号名").fill("zgh-oa")
    admin.get_by_label("名称").fill("总工会OA")
    admin.get_by_label("角色").select_option("承办人")
    admin.get_by_label("所在单位").select_option(label="自治区总工会")
    admin.get_by_label("用途").fill("总工会OA接收来电")
    with admin.expect_navigation():
        admin.get_by_role("button", name="创建并签发令牌").click()
    key = admin.locator("#new-token code.token").inner_text()
    assert len(key) == 40 and "令牌只在此显示一次" in admin.locator("#new-token").inner_text()
    assert "总工会OA" in admin.locator("#accounts").inner_text()
    shots(admin, "new-token", docs="integrations-new-token")

    assert call(live_server.url, key, "/api/v1/deliveries/") == 200
    admin.goto("/integrations/")
    row = admin.locator("#tokens tbody tr", has_text="zgh-oa")
    assert "从未使用" not in row.inner_text() and "有效" in row.inner_text()
    assert key not in admin.content()  # shown once
    with admin.expect_navigation():
        row.get_by_role("button", name="撤销").click()
    assert "已撤销" in admin.locator(".messages").inner_text()
    assert "已撤销" in admin.locator("#tokens tbody tr", has_text="zgh-oa").inner_text()
    shots(admin, "revoked", docs="integrations-tokens")
    assert call(live_server.url, key, "/api/v1/deliveries/") == 401

    phone = new_page(PHONE)
    sideways = SidewaysCheck(phone)
    login(phone, "admin")
    phone.goto("/integrations/")
    sideways(phone)
    shots(phone, "phone", docs="phone-integrations")


def test_swagger_ui_renders_from_our_own_files_under_the_csp(new_page, shots, live_server, demo):
    page = new_page()
    violations, outside = [], []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(live_server.url) else None)
    login(page, "clerk")
    page.goto("/api/v1/docs/")
    page.locator(".swagger-ui .info .title").wait_for()
    assert "明电收文管理系统 API" in page.locator(".swagger-ui .info .title").inner_text()
    page.locator(".opblock-summary", has_text="/api/v1/telegrams/").first.wait_for()
    assert page.locator(".opblock-tag-section").count() >= 2  # telegrams, deliveries
    shots(page, "swagger", docs="api-docs-swagger")

    phone = new_page(PHONE)
    login(phone, "zonggonghui")
    phone.goto("/api/v1/docs/")
    phone.locator(".opblock-summary", has_text="/api/v1/deliveries/").first.wait_for()
    SidewaysCheck(phone)(phone)
    shots(phone, "phone-swagger", full_page=False)
    assert not violations, violations
    assert not [u for u in outside if not u.startswith("data:")], outside


def test_the_clerk_adds_a_scan_on_the_telegram_page(new_page, shots, demo):
    from .helpers import tiny_png

    telegram = factories.register(demo["clerk"])
    page = new_page()
    login(page, "clerk")
    page.goto(f"/telegrams/{telegram.pk}/")
    page.get_by_label("补充扫描件").set_input_files({"name": "传真补页.png", "mimeType": "image/png", "buffer": tiny_png()})
    with page.expect_navigation():
        page.locator("#add-scans").get_by_role("button", name="上传").click()
    assert "已补充1个扫描件" in page.locator(".messages").inner_text()
    assert "传真补页.png" in page.locator("#scans").inner_text()
    page.locator("#scans").scroll_into_view_if_needed()
    shots(page, "scan-added", full_page=False, docs="telegram-page-add-scans")

    phone = new_page(PHONE)
    login(phone, "clerk")
    phone.goto(f"/telegrams/{telegram.pk}/")
    SidewaysCheck(phone)(phone)
    phone.locator("#add-scans").scroll_into_view_if_needed()
    shots(phone, "phone-scans", full_page=False)
