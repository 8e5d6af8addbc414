"""Who may do what, for every view, download, export and API call: role checks and a person's unit.

Object-level scoping (which telegram or delivery a user may see) lives with the objects (`telegrams.access`,
`routing.access`); those helpers return the object or raise Http404, so an out-of-scope object looks exactly
like a missing one."""
from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied

from . import roles
from .models import Person


def unit_id_of(user) -> int | None:
    """The unit a person belongs to (None for leaders, admins, users without a Person)."""
    person = getattr(user, "person", None) if hasattr(user, "person") else None
    return person.unit_id if person else None


def role_required(*allowed: str):
    """Views for a role: anonymous users go to login (login_required), others without the role get 403."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not roles.has_role(request.user, *allowed):
                raise PermissionDenied("您的角色无权访问此页面")
            return view(request, *args, **kwargs)

        return login_required(wrapped)

    return decorator


def staffed_units(unit_ids) -> set[int]:
    """Which of these units have at least one active 承办人 account (the others need the clerk's 代签收)."""
    return set(Person.objects.filter(unit_id__in=list(unit_ids), user__is_active=True, user__groups__name=roles.STAFF)
               .values_list("unit_id", flat=True).distinct())
