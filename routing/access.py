"""Scope for deliveries: unit staff act only on their own unit's deliveries (404 otherwise)."""
from django.http import Http404

from directory.access import unit_id_of

from .models import Delivery


def delivery_for_unit(user, pk) -> Delivery:
    unit_id = unit_id_of(user)
    try:
        return Delivery.objects.select_related("telegram", "unit").get(pk=pk, unit_id=unit_id)
    except (Delivery.DoesNotExist, ValueError, TypeError):
        raise Http404("分送记录不存在或不属于您的单位")
