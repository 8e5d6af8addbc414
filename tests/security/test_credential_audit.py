"""Every change of a password, a role, a permission or a second factor is on the audit chain — made in admin,
on the self-service page, or in code (a command, a shell) — and never with the secret itself."""
from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.urls import reverse

from audit.models import AuditEntry
from audit.verify import verify_chain
from directory import roles
from directory.models import Authenticator, RecoveryCodeSet
from tests.conftest import client_for

pytestmark = pytest.mark.django_db
NEW_PASSWORD = "Another-pass-2026-q"


def entries(action: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action).order_by("seq"))


def test_a_person_changing_their_own_password_is_audited(clerk):
    clerk.set_password("Demo-2026-mingdian")
    clerk.save()
    before = len(entries("auth.password_changed"))
    response = client_for(clerk).post(reverse("password_change"), {
        "old_password": "Demo-2026-mingdian", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD,
    })
    assert response.status_code == 302
    entry = entries("auth.password_changed")[before:][0]
    assert entry.actor_id == clerk.pk and entry.object_id == str(clerk.pk)
    assert json.loads(entry.data) == {"username": "clerk", "by_self": True}
    assert NEW_PASSWORD not in entry.data and "md5$" not in entry.data
    assert verify_chain().ok


def test_an_admin_setting_someone_elses_password_is_audited(clerk):
    root = User.objects.create_superuser("root", "root@example.com", "Root-pass-2026-x")
    response = client_for(root).post(reverse("admin:auth_user_password_change", args=[clerk.pk]), {
        "password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true",
    })
    assert response.status_code == 302, response.content.decode()[:500]
    entry = entries("auth.password_changed")[-1]
    assert entry.actor_id == root.pk and entry.object_id == str(clerk.pk)
    assert json.loads(entry.data)["by_self"] is False


def test_a_password_set_in_code_is_audited_too(clerk):
    clerk.set_password(NEW_PASSWORD)
    clerk.save()
    assert entries("auth.password_changed")[-1].object_id == str(clerk.pk)


def test_roles_and_permissions_changed_in_code_are_audited(clerk):
    leader_group = Group.objects.get(name=roles.LEADER)
    clerk.groups.add(leader_group)
    assert json.loads(entries("auth.groups_changed")[-1].data)["added"] == [roles.LEADER]
    clerk.groups.remove(leader_group)
    assert json.loads(entries("auth.groups_changed")[-1].data)["removed"] == [roles.LEADER]
    perm = Permission.objects.get(codename="change_user")
    clerk.user_permissions.add(perm)
    assert "change user" in json.loads(entries("auth.permissions_changed")[-1].data)["added"][0]
    clerk.user_permissions.clear()
    assert json.loads(entries("auth.permissions_changed")[-1].data)["removed"]
    leader_group.permissions.add(perm)
    data = json.loads(entries("auth.group_permissions_changed")[-1].data)
    assert data["name"] == roles.LEADER and data["added"]


def test_a_role_granted_in_admin_is_recorded_once(clerk):
    root = User.objects.create_superuser("root", "root@example.com", "Root-pass-2026-x")
    before = AuditEntry.objects.filter(action__in=["auth.groups_changed", "directory.user_roles"]).count()
    page = client_for(root).get(reverse("admin:auth_user_change", args=[clerk.pk]))
    form = page.context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and not isinstance(v, list)}
    data.update(username="clerk", groups=[Group.objects.get(name=roles.LEADER).pk, *clerk.groups.values_list("pk", flat=True)],
                date_joined_0="2026-01-01", date_joined_1="08:00:00", is_active="on")
    data.pop("password", None)
    data.pop("last_login", None)
    client_for(root).post(reverse("admin:auth_user_change", args=[clerk.pk]), data)
    new = AuditEntry.objects.filter(action__in=["auth.groups_changed", "directory.user_roles"])[before:]
    assert [e.action for e in new] == ["directory.user_roles"]


def test_second_factor_devices_changed_outside_the_pages_are_audited(clerk):
    device = Authenticator.objects.create(user=clerk, name="手机", confirmed=False)
    assert json.loads(entries("auth.otp_device_saved")[-1].data)["created"] is True
    device.confirmed = True
    device.save()
    assert json.loads(entries("auth.otp_device_saved")[-1].data)["confirmed"] is True
    count = len(entries("auth.otp_device_saved"))
    device.throttling_failure_count = 1  # a wrong code's counter: not a change of the factor
    device.save()
    assert len(entries("auth.otp_device_saved")) == count
    device.delete()
    RecoveryCodeSet.objects.create(user=clerk, name="恢复码").delete()
    kinds = [json.loads(e.data)["kind"] for e in entries("auth.otp_device_deleted")]
    assert kinds == ["totp", "recovery"]
    assert verify_chain().ok
