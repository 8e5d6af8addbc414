"""The clerk's 催办 form (a note; the submission token makes a double click one 催办) and the overdue list's filters."""
from __future__ import annotations

from django import forms

from core.forms import SubmissionTokenField
from directory.models import Unit
from telegrams.models import Precedence

from .actions import MAX_NOTE_LENGTH

DEFAULT_NOTE = "该件已超过办结期限，请抓紧办理并及时报送办理结果。"


class RemindForm(forms.Form):
    note = forms.CharField(label="催办内容", max_length=MAX_NOTE_LENGTH, initial=DEFAULT_NOTE,
                           error_messages={"required": "请填写催办内容。",
                                           "max_length": f"催办内容不能超过{MAX_NOTE_LENGTH}字。"})
    token = SubmissionTokenField()


class OverdueFilterForm(forms.Form):
    unit = forms.ModelChoiceField(label="单位", queryset=Unit.objects.filter(active=True).order_by("name"),
                                  required=False, empty_label="全部单位")
    precedence = forms.ChoiceField(label="等级", choices=[("", "全部等级"), *Precedence.choices], required=False)
    min_days = forms.IntegerField(label="逾期天数至少", min_value=1, max_value=3650, required=False,
                                  widget=forms.NumberInput(attrs={"placeholder": "1"}))
