"""Role groups (Django groups created by a migration) and the questions views ask about a user."""
from __future__ import annotations

CLERK = "机要员"
LEADER = "领导"
STAFF = "承办人"
ADMIN = "管理员"
ALL_ROLES = (CLERK, LEADER, STAFF, ADMIN)


def roles_of(user) -> set[str]:
    if not getattr(user, "is_authenticated", False):
        return set()
    cached = getattr(user, "_role_names", None)
    if cached is None:
        cached = set(user.groups.values_list("name", flat=True))
        if user.is_superuser:
            cached.add(ADMIN)
        user._role_names = cached
    return cached


def has_role(user, *roles: str) -> bool:
    return bool(roles_of(user) & set(roles))


def is_clerk(user) -> bool:
    return has_role(user, CLERK)


def is_leader(user) -> bool:
    return has_role(user, LEADER)


def is_admin(user) -> bool:
    return has_role(user, ADMIN)


def is_unit_staff(user) -> bool:
    return has_role(user, STAFF)


def sees_register(user) -> bool:
    """The register (all telegrams) is for clerks, leaders and admins; unit staff see their inbox."""
    return has_role(user, CLERK, LEADER, ADMIN)


def primary_role(user) -> str:
    for role in (ADMIN, LEADER, CLERK, STAFF):
        if role in roles_of(user):
            return role
    return ""
