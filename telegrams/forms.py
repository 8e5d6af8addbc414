"""The header fields a clerk registers and corrects, and scan uploads. The forms only read input (formats,
required fields, sizes); the rules (a future receipt time, 密电, duplicates, numbering) are the actions', whose
typed errors the views put back on the form (core.mapping.add_to_form)."""
from __future__ import annotations

import re

from django import forms
from django.conf import settings

from core.forms import SubmissionTokenField

from . import scanfiles
from .inputs import ReplyInput, ReturnInput, ScanUpload
from .models import Precedence, ReplyMethod, ReturnReason, TelegramKind
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


class ReviewForm(forms.Form):
    """初审: 阅件 or 办件 (退文 has its own form)."""

    kind = forms.ChoiceField(label="件别", choices=TelegramKind.choices, widget=forms.RadioSelect,
                             error_messages={"required": "请选择阅件或办件。", "invalid_choice": "请选择阅件或办件。"})


class ReturnForm(forms.Form):
    """退文: the checklist of reasons, 其他 with its text, a note (the 退文告知单 prints them)."""

    reasons = forms.MultipleChoiceField(label="退文原因", choices=ReturnReason.choices, widget=forms.CheckboxSelectMultiple,
                                        error_messages={"required": "请至少勾选一项退文原因。",
                                                        "invalid_choice": "退文原因不正确。"})
    other_reason = forms.CharField(label="其他原因", max_length=200, required=False,
                                   help_text="勾选“其他”时必填", error_messages={"max_length": "其他原因不能超过200字。"})
    note = forms.CharField(label="说明", max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 3}),
                           help_text="如：请按规定渠道重新报送。将印在退文告知单上。",
                           error_messages={"max_length": "说明不能超过500字。"})
    submission = SubmissionTokenField()

    def to_input(self) -> ReturnInput:
        c = self.cleaned_data
        return ReturnInput(reasons=list(c["reasons"]), other_reason=c["other_reason"], note=c["note"],
                           submission_key=c["submission"])


class ReplyForm(forms.Form):
    """答复: what was reported to the sender, how, when, by whom — or that no reply is needed (and why)."""

    needed = forms.TypedChoiceField(label="是否答复", choices=[("1", "已答复来电单位"), ("0", "无需答复")], coerce=lambda v: v == "1",
                                    initial="1", widget=forms.RadioSelect, error_messages={"required": "请选择是否答复。"})
    method = forms.ChoiceField(label="答复方式", choices=[("", "请选择"), *ReplyMethod.choices], required=False)
    doc_no = forms.CharField(label="答复文号", max_length=64, required=False, help_text="电报或公文的字号，可不填")
    replied_at = forms.DateTimeField(label="答复时间", required=False,
                                     input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
                                     widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
                                     error_messages={"invalid": "答复时间格式不正确。"})
    replied_by = forms.CharField(label="答复人", max_length=50, required=False)
    text = forms.CharField(label="答复内容", max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 5}),
                           help_text="向来电单位报告了什么", error_messages={"max_length": "答复内容不能超过5000字。"})
    note = forms.CharField(label="无需答复的原因", max_length=200, required=False, error_messages={"max_length": "说明不能超过200字。"})
    submission = SubmissionTokenField()

    def to_input(self) -> ReplyInput:
        c = self.cleaned_data
        return ReplyInput(needed=c["needed"], method=c["method"], text=c["text"], replied_at=c["replied_at"],
                          replied_by=c["replied_by"], doc_no=c["doc_no"], note=c["note"], submission_key=c["submission"])
