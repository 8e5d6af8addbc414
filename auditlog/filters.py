from __future__ import annotations

from datetime import datetime, time, timedelta

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone

from audit.catalog import action_for_label
from audit.models import AuditEntry
from core.filters import BoundedDateFilter
from telegrams.models import Telegram


def _day_start(day) -> datetime:
    # A local calendar day as an aware range bound, so the index on `at` is used (no per-row date cast).
    return timezone.make_aware(datetime.combine(day, time.min))


class AuditFilter(django_filters.FilterSet):
    actor = django_filters.CharFilter(label="操作人", field_name="actor_name", lookup_expr="icontains")
    action = django_filters.CharFilter(
        label="动作", method="filter_action",
        widget=forms.TextInput(attrs={"list": "audit-actions", "placeholder": "如 登记来电 或 routing"}),
    )
    telegram = django_filters.CharFilter(
        label="收文号/对象", method="filter_object", widget=forms.TextInput(attrs={"placeholder": "宁机明收[2020]744号"}),
    )
    date_from = BoundedDateFilter(label="日期自", method="filter_from", widget=forms.DateInput(attrs={"type": "date"}))
    date_to = BoundedDateFilter(label="至", method="filter_to", widget=forms.DateInput(attrs={"type": "date"}))

    class Meta:
        model = AuditEntry
        fields = ["actor", "action", "telegram", "date_from", "date_to"]

    def filter_action(self, qs, name, value):
        value = value.strip()
        value = action_for_label(value) or value
        if "." in value.rstrip("."):
            return qs.filter(action=value)
        return qs.filter(action__startswith=value.rstrip(".") + ".")  # "routing" → every routing.* action

    def filter_object(self, qs, name, value):
        """A receipt number (its telegram, and every entry whose data names it) or an object id."""
        value = value.strip()
        q = Q(object_id=value) if value.isdigit() else Q(data__contains=value)
        telegram_pk = Telegram.objects.filter(receipt_no=value).values_list("pk", flat=True).first()
        if telegram_pk is not None:
            q |= Q(object_type="telegrams.telegram", object_id=str(telegram_pk))
        return qs.filter(q)

    def filter_from(self, qs, name, value):
        return qs.filter(at__gte=_day_start(value))

    def filter_to(self, qs, name, value):
        return qs.filter(at__lt=_day_start(value + timedelta(days=1)))
