"""Scope for deliveries: unit staff act only on their own unit's deliveries (404 otherwise); the clerk acts for
units that have no account yet (代签收); a unit's 办理结果 is seen by the clerk, leaders, admins and the unit itself."""
from django.http import Http404

from directory import roles
from directory.access import staffed_units, unit_id_of

from .models import Delivery, ResultFile


def delivery_for_unit(user, pk) -> Delivery:
    unit_id = unit_id_of(user)
    try:
        return Delivery.objects.select_related("telegram", "unit").get(pk=pk, unit_id=unit_id)
    except (Delivery.DoesNotExist, ValueError, TypeError):
        raise Http404("分送记录不存在或不属于您的单位")


def delivery_for_proxy(user, pk) -> Delivery:
    """A delivery the clerk may sign for or report done for its unit: only one whose unit has no 承办人 account."""
    try:
        delivery = Delivery.objects.select_related("telegram", "unit").get(pk=pk)
    except (Delivery.DoesNotExist, ValueError, TypeError):
        raise Http404("分送记录不存在")
    if not roles.is_clerk(user) or staffed_units([delivery.unit_id]):
        raise Http404("该单位有承办人账号，由本单位签收和办结")
    return delivery


def delivery_for_clerk(user, pk) -> Delivery:
    """Any delivery, for the clerk's own steps on it (办结期限, 催办); 404 for everyone else."""
    if not roles.is_clerk(user):
        raise Http404("分送记录不存在")
    try:
        return Delivery.objects.select_related("telegram", "unit").get(pk=pk)
    except (Delivery.DoesNotExist, ValueError, TypeError):
        raise Http404("分送记录不存在")


def sees_result(user, delivery: Delivery) -> bool:
    """Other units see that a unit finished, never what it wrote or attached."""
    return roles.sees_register(user) or (unit_id_of(user) is not None and unit_id_of(user) == delivery.unit_id)


def result_file_for(user, pk) -> ResultFile:
    try:
        item = ResultFile.objects.select_related("delivery__telegram", "delivery__unit").get(pk=pk)
    except (ResultFile.DoesNotExist, ValueError, TypeError):
        raise Http404("附件不存在")
    if not sees_result(user, item.delivery):
        raise Http404("附件不存在或您无权查看")
    return item
