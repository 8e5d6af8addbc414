"""Who may see which telegram. Every view, download, export and command path goes through these helpers:
they return the object or raise Http404 (an out-of-scope object looks exactly like a missing one)."""
from __future__ import annotations

from functools import wraps

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from directory import roles

from .models import Telegram


def unit_id_of(user) -> int | None:
    person = getattr(user, "person", None) if hasattr(user, "person") else None
    return person.unit_id if person else None


def visible_telegrams(user) -> QuerySet[Telegram]:
    """Clerks, leaders and admins see the whole register; unit staff only what was delivered to their unit."""
    if roles.sees_register(user):
        return Telegram.objects.all()
    unit_id = unit_id_of(user)
    if roles.is_unit_staff(user) and unit_id:
        return Telegram.objects.filter(deliveries__unit_id=unit_id)
    return Telegram.objects.none()


def telegram_for(user, pk) -> Telegram:
    try:
        return visible_telegrams(user).select_related("sender_unit", "registered_by").distinct().get(pk=pk)
    except (Telegram.DoesNotExist, ValueError, TypeError):
        raise Http404("来电不存在或您无权查看")


def role_required(*allowed: str):
    """Views for a role: anonymous users go to login (login_required), others without the role get 403."""
    from django.contrib.auth.decorators import login_required

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not roles.has_role(request.user, *allowed):
                raise PermissionDenied("您的角色无权访问此页面")
            return view(request, *args, **kwargs)

        return login_required(wrapped)

    return decorator
