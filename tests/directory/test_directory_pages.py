"""机构与人员 for admins, in the app's own pages: units with aliases as tags, people (account, role, unit) in one
form, CSV import from the page; every change in one transaction with its audit entry, bad input refused whole."""
from __future__ import annotations

import json
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from audit.models import AuditEntry
from directory.models import Authenticator, Person, RecoveryCodeSet, Unit
from tests.conftest import client_for

pytestmark = pytest.mark.django_db
User = get_user_model()


@pytest.fixture
def admin(admin_user):
    return client_for(admin_user)


def unit_post(**overrides) -> dict:
    data = {"name": "自治区审计厅", "short_name": "审计厅", "aliases": ["区审计厅", ""], "parent": "", "active": "on"}
    data.update(overrides)
    return data


def person_post(**overrides) -> dict:
    data = {"username": "shenji", "full_name": "钱承办", "role": "承办人", "unit": str(Unit.objects.get(name="自治区财政厅").pk),
            "title": "科员", "is_active": "on", "password": "Shenji-2026-mingdian"}
    data.update(overrides)
    return data


def entries(action: str) -> list[dict]:
    return [json.loads(e.data) for e in AuditEntry.objects.filter(action=action).order_by("seq")]


def test_admin_adds_a_unit_whose_aliases_come_as_a_list_of_tags(admin, admin_user):
    # The widget posts one value per tag; one typed without the script may hold several, separated by 、.
    response = admin.post(reverse("directory:unit_create"), unit_post(aliases=["区审计厅", "审计机关、审计部门", "区审计厅", ""]))
    assert response.status_code == 302 and response["Location"] == reverse("directory:units")
    unit = Unit.objects.get(name="自治区审计厅")
    assert unit.aliases == ["区审计厅", "审计机关", "审计部门"] and unit.short_name == "审计厅" and unit.active
    (entry,) = AuditEntry.objects.filter(action="directory.unit_saved", object_id=str(unit.pk))
    assert entry.actor_id == admin_user.pk and entry.object_type == "directory.unit"
    assert json.loads(entry.data)["changed"]["aliases"] == ["区审计厅", "审计机关", "审计部门"]
    page = admin.get(reverse("directory:units"), {"q": "审计机关"}).content.decode()
    assert '<span class="tag">审计部门</span>' in page  # shown as tags, never as JSON
    assert "[&quot;" not in page and '["' not in page


def test_an_alias_another_unit_already_answers_to_is_refused_and_nothing_is_written(admin):
    before = AuditEntry.objects.count()
    response = admin.post(reverse("directory:unit_create"), unit_post(aliases=["财政厅"]))
    assert response.status_code == 200
    assert "“财政厅”已是单位“自治区财政厅”的名称或别名" in response.content.decode()
    assert not Unit.objects.filter(name="自治区审计厅").exists() and AuditEntry.objects.count() == before


def test_a_unit_cannot_become_its_own_sub_unit(admin):
    parent = Unit.objects.get(name="中华全国总工会")
    child = Unit.objects.get(name="中华全国总工会办公厅")
    page = admin.get(reverse("directory:unit_edit", args=[parent.pk])).content.decode()
    assert f'<option value="{child.pk}">' not in page and f'<option value="{parent.pk}">' not in page
    response = admin.post(reverse("directory:unit_edit", args=[parent.pk]),
                          unit_post(name=parent.name, short_name=parent.short_name, aliases=parent.aliases, parent=child.pk))
    assert response.status_code == 200 and "选择一个有效的选项" in response.content.decode()
    parent.refresh_from_db()
    assert parent.parent is None


def test_editing_a_unit_records_only_what_changed_old_and_new(admin):
    unit = Unit.objects.get(name="自治区财政厅")
    response = admin.post(reverse("directory:unit_edit", args=[unit.pk]),
                          unit_post(name=unit.name, short_name=unit.short_name, aliases=[*unit.aliases, "财政部门"]))
    assert response.status_code == 302
    (data,) = entries("directory.unit_saved")
    assert data["changed"] == {"aliases": {"old": ["区财政厅"], "new": ["区财政厅", "财政部门"]}}
    # Saving again unchanged writes nothing more.
    admin.post(reverse("directory:unit_edit", args=[unit.pk]),
               unit_post(name=unit.name, short_name=unit.short_name, aliases=["区财政厅", "财政部门"]))
    assert len(entries("directory.unit_saved")) == 1


