"""Directory changes and login events, each with its audit entry."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from audit.services import record

from .models import Person, Unit


class DirectoryError(Exception):
    pass


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


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
    with transaction.atomic():
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


def grant_admin_permissions() -> int:
    """The 管理员 group manages units, people, users and roles in Django admin (model permissions exist only
    after migrate's post_migrate step, so this runs from seed_demo, not from the groups migration)."""
    from django.contrib.auth.models import Permission
    from django.db.models import Q

    group, _ = Group.objects.get_or_create(name="管理员")
    # Second-factor devices: see and remove a lost one only (directory/admin.py hides keys and codes).
    otp = Q(content_type__app_label__in=["otp_totp", "otp_static"], codename__regex=r"^(view|delete)_")
    perms = Permission.objects.filter(Q(content_type__app_label__in=["directory", "auth"]) | otp)
    group.permissions.add(*perms)
    return perms.count()


def log_auth_event(action: str, *, user=None, username: str = "", ip: str = "", data: dict | None = None) -> None:
    with transaction.atomic():
        record(user if user is not None else (username or "匿名"), action, user,
               {"username": username or (user.get_username() if user else ""), "ip": ip, **(data or {})},
               object_type="auth.user")
