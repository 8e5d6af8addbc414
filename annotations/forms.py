"""The 批示 box and its correction form. Business rules (routing, leaders, versions) are checked in the actions."""
from __future__ import annotations

from django import forms

from core.forms import SubmissionTokenField

from .drafts import MAX_TEXT_LENGTH


class AnnotationForm(forms.Form):
    text = forms.CharField(
        label="批示", max_length=MAX_TEXT_LENGTH, strip=True,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "如：请财政厅牵头，民政厅配合办理。"}),
        error_messages={"required": "请填写批示内容。", "max_length": f"批示内容不能超过{MAX_TEXT_LENGTH}字。"},
    )
    submission = SubmissionTokenField()


class CorrectionForm(AnnotationForm):
    reason = forms.CharField(
        label="更正原因", max_length=200, strip=True,
        error_messages={"required": "请填写更正原因。", "max_length": "更正原因不能超过200字。"},
    )
