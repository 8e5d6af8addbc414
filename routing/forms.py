"""The unit's forms (办结 with attachments, 退回, 转办) and the clerk's (re-route a 退回, 传阅 a 阅件 to units).
They read input; the rules are the actions' (routing.actions), whose typed errors the views show."""
from __future__ import annotations

import re

from django import forms
from django.conf import settings

from directory.models import Unit
from telegrams.inputs import ScanUpload

from .actions import MAX_FILES, MAX_REASON_LENGTH, MAX_RESULT_LENGTH

# An attachment is judged by its content (magic numbers), never by its name or the browser's claim. Word, Excel and
# OFD files are ZIP or OLE containers; they are always downloaded, never shown inline.
FILE_SIGNATURES = (
    (b"%PDF-", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"PK\x03\x04", "application/zip"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "application/x-ole-storage"),
)


def sniff_file(head: bytes) -> str | None:
    return next((content_type for magic, content_type in FILE_SIGNATURES if head.startswith(magic)), None)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class ResultFilesField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data, initial=None):
        files = data if isinstance(data, (list, tuple)) else ([data] if data else [])
        if len(files) > MAX_FILES:
            raise forms.ValidationError(f"附件最多{MAX_FILES}个。")
        uploads = []
        for f in files:
            name = re.sub(r"[\\/\x00-\x1f]", "_", f.name or "附件")[-200:]
            if f.size > settings.SCAN_MAX_BYTES:
                raise forms.ValidationError(f"附件“{name}”超过{settings.SCAN_MAX_BYTES // (1024 * 1024)}MB。")
            content = f.read()
            content_type = sniff_file(content[:16])
            if content_type is None:
                raise forms.ValidationError(f"附件“{name}”不是PDF、图片、Word/Excel或OFD文件（按文件内容判断）。")
            uploads.append(ScanUpload(filename=name, content_type=content_type, content=content))
        return uploads


class CompleteForm(forms.Form):
    result = forms.CharField(label="办理结果", max_length=MAX_RESULT_LENGTH, required=False,
                             widget=forms.Textarea(attrs={"rows": 6}),
                             error_messages={"max_length": f"办理结果不能超过{MAX_RESULT_LENGTH}字。"})
    files = ResultFilesField(label="附件", required=False, help_text=f"PDF、图片、Word/Excel或OFD，最多{MAX_FILES}个，加密保存")
    close = forms.BooleanField(label="牵头单位宣布全件办结（不等待配合单位）", required=False)


def _reason_field(label: str) -> forms.CharField:
    return forms.CharField(label=label, max_length=MAX_REASON_LENGTH, widget=forms.Textarea(attrs={"rows": 3}),
                           error_messages={"required": f"请填写{label}。", "max_length": f"{label}不能超过{MAX_REASON_LENGTH}字。"})


class HandBackForm(forms.Form):
    reason = _reason_field("退回原因")


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name


def _units():
    return Unit.objects.filter(active=True).order_by("name")


class TransferForm(forms.Form):
    to_unit = UnitChoiceField(label="转办给", queryset=_units(), empty_label="请选择单位",
                              error_messages={"required": "请选择转办的单位。", "invalid_choice": "请选择一个启用的单位。"})
    reason = _reason_field("转办原因")
    approved_by = forms.CharField(label="同意转办的本单位领导", max_length=50,
                                  error_messages={"required": "转办须经本单位领导同意，请填写同意转办的领导姓名。"})


class RerouteForm(forms.Form):
    unit = UnitChoiceField(label="改送单位", queryset=_units(), required=False, empty_label="请选择单位")
    note = forms.CharField(label="不再分送的原因", max_length=200, required=False)


class UnitsMultipleField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class CirculateForm(forms.Form):
    units = UnitsMultipleField(label="传阅单位", queryset=_units(), widget=forms.CheckboxSelectMultiple,
                               error_messages={"required": "请选择传阅的单位。", "invalid_choice": "请选择启用的单位。"})


class DeadlineForm(forms.Form):
    """The clerk moves one delivery's deadline, with the reason (routing.actions.change_deadline)."""

    deadline = forms.DateField(label="新的办结期限", widget=forms.DateInput(attrs={"type": "date"}),
                               error_messages={"required": "请填写新的办结期限。", "invalid": "日期格式不正确（应为 年-月-日）。"})
    reason = forms.CharField(label="修改原因", max_length=MAX_REASON_LENGTH,
                             error_messages={"required": "请填写修改原因。"})
