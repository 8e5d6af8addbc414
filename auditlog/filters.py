from __future__ import annotations

from datetime import datetime, time, timedelta

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone

from audit import catalog
from audit.models import AuditEntry
from core.filters import BoundedDateFilter


def _day_start(day) -> datetime:
    # A local calendar day as an aware range bound, so the index on `at` is used (no per-row date cast).
    return timezone.make_aware(datetime.combine(day, time.min))


class AuditFilter(django_filters.FilterSet):
    actor = django_filters.CharFilter(
        label="操作人", method="filter_actor", widget=forms.TextInput(attrs={"placeholder": "姓名或用户名"}),
    )
    action = django_filters.CharFilter(
        label="动作", method="filter_action",
        widget=forms.TextInput(attrs={"list": "audit-actions", "placeholder": "如 登记来电、签收"}),
    )
    telegram = django_filters.CharFilter(
        label="收文号/对象", method="filter_object",
        widget=forms.TextInput(attrs={"placeholder": "收文号、单位或用户名"}),
    )
    date_from = BoundedDateFilter(label="日期自", method="filter_from", widget=forms.DateInput(attrs={"type": "date"}))
    date_to = BoundedDateFilter(label="至", method="filter_to", widget=forms.DateInput(attrs={"type": "date"}))

    class Meta:
        model = AuditEntry
        fields = ["actor", "action", "telegram", "date_from", "date_to"]

    def filter_actor(self, qs, name, value):
        """The name the entry was written with (a person's full name) or the account's user name."""
        value = value.strip()
        return qs.filter(Q(actor_name__icontains=value) | Q(actor__username__icontains=value))

    def filter_action(self, qs, name, value):
        """A Chinese name (登记来电, or part of one: 登记), an action code, or a code prefix (routing)."""
        value = value.strip()
        value = catalog.action_for_label(value) or value
        named = catalog.actions_labelled(value)
        if named:
            return qs.filter(action__in=named)
        if "." in value.rstrip("."):
            return qs.filter(action=value)
        return qs.filter(action__startswith=value.rstrip(".") + ".")  # "routing" → every routing.* action

    def filter_object(self, qs, name, value):
        """What a person names: a receipt number, a unit, a user (each registered kind's own lookup, audit.catalog),
        every entry whose data quotes it, or an object id."""
        value = value.strip()
        q = Q(object_id=value) if value.isdigit() else Q(data__contains=value)
        for object_type, object_id in catalog.find_objects(value):
            q |= Q(object_type=object_type, object_id=object_id)
        return qs.filter(q)

    def filter_from(self, qs, name, value):
        return qs.filter(at__gte=_day_start(value))

    def filter_to(self, qs, name, value):
        return qs.filter(at__lt=_day_start(value + timedelta(days=1)))