def test_the_units_list_says_which_units_have_no_staff(admin):
    page = admin.get(reverse("directory:units"), {"staff": "none"}).content.decode()
    assert "自治区民政厅" in page and "自治区财政厅" not in page
    page = admin.get(reverse("directory:units"), {"staff": "some"}).content.decode()
    assert "自治区财政厅" in page and "自治区民政厅" not in page


def test_admin_creates_a_staff_member_account_role_and_unit_in_one_form(admin, admin_user):
    response = admin.post(reverse("directory:person_create"), person_post())
    assert response.status_code == 302
    user = User.objects.get(username="shenji")
    assert user.check_password("Shenji-2026-mingdian") and user.is_active and not user.is_staff
    assert list(user.groups.values_list("name", flat=True)) == ["承办人"]
    assert (user.person.full_name, user.person.unit.name, user.person.title) == ("钱承办", "自治区财政厅", "科员")
    (entry,) = AuditEntry.objects.filter(action="directory.user_created", object_id=str(user.pk))
    assert entry.actor_id == admin_user.pk
    data = json.loads(entry.data)
    assert data == {"username": "shenji", "full_name": "钱承办", "role": "承办人", "unit": "自治区财政厅", "title": "科员",
                    "is_active": True, "password_set": True}
    assert "Shenji-2026" not in entry.data  # never a password, not even hashed


@pytest.mark.parametrize("overrides, field, message", [
    ({"unit": ""}, "unit", "承办人必须属于一个单位。"),
    ({"password": ""}, "password", "请为新用户设置初始密码。"),
    ({"password": "12345678"}, "password", "密码太短，至少需要10个字符。"),
    ({"username": "Clerk"}, "username", "用户名“Clerk”已被使用。"),
    ({"username": "王 机要"}, "username", "用户名只能包含字母、数字和 @ . + - _。"),
    ({"role": ""}, "role", "请选择角色。"),
])
def test_a_person_form_with_a_mistake_is_refused_in_chinese_and_nothing_is_written(admin, overrides, field, message):
    users, people, audit = User.objects.count(), Person.objects.count(), AuditEntry.objects.count()
    response = admin.post(reverse("directory:person_create"), person_post(**overrides))
    assert response.status_code == 200
    form = response.context["form"]
    assert message in " ".join(form.errors.get(field, [])), form.errors
    assert (User.objects.count(), Person.objects.count(), AuditEntry.objects.count()) == (users, people, audit)


def test_changing_a_persons_role_and_unit_is_recorded_old_and_new(admin, staff_cz):
    response = admin.post(reverse("directory:person_edit", args=[staff_cz.pk]), person_post(
        username="ignored", full_name="赵承办", role="机要员", unit=str(Unit.objects.get(name="自治区党委办公厅").pk),
        title="", password="",
    ))
    assert response.status_code == 302
    staff_cz.refresh_from_db()
    assert staff_cz.username == "caizheng"  # the user name is not changed from this form
    assert list(staff_cz.groups.values_list("name", flat=True)) == ["机要员"]
    (data,) = entries("directory.user_updated")
    assert data["changed"] == {"role": {"old": "承办人", "new": "机要员"},
                               "unit": {"old": "自治区财政厅", "new": "自治区党委办公厅"}}
    assert data["password_set"] is False
    assert client_for(staff_cz).get("/").url == reverse("telegrams:register")  # now lands on the clerk's page


def test_an_admin_cannot_lock_themselves_out(admin, admin_user):
    response = admin.post(reverse("directory:person_edit", args=[admin_user.pk]),
                          person_post(full_name="刘管理", role="管理员", unit="", is_active="", password=""))
    assert response.status_code == 200
    assert "不能停用自己或取消自己的管理员角色" in response.content.decode()
    admin_user.refresh_from_db()
    assert admin_user.is_active and not entries("directory.user_updated")


