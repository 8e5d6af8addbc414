"""The registration form: the header fields plus what only a registration has. It translates into TelegramInput;
the register action checks the rules and its typed errors come back onto these fields."""
from __future__ import annotations

import uuid

from django import forms

from core.forms import SubmissionTokenField
from telegrams.forms import HeaderForm, ScanField
from telegrams.inputs import TelegramInput
from telegrams.models import Precedence

# The order a clerk reads the paper in (the receipt header, then the telegram), which is the tab order; what is
# rarely typed (a paper number, the class, a 拟办 note) comes last.
FIELD_ORDER = (
    "sender_unit_name", "precedence", "received_at", "title", "instruction",
    "sending_unit", "issuer", "sender_doc_no", "addressees", "body", "signatory", "signed_on", "cc", "pages", "copies",
    "proposal", "receipt_no", "classification", "scans", "held", "submission",
)


class HeldScansField(forms.Field):
    """Scans the desk already holds for this registration (intake.IntakeScan uids): the OCR upload, or scans
    chosen before a failed validation. Rendered by the template as hidden inputs; the view resolves them."""

    widget = forms.MultipleHiddenInput

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_python(self, value) -> list[uuid.UUID]:
        values = value if isinstance(value, (list, tuple)) else ([value] if value else [])
        out = []
        for v in values[:20]:
            try:
                out.append(uuid.UUID(str(v)))
            except ValueError:
                raise forms.ValidationError("暂存的扫描件标识无效，请重新选择扫描件。") from None
        return list(dict.fromkeys(out))


class TelegramForm(HeaderForm):
    # No default: a telegram saved untouched must not go out as 特提 (issue 15); the clerk picks it, or the
    # paste/scan fills it.
    precedence = forms.ChoiceField(label="等级", choices=[("", "请选择等级"), *Precedence.choices], error_messages={
        "required": "请选择等级。", "invalid_choice": "等级只能是特提、特急、加急或平急。"})
    receipt_no = forms.CharField(label="收文号", max_length=64, required=False,
                                 help_text="留空则保存时自动编号；仅在补录纸质已编号来电时填写。")
    classification = forms.ChoiceField(label="类别", choices=[("明电", "明电"), ("密电", "密电")], initial="明电")
    body = forms.CharField(label="正文", required=False, max_length=200_000, widget=forms.Textarea(attrs={"rows": 12}))
    instruction = forms.CharField(label="批办", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}),
                                  help_text="如“送：自治区总工会。”；留空则送领导批示")
    proposal = forms.CharField(label="拟办意见", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    scans = ScanField(label="扫描件", required=False, help_text="PDF、JPEG 或 PNG，可多选；保存未成功时已选的扫描件会暂存，无需重选")
    held = HeldScansField()
    submission = SubmissionTokenField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.order_fields(FIELD_ORDER)
        self.fields["sender_unit_name"].widget.attrs["autofocus"] = True

    def to_input(self) -> TelegramInput:
        c = self.cleaned_data
        return TelegramInput(
            sender_unit_name=c["sender_unit_name"].strip(), precedence=c["precedence"], received_at=c["received_at"],
            title=c["title"], classification=c["classification"], sending_unit=c["sending_unit"].strip(),
            issuer=c["issuer"].strip(), sender_doc_no=c["sender_doc_no"], addressees=c["addressees"], cc=c["cc"],
            pages=c["pages"], copies=c["copies"], signatory=c["signatory"].strip(), signed_on=c["signed_on"],
            body=c["body"], instruction=c["instruction"], proposal=c["proposal"], receipt_no=c["receipt_no"].strip(),
            scans=c["scans"] or [], submission_key=c["submission"],
        )


class ScanUploadForm(forms.Form):
    """上传并识别: one scan (a PDF of several pages, or a photo) to be read into the form."""

    scan = forms.FileField(label="扫描文件或照片", widget=forms.ClearableFileInput(attrs={
        "accept": "application/pdf,image/jpeg,image/png,.pdf,.jpg,.jpeg,.png"}),
        help_text="PDF（可多页）、JPEG 或 PNG，手机拍摄的照片亦可")
