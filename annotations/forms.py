"""The 批示 box and its correction form. Business rules (routing, leaders, versions) are checked in the actions."""
from __future__ import annotations

from django import forms

from core.forms import SubmissionTokenField

from .actions import MAX_CIRCULATION
from .drafts import MAX_TEXT_LENGTH, signature


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


class ProposalForm(forms.Form):
    proposal = forms.CharField(
        label="拟办意见", max_length=2000, strip=True,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "如：拟请财政厅牵头，民政厅配合办理。"}),
        help_text="写明单位和办理方式；领导可一键“同意拟办”，按拟办意见中的单位分送。",
        error_messages={"required": "请填写拟办意见。", "max_length": "拟办意见不能超过2000字。"},
    )


class CirculationForm(forms.Form):
    """传阅: leaders in order, one select per place (no script needed); empty places are skipped."""

    submission = SubmissionTokenField()

    def __init__(self, *args, leaders: list, **kwargs):
        super().__init__(*args, **kwargs)
        self.leaders = {str(u.pk): u for u in leaders}
        choices = [("", "—"), *((str(u.pk), signature(u)) for u in leaders)]
        for i in range(1, min(len(leaders), MAX_CIRCULATION) + 1):
            self.fields[f"leader_{i}"] = forms.ChoiceField(label=f"第{i}位", choices=choices, required=False,
                                                           error_messages={"invalid_choice": "请选择领导。"})

    @property
    def places(self):
        return [self[name] for name in self.fields if name.startswith("leader_")]

    def ordered_leaders(self) -> list:
        """The chosen leaders in the order of the places (duplicates kept: the action refuses them by name)."""
        return [self.leaders[v] for name, v in self.cleaned_data.items() if name.startswith("leader_") and v]