def test_a_lost_phone_admin_removes_the_persons_authenticator_and_recovery_codes(admin, leader):
    Authenticator.objects.create(user=leader, name="身份验证器", confirmed=True)
    RecoveryCodeSet.objects.create(user=leader, name="恢复码", confirmed=True)
    page = admin.get(reverse("directory:person_edit", args=[leader.pk])).content.decode()
    assert "删除身份验证器和恢复码" in page
    response = admin.post(reverse("directory:person_reset_otp", args=[leader.pk]))
    assert response.status_code == 302
    assert not Authenticator.objects.filter(user=leader).exists() and not RecoveryCodeSet.objects.filter(user=leader).exists()
    assert set(AuditEntry.objects.filter(action__in=["auth.totp_device_deleted", "auth.recovery_codes_deleted"])
               .values_list("action", flat=True)) == {"auth.totp_device_deleted", "auth.recovery_codes_deleted"}


def test_admin_imports_units_from_a_csv_on_the_page_all_or_nothing(admin):
    bad = "name,short_name,aliases,parent\n自治区审计厅,审计厅,区审计厅,\n宁东管委会,宁东,,不存在的单位\n"
    response = admin.post(reverse("directory:units_import"),
                          {"file": SimpleUploadedFile("units.csv", bad.encode("gb18030"), content_type="text/csv")})
    assert response.status_code == 200
    assert "导入失败，未做任何修改：第3行：上级单位“不存在的单位”不存在" in response.content.decode()
    assert not Unit.objects.filter(name="自治区审计厅").exists()
    good = bad.replace("不存在的单位", "自治区审计厅")
    response = admin.post(reverse("directory:units_import"),
                          {"file": SimpleUploadedFile("units.csv", b"\xef\xbb\xbf" + good.encode(), content_type="text/csv")},
                          follow=True)
    assert "导入完成：新增 2，更新 0，未变 0。" in response.content.decode()
    assert Unit.objects.get(name="宁东管委会").parent.name == "自治区审计厅"
    assert entries("directory.import_units")[-1] == {"created": 2, "updated": 0, "unchanged": 0}


def test_the_page_and_the_command_read_the_same_encodings(tmp_path):
    raw = "name,short_name,aliases,parent\n自治区审计厅,审计厅,,\n".encode("gb18030")
    (tmp_path / "units.csv").write_bytes(raw)
    call_command("import_units", str(tmp_path / "units.csv"), stdout=StringIO())
    assert Unit.objects.filter(name="自治区审计厅").exists()


def test_the_second_factor_sections_of_the_django_admin_read_in_chinese(admin, leader):
    device = Authenticator.objects.create(user=leader, name="身份验证器", confirmed=True)
    index = admin.get("/admin/").content.decode()
    assert "身份验证器" in index and "恢复码" in index
    assert "Otp_Totp" not in index and "TOTP device" not in index and "Static device" not in index
    change = admin.get(f"/admin/directory/authenticator/{device.pk}/change/").content.decode()
    for english in ("Identity", "Timestamps", "Configuration", "Throttling", "throttling failure", "The time step"):
        assert english not in change, english
    assert "连续输错次数" in change and "验证码每隔多少秒更换一次" in change


def test_the_chinese_names_change_no_migration():
    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()


def test_an_admin_cannot_take_over_a_superuser_account(admin, demo):
    root = get_user_model().objects.create_superuser("root", password="Root-2026-mingdian-x")
    Authenticator.objects.create(user=root, name="身份验证器", confirmed=True)
    response = admin.post(reverse("directory:person_edit", args=[root.pk]),
                          person_post(full_name="根", role="管理员", unit="", password="Taken-over-2026-x"))
    assert response.status_code == 200 and "超级用户的账户只能由超级用户修改。" in response.content.decode()
    response = admin.post(reverse("directory:person_reset_otp", args=[root.pk]), follow=True)
    assert "超级用户的账户只能由超级用户修改。" in response.content.decode()
    root.refresh_from_db()
    assert root.check_password("Root-2026-mingdian-x") and Authenticator.objects.filter(user=root).exists()
