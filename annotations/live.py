"""What the leader inbox (待批示) depends on, reduced to numbers the live poll compares (notifications.live puts
them into its one query).

The inbox itself is an anti-join over registered telegrams; polling it every few seconds would cost what the page
costs. Instead: the telegram, 批示, change (corrections, void, 拟办, 初审, 退文) and routing-order tables each give
their newest id and how many of their newest ids are committed (a registration that commits after a later one
changes the count), plus the leader's open 阅示 requests and the 传阅 in his hands. Each reads a few entries of an
index. Anything that can change the inbox writes one of these rows; a change elsewhere in them costs one refresh
of the list, no more."""
from __future__ import annotations

from django.db.models import Expression, IntegerField, Subquery, Value
from django.db.models.functions import Coalesce

from core.subqueries import scalar
from routing.models import RoutingOrder
from telegrams.models import Telegram, TelegramChange

from .models import Annotation, CirculationStep, ReadRequest

# A row inserted earlier but committed later than the newest one still counts when it is among this many newest
# ids (concurrent registrations by a few clerks; each transaction lasts milliseconds).
WINDOW = 64


def _newest(model) -> dict[str, Expression]:
    name = model._meta.model_name
    newest = Subquery(model.objects.order_by("-pk").values("pk")[:1], output_field=IntegerField())
    recent = model.objects.filter(pk__gt=Coalesce(newest, Value(0)) - WINDOW)
    return {f"leader_{name}": Coalesce(newest, Value(0)), f"leader_{name}_recent": scalar(recent, "COUNT")}


def inbox_fields(leader_id: int) -> dict[str, Expression]:
    """The leader inbox's figures, as expressions for one query."""
    asked = ReadRequest.objects.filter(leader_id=leader_id, done_at__isnull=True)
    holding = CirculationStep.objects.filter(leader_id=leader_id, passed_at__isnull=True, received_at__isnull=False,
                                             circulation__finished_at__isnull=True)  # circulation_step_inbox_idx
    fields = {"leader_asked": scalar(asked, "COUNT", "id"), "leader_asked_ids": scalar(asked, "SUM", "id"),
              "leader_holding": scalar(holding, "COUNT", "id"), "leader_holding_ids": scalar(holding, "SUM", "id")}
    for model in (Telegram, Annotation, TelegramChange, RoutingOrder):
        fields.update(_newest(model))
    return fields

