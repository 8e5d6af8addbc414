"""Changes to units, people, users and their roles made in Django admin go on the audit chain."""
from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import Group, User
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEntry
from audit.verify import verify_chain
from directory import roles
from directory.models import Person, Unit
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser(demo):
    return User.objects.create_superuser("root", "root@example.com", "Root-pass-2026-x")


def last(action: str) -> AuditEntry:
    return AuditEntry.objects.filter(action=action).order_by("-seq").first()


def test_adding_changing_and_deleting_a_unit_is_audited(superuser):
    c = client_for(superuser)
    data = {"name": "自治区审计厅", "short_name": "审计厅", "aliases": '["区审计厅"]', "parent": "", "active": "on"}
    assert c.post(reverse("admin:directory_unit_add"), data).status_code == 302
    unit = Unit.objects.get(name="自治区审计厅")
    added = last("directory.unit_saved")
    assert added.actor_id == superuser.pk and added.object_type == "directory.unit" and added.object_id == str(unit.pk)
    assert json.loads(added.data)["created"] is True and json.loads(added.data)["changed"]["short_name"] == "审计厅"

    data["short_name"] = "审计"
    assert c.post(reverse("admin:directory_unit_change", args=[unit.pk]), data).status_code == 302
    changed = json.loads(last("directory.unit_saved").data)
    assert changed == {"name": "自治区审计厅", "created": False, "changed": {"short_name": {"old": "审计厅", "new": "审计"}}}

    assert c.post(reverse("admin:directory_unit_delete", args=[unit.pk]), {"post": "yes"}).status_code == 302
    assert not Unit.objects.filter(pk=unit.pk).exists()
    deleted = last("directory.unit_deleted")
    assert deleted.object_id == str(unit.pk) and json.loads(deleted.data) == {"name": "自治区审计厅"}
    assert verify_chain().ok


def test_bulk_delete_from_the_list_is_audited_per_unit(superuser):
    a, b = Unit.objects.create(name="临时单位甲"), Unit.objects.create(name="临时单位乙")
    c = client_for(superuser)
    response = c.post(reverse("admin:directory_unit_changelist"),
                      {"action": "delete_selected", "_selected_action": [a.pk, b.pk], "post": "yes"})
    assert response.status_code == 302
    names = {json.loads(e.data)["name"] for e in AuditEntry.objects.filter(action="directory.unit_deleted")}
    assert names == {"临时单位甲", "临时单位乙"}


def test_moving_a_person_to_another_unit_is_audited(superuser, staff_zgh):
    person = staff_zgh.person
    cz = Unit.objects.get(name="自治区财政厅")
    c = client_for(superuser)
    data = {"user": staff_zgh.pk, "full_name": person.full_name, "unit": cz.pk, "title": person.title}
    response = c.post(reverse("admin:directory_person_change", args=[person.pk]), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Person.objects.get(pk=person.pk).unit == cz
    entry = last("directory.person_saved")
    assert json.loads(entry.data)["changed"] == {"unit": {"old": "自治区总工会", "new": "自治区财政厅"}}


def test_granting_and_taking_a_role_in_admin_is_audited(superuser, clerk):
    c = client_for(superuser)
    url = reverse("admin:auth_user_change", args=[clerk.pk])
    joined = timezone.localtime(clerk.date_joined)
    leader_group = Group.objects.get(name=roles.LEADER)
    data = {
        "username": clerk.username, "first_name": "", "last_name": "", "email": "", "is_active": "on",
        "is_staff": "", "groups": [leader_group.pk],
        "date_joined_0": joined.strftime("%Y-%m-%d"), "date_joined_1": joined.strftime("%H:%M:%S"),
        "initial-date_joined_0": joined.strftime("%Y-%m-%d"), "initial-date_joined_1": joined.strftime("%H:%M:%S"),
    }
    response = c.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert list(User.objects.get(pk=clerk.pk).groups.values_list("name", flat=True)) == [roles.LEADER]
    entry = last("directory.user_roles")
    assert entry.object_type == "auth.user" and entry.object_id == str(clerk.pk) and entry.actor_id == superuser.pk
    assert json.loads(entry.data)["groups"] == {"added": [roles.LEADER], "removed": [roles.CLERK], "now": [roles.LEADER]}
    assert "password" not in last("directory.user_saved").data
    assert verify_chain().ok


def test_a_new_users_password_is_never_written_to_the_ledger(superuser):
    c = client_for(superuser)
    secret = "Secret-Pass-2026-zz"
    response = c.post(reverse("admin:auth_user_add"),
                      {"username": "newcomer", "password1": secret, "password2": secret, "usable_password": "true"})
    assert response.status_code == 302, response.content.decode()[:3000]
    entry = last("directory.user_saved")
    data = json.loads(entry.data)
    assert data["created"] is True and data["changed"] == {"username": "newcomer"}
    assert data["secrets_changed"] == ["password1", "password2"]
    assert not AuditEntry.objects.filter(data__contains=secret).exists()
    assert not AuditEntry.objects.filter(data__contains=User.objects.get(username="newcomer").password).exists()
    assert verify_chain().ok
