"""A unit's deliveries: its list, one delivery, and the actions on it. Each action is one small class: its input
serializer and the routing action it calls (DeliveryAction) — the procedure's own (答复, 退回…) are added so."""
from __future__ import annotations

from django.urls import reverse
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework.parsers import JSONParser
from rest_framework.response import Response

from directory import roles
from directory.access import unit_id_of
from routing import actions as routing_actions
from routing.access import delivery_for_unit
from routing.models import Delivery, DeliveryState

from .. import serializers as s
from ..schema import problems
from .base import ApiView, Pages, iso


def delivery_item(d: Delivery) -> dict:
    t = d.telegram
    return {
        "id": d.pk, "telegram": d.telegram_id, "receipt_no": t.receipt_no, "title": t.title, "precedence": t.precedence,
        "unit": d.unit.name, "role": d.role, "state": d.state, "deadline": d.deadline, "delivered_at": iso(d.delivered_at),
        "signed_at": iso(d.signed_at), "done_at": iso(d.done_at), "url": reverse("api:delivery", args=[d.pk]),
    }


def delivery_detail(d: Delivery) -> dict:
    return {**delivery_item(d), "result": d.result or None}


class DeliveryFilter(filters.FilterSet):
    state = filters.ChoiceFilter(choices=DeliveryState.choices, label="状态")

    class Meta:
        model = Delivery
        fields = ["state"]


class DeliveryList(ApiView):
    roles = (roles.STAFF,)
    filter_backends = [filters.DjangoFilterBackend]
    filterset_class = DeliveryFilter
    pagination_class = Pages

    def get_queryset(self):
        return (Delivery.objects.filter(unit_id=unit_id_of(self.request.user))
                .select_related("telegram", "unit").order_by("precedence_rank", "deadline", "id"))

    @extend_schema(operation_id="deliveries_list", summary="本单位来电",
                   description="调用者所在单位的分送，特提在前、期限近的在前；可按 state 筛选。",
                   responses={200: s.DeliverySerializer(many=True), **problems(404)})
    def get(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response([delivery_item(d) for d in page])


class DeliveryDetail(ApiView):
    roles = (roles.STAFF,)

    @extend_schema(operation_id="delivery_retrieve", summary="一件分送",
                   description="其他单位的分送为 404。",
                   responses={200: s.DeliveryDetailSerializer, **problems(404)})
    def get(self, request, pk: int):
        return Response(delivery_detail(delivery_for_unit(request.user, pk)))


class DeliveryAction(ApiView):
    """POST deliveries/{id}/<action>/: the caller's unit's delivery (404 otherwise), the input read by
    `input_serializer` (None: no body), `act` calls the routing action; the answer is the delivery afterwards."""

    roles = (roles.STAFF,)
    parser_classes = [JSONParser]
    input_serializer: type | None = None

    def act(self, delivery: Delivery, values: dict, user) -> None:
        raise NotImplementedError

    def post(self, request, pk: int):
        delivery = delivery_for_unit(request.user, pk)
        values = {}
        if self.input_serializer is not None:
            serializer = self.input_serializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            values = serializer.validated_data
        self.act(delivery, values, request.user)
        return Response(delivery_detail(delivery_for_unit(request.user, pk)))


class DeliverySign(DeliveryAction):
    @extend_schema(operation_id="delivery_sign", summary="签收",
                   description="阅知件签收即为已阅。", request=None,
                   responses={200: s.DeliveryDetailSerializer, **problems(404, 409)})
    def post(self, request, pk: int):
        return super().post(request, pk)

    def act(self, delivery, values, user):
        routing_actions.sign(delivery, actor=user)


class DeliveryDone(DeliveryAction):
    input_serializer = s.DoneSerializer

    @extend_schema(operation_id="delivery_done", summary="办结",
                   description="result：办理结果（牵头、办理单位必填）；close：牵头单位宣布整件办结。",
                   request=s.DoneSerializer, responses={200: s.DeliveryDetailSerializer, **problems(400, 404, 409)})
    def post(self, request, pk: int):
        return super().post(request, pk)

    def act(self, delivery, values, user):
        routing_actions.complete(delivery, actor=user, result=values.get("result") or "", close=values.get("close", False))
