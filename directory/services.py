"""Directory changes and login events, each with its audit entry."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, Group
from django.db import IntegrityError, transaction
from django.db.models import Model

from audit.context import recorded_elsewhere
from audit.services import record

from . import roles
from .models import Authenticator, Person, RecoveryCodeSet, Unit


class DirectoryError(Exception):
    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message, self.field = message, field


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


def decode_text(raw: bytes) -> str:
    """An uploaded or given CSV as text: UTF-8 (with or without BOM) or GB18030, as Excel saves it in China."""
    for encoding in ("utf-8", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise DirectoryError("文件不是 UTF-8 或 GB18030 编码的文本")


def import_units_csv(text: str, *, actor=None) -> ImportResult:
    """Upsert units by name from CSV `name,short_name,aliases,parent` (aliases separated by |).
    All or nothing: the first bad row aborts the import with its line number."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    expected = ["name", "short_name", "aliases", "parent"]
    if reader.fieldnames is None or [f.strip() for f in reader.fieldnames] != expected:
        raise DirectoryError(f"表头应为 {','.join(expected)}，实际为 {','.join(reader.fieldnames or [])}")
    rows = []
    for lineno, row in enumerate(reader, start=2):
        name = (row.get("name") or "").strip()
        if not name:
            raise DirectoryError(f"第{lineno}行：单位名称为空")
        if len(name) > 100:
            raise DirectoryError(f"第{lineno}行：单位名称超过100字")
        aliases = [a.strip() for a in (row.get("aliases") or "").split("|") if a.strip()]
        rows.append((lineno, name, (row.get("short_name") or "").strip()[:50], aliases, (row.get("parent") or "").strip()))
    result = ImportResult()
    with transaction.atomic():
        for _lineno, name, short, aliases, _ in rows:
            unit, created = Unit.objects.get_or_create(name=name, defaults={"short_name": short, "aliases": aliases})
            if created:
                result.created += 1
            elif unit.short_name != short or unit.aliases != aliases:
                unit.short_name, unit.aliases = short, aliases
                unit.save(update_fields=["short_name", "aliases"])
                result.updated += 1
            else:
                result.unchanged += 1
        # Parents second, so a parent may appear later in the file than its children.
        for lineno, name, _, _, parent_name in rows:
            parent = None
            if parent_name:
                parent = Unit.objects.filter(name=parent_name).first()
                if parent is None:
                    raise DirectoryError(f"第{lineno}行：上级单位“{parent_name}”不存在")
                if parent.name == name:
                    raise DirectoryError(f"第{lineno}行：单位不能是自己的上级")
            Unit.objects.filter(name=name).exclude(parent=parent).update(parent=parent)
        record(actor, "directory.import_units", None, {
            "created": result.created, "updated": result.updated, "unchanged": result.unchanged,
        }, object_type="directory.unit")
    return result


def ensure_user(username: str, *, full_name: str, role: str, password: str, unit: Unit | None = None,
                actor=None):
    """Create or update a demo/directory user with one role group and a Person row."""
    User = get_user_model()
    with transaction.atomic(), recorded_elsewhere():  # one entry below, not one per signal
        user, created = User.objects.get_or_create(username=username)
        user.set_password(password)
        user.is_staff = role == "管理员"  # Django admin for the directory
        user.save()
        # get_or_create: transactional tests flush the groups the migration made.
        user.groups.set([Group.objects.get_or_create(name=role)[0]])
        Person.objects.update_or_create(user=user, defaults={"full_name": full_name, "unit": unit})
        record(actor, "directory.user_created" if created else "directory.user_updated", user,
               {"username": username, "role": role, "unit": unit.name if unit else None})
    return user


# --- the directory pages (directory/manage_views.py) -------------------------------------------------------------

UNIT_FIELDS = ("name", "short_name", "aliases", "parent", "active")


def _shown(value):
    if isinstance(value, Model):
        return str(value)
    return value


def save_unit(unit: Unit | None, data: dict, *, actor: AbstractBaseUser) -> Unit:
    """Create (unit None) or change a unit from the form's cleaned data; audited like the admin's changes
    (`directory.unit_saved` with the fields that changed, old → new)."""
    created = unit is None
    with transaction.atomic():
        if created:
            unit = Unit()
            old = {}
        else:
            unit = Unit.objects.select_for_update().get(pk=unit.pk)
            old = {f: _shown(getattr(unit, f)) for f in UNIT_FIELDS}
        for f in UNIT_FIELDS:
            setattr(unit, f, data[f])
        try:
            with transaction.atomic():
                unit.save()
        except IntegrityError:
            raise DirectoryError(f"单位“{unit.name}”已经存在。", "name")
        new = {f: _shown(getattr(unit, f)) for f in UNIT_FIELDS}
        changed = new if created else {f: {"old": old[f], "new": new[f]} for f in UNIT_FIELDS if old[f] != new[f]}
        if created or changed:
            record(actor, "directory.unit_saved", unit, {"name": unit.name, "created": created, "changed": changed})
    return unit


