import django_filters
from django import forms
from django.utils import timezone

from core.filters import BoundedDateFilter, CheckboxBooleanFilter
from directory.models import Unit
from telegrams.models import Precedence

from .deadlines import OPEN_STATES
from .models import DeliveryState, RoutingEvent, Subject


class HistoryFilter(django_filters.FilterSet):
    unit = django_filters.ModelChoiceFilter(label="单位", field_name="delivery__unit", queryset=Unit.objects.all(),
                                            empty_label="全部单位")
    state = django_filters.ChoiceFilter(label="分送状态", method="filter_state", choices=DeliveryState.choices,
                                        empty_label="全部状态")
    sender = django_filters.CharFilter(label="来电单位", field_name="telegram__sender_unit_name", lookup_expr="icontains")
    precedence = django_filters.ChoiceFilter(label="等级", field_name="telegram__precedence",
                                             choices=Precedence.choices, empty_label="全部等级")
    date_from = BoundedDateFilter(label="日期自", field_name="at", lookup_expr="date__gte",
                                          widget=forms.DateInput(attrs={"type": "date"}))
    date_to = BoundedDateFilter(label="至", field_name="at", lookup_expr="date__lte",
                                        widget=forms.DateInput(attrs={"type": "date"}))

    overdue = CheckboxBooleanFilter(label="仅逾期未办结", method="filter_overdue")

    class Meta:
        model = RoutingEvent
        fields = ["unit", "state", "sender", "precedence", "date_from", "date_to", "overdue"]

    def filter_overdue(self, qs, name, value):
        """The records of deliveries still open past their deadline."""
        if not value:
            return qs
        return qs.filter(delivery__state__in=OPEN_STATES, delivery__deadline__lt=timezone.localdate())

    def filter_state(self, qs, name, value):
        # Telegram, order and delivery states share codes ("done"): this filter means the delivery's.
        return qs.filter(subject=Subject.DELIVERY, to_state=value)
