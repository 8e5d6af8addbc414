"""Who may see which telegram. Every view, download, export and command path goes through these helpers:
they return the object or raise Http404 (an out-of-scope object looks exactly like a missing one)."""
from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from directory import roles
from directory.access import unit_id_of

from .models import Telegram


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