@dataclass
class PersonData:
    full_name: str
    role: str
    unit: Unit | None = None
    title: str = ""
    is_active: bool = True
    password: str = ""  # empty: unchanged (a new account must have one)


def save_person(user: AbstractBaseUser | None, data: PersonData, *, actor: AbstractBaseUser,
                username: str = "") -> AbstractBaseUser:
    """Create (user None, with `username`) or change a person: the account, its one role group and the Person row,
    in one transaction with one audit entry (`directory.user_created` / `directory.user_updated`)."""
    if data.role not in roles.ALL_ROLES:
        raise DirectoryError("请选择角色。", "role")
    if data.role == roles.STAFF and data.unit is None:
        raise DirectoryError("承办人必须属于一个单位。", "unit")
    if user is not None and user.pk == actor.pk and (not data.is_active or data.role != roles.ADMIN):
        raise DirectoryError("不能停用自己或取消自己的管理员角色，请另一位管理员操作。")
    _refuse_superuser_change(user, actor)
    User = get_user_model()
    created = user is None
    with transaction.atomic(), recorded_elsewhere():  # its own entry says what changed, once
        if created:
            if not data.password:
                raise DirectoryError("请为新用户设置初始密码。", "password")
            if User.objects.filter(username__iexact=username).exists():
                raise DirectoryError(f"用户名“{username}”已被使用。", "username")
            user = User(username=username)
            before = {}
        else:
            user = User.objects.select_for_update(of=("self",)).select_related("person__unit").get(pk=user.pk)
            before = _person_facts(user)
        if data.password:
            user.set_password(data.password)
        user.is_active = data.is_active
        # Django admin (kept for the directory's rarer tasks) is open to 管理员, as seed_demo sets it up.
        user.is_staff = data.role == roles.ADMIN or user.is_superuser
        user.save()
        user.groups.set([Group.objects.get_or_create(name=data.role)[0]])
        Person.objects.update_or_create(user=user, defaults={
            "full_name": data.full_name, "unit": data.unit, "title": data.title,
        })
        user = User.objects.select_related("person__unit").get(pk=user.pk)
        after = _person_facts(user)
        if created:
            record(actor, "directory.user_created", user, {"username": user.username, **after, "password_set": True})
        else:
            changed = {k: {"old": before.get(k), "new": v} for k, v in after.items() if before.get(k) != v}
            if changed or data.password:
                record(actor, "directory.user_updated", user, {
                    "username": user.username, "changed": changed, "password_set": bool(data.password),
                })
    return user


def _refuse_superuser_change(user, actor) -> None:
    """A 管理员 who could reset a superuser's password or second factor could become one."""
    if user is not None and user.is_superuser and not actor.is_superuser:
        raise DirectoryError("超级用户的账户只能由超级用户修改。")


def _person_facts(user) -> dict:
    person = getattr(user, "person", None) if hasattr(user, "person") else None
    return {
        "full_name": person.full_name if person else "",
        "role": roles.primary_role(user) if user.pk else "",
        "unit": person.unit.name if person and person.unit else None,
        "title": person.title if person else "",
        "is_active": user.is_active,
    }


def reset_second_factor(user: AbstractBaseUser, *, actor: AbstractBaseUser) -> int:
    """A lost phone: remove the person's authenticator and recovery codes (they enrol again at next login when
    their role requires it). Returns how many devices were removed."""
    _refuse_superuser_change(user, actor)
    with transaction.atomic(), recorded_elsewhere():
        devices = [*Authenticator.objects.filter(user=user), *RecoveryCodeSet.objects.filter(user=user)]
        for device in devices:
            kind = "totp_device" if isinstance(device, Authenticator) else "recovery_codes"
            record(actor, f"auth.{kind}_deleted", device, {"name": device.name, "username": user.get_username()})
            device.delete()
    return len(devices)


DEVICE_MODELS = ("authenticator", "recoverycodeset", "recoverycode")


def grant_admin_permissions() -> int:
    """The 管理员 group manages units, people, users and roles in Django admin (model permissions exist only
    after migrate's post_migrate step, so this runs from seed_demo, not from the groups migration)."""
    from django.contrib.auth.models import Permission
    from django.db.models import Q

    group, _ = Group.objects.get_or_create(name="管理员")
    # Second-factor devices: see and remove a lost one only (nobody adds or edits another person's factor).
    devices = Q(content_type__app_label="directory", content_type__model__in=DEVICE_MODELS)
    perms = Permission.objects.filter(Q(content_type__app_label__in=["directory", "auth"])).exclude(
        devices & ~Q(codename__regex=r"^(view|delete)_"))
    group.permissions.add(*perms)
    return perms.count()


def log_auth_event(action: str, *, user=None, username: str = "", ip: str = "", data: dict | None = None) -> None:
    with transaction.atomic():
        record(user if user is not None else (username or "匿名"), action, user,
               {"username": username or (user.get_username() if user else ""), "ip": ip, **(data or {})},
               object_type="auth.user")
