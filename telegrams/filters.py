import django_filters
from django import forms
from django.utils import timezone

from core.filters import BoundedDateFilter, CheckboxBooleanFilter

from . import search
from .models import Precedence, Telegram, TelegramState

OPEN_DELIVERY_STATES = ("delivered", "signed")  # routing.deadlines.OPEN_STATES: still to be handled


class RegisterFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label="搜索（含正文）", method="search",
                                  widget=forms.TextInput(attrs={"placeholder": "收文号、来电单位、字号、标题或正文（正文至少两个字）"}))
    precedence = django_filters.ChoiceFilter(label="等级", choices=Precedence.choices, empty_label="全部等级")
    sender = django_filters.CharFilter(label="来电单位", field_name="sender_unit_name", lookup_expr="icontains")
    state = django_filters.ChoiceFilter(label="状态", choices=TelegramState.choices, empty_label="全部状态")
    date_from = BoundedDateFilter(label="收报日期自", field_name="received_at", lookup_expr="date__gte",
                                          widget=forms.DateInput(attrs={"type": "date"}))
    date_to = BoundedDateFilter(label="至", field_name="received_at", lookup_expr="date__lte",
                                        widget=forms.DateInput(attrs={"type": "date"}))
    overdue = CheckboxBooleanFilter(label="仅逾期未办结", method="filter_overdue")

    # False (the API, exports): body candidates are confirmed before the query; the register page sets it and
    # confirms only the rows it shows.
    confirm_on_page = False

    class Meta:
        model = Telegram
        fields = ["q", "precedence", "sender", "state", "date_from", "date_to", "overdue"]

    def filter_overdue(self, queryset, name, value):
        """Telegrams with a delivery still open past its deadline (the partial index on open deadlines)."""
        if not value:
            return queryset
        # routing's Delivery, reached through the relation (telegrams sits below routing and imports nothing of it).
        delivery = Telegram.deliveries.rel.related_model
        late = delivery.objects.filter(state__in=OPEN_DELIVERY_STATES, deadline__lt=timezone.localdate())
        return queryset.filter(pk__in=late.values("telegram_id"))

    def search(self, queryset, name, value):
        value = search.clean(value)
        if not value:
            return queryset
        self.search_text = value
        if self.confirm_on_page:  # the register page confirms the body's candidates it shows (search.confirm)
            return queryset.filter(search.search_q(value))
        return queryset.filter(search.confirmed_q(value, queryset))

    def confirm(self, rows: list) -> list:
        """The body's candidates decrypted and confirmed (the header fields' matches are sure already)."""
        value = getattr(self, "search_text", "")
        return search.confirm(rows, value) if value else rows
