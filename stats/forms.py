"""The statistics page's filters: a month, quarter or year of receipt, and optionally a precedence, a sender
and a unit."""
from __future__ import annotations

from django import forms
from django.utils import timezone

from directory.models import Unit

from .models import ALL, ALL_UNITS
from .report import PRECEDENCES, Filters, years_available

GRAINS = [("year", "年度"), ("quarter", "季度"), ("month", "月份")]


class StatsFilterForm(forms.Form):
    grain = forms.ChoiceField(label="统计期", choices=GRAINS, required=False)
    year = forms.TypedChoiceField(label="年度", coerce=int, required=False)
    quarter = forms.TypedChoiceField(label="季度", coerce=int, required=False,
                                     choices=[(q, f"第{q}季度") for q in range(1, 5)])
    month = forms.TypedChoiceField(label="月份", coerce=int, required=False,
                                   choices=[(m, f"{m}月") for m in range(1, 13)])
    precedence = forms.ChoiceField(label="等级", required=False, choices=[("", "全部等级"), *[(p, p) for p in PRECEDENCES]])
    sender = forms.CharField(label="来电单位", required=False, max_length=100,
                             widget=forms.TextInput(attrs={"list": "stats-senders", "placeholder": "全部来电单位"}))
    unit = forms.TypedChoiceField(label="承办单位", coerce=int, required=False, empty_value=ALL_UNITS)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["year"].choices = [(y, f"{y}年") for y in years_available()]
        self.fields["unit"].choices = [("", "全部单位"), *Unit.objects.filter(active=True).order_by("name").values_list("pk", "name")]
        self.initial.update({"grain": "year", "year": today.year, "quarter": (today.month - 1) // 3 + 1, "month": today.month})

    def filters(self) -> Filters:
        """The chosen filters; a field left empty or refused falls back to its default (this year, everything)."""
        data: dict = {}
        if self.is_bound:
            self.is_valid()  # cleaned_data keeps the fields that are valid
            data = self.cleaned_data
        value = {name: data.get(name) or self.initial.get(name) for name in ("grain", "year", "quarter", "month")}
        if value["grain"] == "quarter":
            period = f"{value['year']}-Q{value['quarter']}"
        elif value["grain"] == "month":
            period = f"{value['year']}-{value['month']:02d}"
        else:
            period = str(value["year"])
        return Filters(period=period, precedence=data.get("precedence") or ALL, sender=(data.get("sender") or "").strip(),
                       unit_id=data.get("unit") or ALL_UNITS)
