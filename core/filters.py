"""Date filters that refuse what no record can have: a date before 1949 or after 2099 gets a Chinese message on
the filter form (and is ignored), instead of overflowing the day arithmetic into a 500 (`date_to=9999-12-31`)."""
from __future__ import annotations

from datetime import date

import django_filters
from django import forms

FIRST_DAY = date(1949, 1, 1)
LAST_DAY = date(2099, 12, 31)


class BoundedDateField(forms.DateField):
    default_error_messages = {"invalid": "日期格式不正确（应为 年-月-日）。"}

    def clean(self, value):
        day = super().clean(value)
        if day is not None and not FIRST_DAY <= day <= LAST_DAY:
            raise forms.ValidationError(f"日期超出范围：只能查询 {FIRST_DAY.year} 年至 {LAST_DAY.year} 年之间的日期。")
        return day


class BoundedDateFilter(django_filters.DateFilter):
    field_class = BoundedDateField


class StrictCheckboxInput(forms.CheckboxInput):
    """The raw value, for the field to judge (Django's CheckboxInput calls any non-empty text True)."""

    def value_from_datadict(self, data, files, name):
        return data.get(name) if name in data else False


class CheckboxBooleanField(forms.Field):
    """A checkbox on a page ("on"), true/false (or 1/0) in an API query; anything else is refused with a Chinese
    message rather than silently ignored. Absent: False (no filtering)."""

    widget = StrictCheckboxInput
    TRUE, FALSE = {True, "on", "true", "True", "1"}, {False, None, "", "false", "False", "0"}

    def to_python(self, value):
        if value in self.TRUE:
            return True
        if value in self.FALSE:
            return False
        raise forms.ValidationError("只能是 true 或 false。", code="invalid")

    def validate(self, value):
        pass  # False is a valid answer (a checkbox left unticked)


class CheckboxBooleanFilter(django_filters.BooleanFilter):
    field_class = CheckboxBooleanField
