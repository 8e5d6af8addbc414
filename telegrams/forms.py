"""The header fields a clerk registers and corrects, and scan uploads. The forms only read input (formats,
required fields, sizes); the rules (a future receipt time, 密电, duplicates, numbering) are the actions', whose
typed errors the views put back on the form (core.mapping.add_to_form)."""
from __future__ import annotations

import re

from django import forms
from django.conf import settings

from . import scanfiles
from .inputs import ScanUpload
from .models import Precedence
from .textparse import split_units

# Magic numbers: a scan is judged by its content, never by its name or the browser's claim.
SCAN_SIGNATURES = (
    (b"%PDF-", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
)
SCAN_MAX_FILES = 20


def sniff_scan(head: bytes) -> str | None:
    for magic, content_type in SCAN_SIGNATURES:
        if head.startswith(magic):
            return content_type
    return None


def split_names(text: str) -> list[str]:
    """A typed 主送/抄送 list, split like a parsed one: one line or several, and 、 only between complete
    unit names, so "各省、自治区、直辖市总工会" stays one addressee."""
    return [name for line in (text or "").splitlines() for name in split_units(line)]


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class ScanField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data, initial=None):
        files = data if isinstance(data, (list, tuple)) else ([data] if data else [])
        if len(files) > SCAN_MAX_FILES:
            raise forms.ValidationError(f"一次最多上传{SCAN_MAX_FILES}个扫描件。")
        uploads = []
        for f in files:
            name = re.sub(r"[\\/\x00-\x1f]", "_", f.name or "scan")[-200:]
            if f.size > settings.SCAN_MAX_BYTES:
                raise forms.ValidationError(
                    f"扫描件“{name}”超过{settings.SCAN_MAX_BYTES // (1024 * 1024)}MB，请压缩后再上传。"
                )
            content = f.read()
            content_type = sniff_scan(content[:16])
            if content_type is None:
                raise forms.ValidationError(f"扫描件“{name}”不是PDF、JPEG或PNG文件（按文件内容判断）。")
            try:  # Pillow reads the size (telegrams/scanfiles.py); the old header walk above can go
                scanfiles.image_size(content, content_type)
            except scanfiles.BadImage as exc:
                raise forms.ValidationError(f"扫描件“{name}”的{exc}，请重新扫描。")
            uploads.append(ScanUpload(filename=name, content_type=content_type, content=content))
        return uploads


class HeaderForm(forms.Form):
    """The header fields a clerk registers and may later correct (services.HEADER_FIELDS), with their checks."""

    sender_unit_name = forms.CharField(label="来电单位", max_length=100, error_messages={"required": "请填写来电单位。"},
                                       widget=forms.TextInput(attrs={"list": "unit-names"}))
    precedence = forms.ChoiceField(label="等级", choices=Precedence.choices, error_messages={
        "required": "请选择等级。", "invalid_choice": "等级只能是特提、特急、加急或平急。"})
    received_at = forms.DateTimeField(label="收报时间", input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
                                      widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
                                      error_messages={"required": "请填写收报时间。", "invalid": "收报时间格式不正确。"})
    title = forms.CharField(label="标题", max_length=300, error_messages={"required": "标题不能为空。"})
    sending_unit = forms.CharField(label="发电单位", max_length=100, required=False)
    issuer = forms.CharField(label="签发人", max_length=50, required=False)
    sender_doc_no = forms.CharField(label="发电字号", max_length=64, required=False,
                                    help_text="如 工发电〔2020〕7号，〔〕[]［］均可")
    addressees = forms.CharField(label="主送", required=False, max_length=2000,
                                 widget=forms.Textarea(attrs={"rows": 2}), help_text="多个单位用顿号或逗号分隔")
    cc = forms.CharField(label="抄送", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    pages = forms.IntegerField(label="页数", required=False, min_value=1, max_value=9999)
    copies = forms.IntegerField(label="份数", required=False, min_value=1, max_value=9999)
    signatory = forms.CharField(label="署名", max_length=100, required=False)
    signed_on = forms.DateField(label="成文日期", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean_title(self):
        value = self.cleaned_data["title"].strip()
        if not value:
            raise forms.ValidationError("标题不能为空。")
        return value

    def clean_addressees(self):
        return split_names(self.cleaned_data["addressees"])

    def clean_cc(self):
        return split_names(self.cleaned_data["cc"])


class CorrectionForm(HeaderForm):
    reason = forms.CharField(label="更正原因", max_length=200, error_messages={"required": "请填写更正原因。"})


class VoidForm(forms.Form):
    reason = forms.CharField(label="作废原因", max_length=200, error_messages={"required": "请填写作废原因。"})


class AddScansForm(forms.Form):
    """补充扫描件 on the telegram page."""

    scans = ScanField(label="补充扫描件", required=False, help_text="PDF、JPEG 或 PNG，可多选")
