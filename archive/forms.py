from __future__ import annotations

from django import forms

from .models import Retention


class ArchiveForm(forms.Form):
    # No default: the 保管期限 is the clerk's decision for each telegram (or batch).
    retention = forms.ChoiceField(label="保管期限", choices=[("", "请选择")] + list(Retention.choices),
                                  error_messages={"required": "请选择保管期限。"})


class RevokeForm(forms.Form):
    reason = forms.CharField(label="撤销原因", max_length=300, widget=forms.Textarea(attrs={"rows": 2}),
                             error_messages={"required": "请填写撤销归档的原因。"})
