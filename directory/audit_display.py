"""How the audit log shows units, people, accounts, roles and second-factor devices (audit.catalog; called from
DirectoryConfig.ready)."""
from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import Q
from django.urls import reverse

from audit import catalog

from .models import Authenticator, Person, RecoveryCodeSet, Unit


def _ints(ids: list[str]) -> list[int]:
    return [int(i) for i in ids if i.isdigit()]


def _person_url(user_id: int) -> str:
    return reverse("directory:person_edit", args=[user_id])


def _user_text(username: str, full_name: str | None) -> str:
    return f"{full_name}（{username}）" if full_name else username


def describe_units(ids: list[str]) -> dict[str, catalog.Shown]:
    return {str(pk): catalog.Shown(name, reverse("directory:unit_edit", args=[pk]))
            for pk, name in Unit.objects.filter(pk__in=_ints(ids)).values_list("pk", "name")}


def describe_people(ids: list[str]) -> dict[str, catalog.Shown]:
    rows = Person.objects.filter(pk__in=_ints(ids)).values_list("pk", "user_id", "user__username", "full_name")
    return {str(pk): catalog.Shown(_user_text(username, name), _person_url(uid)) for pk, uid, username, name in rows}


def describe_users(ids: list[str]) -> dict[str, catalog.Shown]:
    rows = get_user_model().objects.filter(pk__in=_ints(ids)).values_list("pk", "username", "person__full_name")
    return {str(pk): catalog.Shown(_user_text(username, name), _person_url(pk)) for pk, username, name in rows}


def describe_roles(ids: list[str]) -> dict[str, catalog.Shown]:
    return {str(pk): catalog.Shown(name) for pk, name in Group.objects.filter(pk__in=_ints(ids)).values_list("pk", "name")}


def _describe_devices(model):
    def describe(ids: list[str]) -> dict[str, catalog.Shown]:
        rows = model.objects.filter(pk__in=_ints(ids)).values_list("pk", "user_id", "user__username", "user__person__full_name")
        return {str(pk): catalog.Shown(_user_text(username, name), _person_url(uid)) for pk, uid, username, name in rows}
    return describe


def find_units(term: str) -> list[int]:
    term = term.strip()
    return list(Unit.objects.filter(Q(name=term) | Q(short_name=term)).values_list("pk", flat=True)[:20])


def find_users(term: str) -> list[int]:
    term = term.strip()
    return list(get_user_model().objects.filter(Q(username=term) | Q(person__full_name=term))
                .values_list("pk", flat=True)[:20])


def find_people(term: str) -> list[int]:
    term = term.strip()
    return list(Person.objects.filter(Q(user__username=term) | Q(full_name=term)).values_list("pk", flat=True)[:20])


def register() -> None:
    catalog.register_object("directory.unit", label="单位", describe=describe_units, find=find_units)
    catalog.register_object("directory.person", label="人员", describe=describe_people, find=find_people)
    catalog.register_object("auth.user", label="用户", describe=describe_users, find=find_users)
    catalog.register_object("auth.group", label="角色", describe=describe_roles)
    catalog.register_object("directory.authenticator", label="身份验证器", describe=_describe_devices(Authenticator))
    catalog.register_object("directory.recoverycodeset", label="恢复码", describe=_describe_devices(RecoveryCodeSet))
    # Entries written before migration 0005 name django-otp's clear-text devices, which are gone: label only.
    catalog.register_object("otp_totp.totpdevice", label="身份验证器（旧）")
    catalog.register_object("otp_static.staticdevice", label="恢复码（旧）")
    catalog.register_fields({f.name: f.verbose_name for f in Unit._meta.concrete_fields},
                            object_types=["directory.unit"])
    people = {"username": "用户名", "full_name": "姓名", "role": "角色", "unit": "所在单位", "title": "职务",
              "is_active": "可以登录", "password_set": "设置了新密码"}
    catalog.register_fields(people, object_types=["directory.person", "auth.user"])
