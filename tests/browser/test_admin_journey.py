"""Issue 15 for the admin, in Chromium: the directory in the app's own look (a unit with aliases typed as tags,
a staff member created in one form, a CSV import that fails whole and then succeeds) and the audit log read as
people read it (operator by user name, objects by name with links, data as labelled fields). Then the same pages
on a phone: none scrolls sideways."""
from __future__ import annotations

import pytest
from django.urls import reverse

from audit.models import AuditEntry
from directory.models import Unit

from .conftest import PHONE
from .helpers import SidewaysCheck, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BAD_CSV = "name,short_name,aliases,parent\n自治区审计厅办公室,审计厅办公室,,自治区审计厅\n宁东管委会,宁东,,不存在的单位\n"
GOOD_CSV = "name,short_name,aliases,parent\n自治区审计厅办公室,审计厅办公室,,自治区审计厅\n宁东管委会,宁东,宁东基地管委会,\n"


def test_admin_keeps_the_directory_and_reads_the_audit_log_in_plain_chinese(new_page, shots, demo):
    admin = new_page()
    login(admin, "admin")
    assert admin.url.endswith(reverse("routing:history"))  # lands on 流转记录

    admin.get_by_role("link", name="机构与人员").click()
    admin.wait_for_url("**/directory/units/")
    # Whether a unit has staff: 自治区财政厅 has one, 自治区民政厅 none (a delivery there would wait for nobody).
    assert admin.locator("#units tbody tr", has_text="自治区财政厅").locator("td").nth(4).inner_text() == "1 人"
    assert admin.locator("#units tbody tr", has_text="自治区民政厅").locator("td").nth(4).inner_text() == "无"
    shots(admin, "units", docs="directory-units")

    # A new unit; its aliases are typed as tags (Enter adds one, × removes one), not as JSON.
    admin.get_by_role("link", name="新增单位").click()
    admin.wait_for_url("**/directory/units/new/")
    admin.get_by_label("名称").fill("自治区审计厅")
    admin.get_by_label("简称").fill("审计厅")
    aliases = admin.get_by_label("别名")
    aliases.fill("区审计厅")
    aliases.press("Enter")
    aliases.fill("审计机关")
    aliases.press("Enter")
    chips = admin.locator(".tags-input .tag-chip span")
    assert chips.all_inner_texts() == ["区审计厅", "审计机关"]
    admin.get_by_role("button", name="删除 审计机关").click()
    assert chips.all_inner_texts() == ["区审计厅"]
    shots(admin, "unit-form", docs="directory-unit-aliases")
    with admin.expect_navigation():
        admin.get_by_role("button", name="保存").click()
    assert "已新增单位：自治区审计厅" in admin.locator(".messages").inner_text()
    unit = Unit.objects.get(name="自治区审计厅")
    assert unit.aliases == ["区审计厅"] and unit.short_name == "审计厅" and unit.active

    # Its first staff member: account, role and unit in one form.
    admin.locator("#units tbody tr", has_text="自治区审计厅").get_by_role("link", name="自治区审计厅").click()
    admin.wait_for_url(f"**/directory/units/{unit.pk}/")
    assert "本单位还没有人员" in admin.locator("#unit-people").inner_text()
    admin.get_by_role("link", name="为本单位新增人员").click()
    admin.wait_for_url("**/directory/people/new/?unit=*")
    assert admin.get_by_label("角色").input_value() == "承办人"
    assert admin.get_by_label("所在单位").locator("option:checked").inner_text() == "自治区审计厅"
    admin.get_by_label("用户名").fill("shenji")
    admin.get_by_label("姓名").fill("钱承办")
    shots(admin, "person-form", docs="directory-person-form")
    admin.get_by_label("初始密码").fill("123")
    with admin.expect_navigation():
        admin.get_by_role("button", name="保存").click()
    assert "密码太短，至少需要10个字符。" in admin.locator(".field.error").inner_text()  # refused, nothing written
    assert not AuditEntry.objects.filter(action="directory.user_created", data__contains="shenji").exists()
    shots(admin, "person-form-refused")
    admin.get_by_label("初始密码").fill("Shenji-2026-mingdian")
    with admin.expect_navigation():
        admin.get_by_role("button", name="保存").click()
    assert "已新增人员：钱承办（shenji）" in admin.locator(".messages").inner_text()
    assert admin.locator("#people tbody tr", has_text="shenji").locator("td").nth(3).inner_text() == "自治区审计厅"

    # The new person logs in and lands on their unit's inbox.
    newcomer = new_page()
    login(newcomer, "shenji", "Shenji-2026-mingdian")
    assert newcomer.url.endswith(reverse("routing:inbox"))
    assert "自治区审计厅" in newcomer.locator("h1").inner_text()

    # CSV import from the page: one bad row and nothing is written; corrected, both rows go in.
    admin.get_by_role("link", name="导入单位").click()
    admin.get_by_label("CSV 文件").set_input_files({"name": "units.csv", "mimeType": "text/csv", "buffer": BAD_CSV.encode()})
    with admin.expect_navigation():
        admin.get_by_role("button", name="导入").click()
    assert "导入失败，未做任何修改：第3行：上级单位“不存在的单位”不存在" in admin.locator("#import-form").inner_text()
    assert not Unit.objects.filter(name="自治区审计厅办公室").exists()
    admin.get_by_label("CSV 文件").set_input_files({"name": "units.csv", "mimeType": "text/csv", "buffer": GOOD_CSV.encode("gb18030")})
    with admin.expect_navigation():
        admin.get_by_role("button", name="导入").click()
    assert "导入完成：新增 2，更新 0，未变 0。" in admin.locator(".messages").inner_text()
    assert Unit.objects.get(name="自治区审计厅办公室").parent == unit

    # The audit log, for people: the operator by user name, objects by name (linked), data as fields.
    admin.get_by_role("link", name="审计日志").click()
    admin.wait_for_url("**/audit/")
    admin.get_by_label("操作人").fill("admin")
    with admin.expect_navigation():
        admin.get_by_role("button", name="查询").click()
    rows = admin.locator("#audit-entries tbody tr")
    assert {r.splitlines()[0] for r in rows.locator("td:nth-child(3)").all_inner_texts()} == {"刘管理"}
    actions = rows.locator("td:nth-child(4)").all_inner_texts()
    assert actions[:3] == ["导入单位", "创建用户", "保存单位"], actions
    created = rows.nth(1)
    assert created.locator("td").nth(4).inner_text() == "用户：钱承办（shenji）"
    fields = dict(zip(created.locator("td.audit-data > dl > dt").all_inner_texts(),
                      created.locator("td.audit-data > dl > dd").all_inner_texts(), strict=True))
    assert fields["用户名"] == "shenji" and fields["角色"] == "承办人" and fields["所在单位"] == "自治区审计厅"
    assert "directory.user_created" not in created.inner_text()  # codes stay out of sight
    shots(admin, "audit-log-people", docs="audit-log-for-people")
    created.get_by_role("link", name="用户：钱承办（shenji）").click()
    admin.wait_for_url("**/directory/people/*/")
    assert admin.get_by_label("姓名").input_value() == "钱承办"

    # Every one of these pages on a phone: nothing scrolls sideways.
    phone = new_page(PHONE)
    fits = SidewaysCheck(phone)
    phone.goto("/accounts/login/")
    fits(phone)
    login(phone, "admin")
    fits(phone)
    for url in (reverse("directory:units"), reverse("directory:unit_edit", args=[unit.pk]),
                reverse("directory:people"), reverse("directory:person_create"), reverse("directory:units_import"),
                reverse("audit:log"), reverse("audit:verify"), reverse("routing:history")):
        phone.goto(url)
        fits(phone)
    phone.goto(reverse("directory:unit_edit", args=[unit.pk]))
    fits(phone)
    shots(phone, "phone-unit-form", full_page=False, docs="phone-admin-unit-form")
    fits.all_checked()
