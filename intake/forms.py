"""The registration form: the header fields plus what only a registration has. It translates into TelegramInput;
the register action checks the rules and its typed errors come back onto these fields."""
from __future__ import annotations

from django import forms

from core.forms import SubmissionTokenField
from telegrams.forms import HeaderForm, ScanField
from telegrams.inputs import TelegramInput


class TelegramForm(HeaderForm):
    receipt_no = forms.CharField(label="收文号", max_length=64, required=False,
                                 help_text="留空则保存时自动编号；仅在补录纸质已编号来电时填写。")
    classification = forms.ChoiceField(label="类别", choices=[("明电", "明电"), ("密电", "密电")], initial="明电")
    body = forms.CharField(label="正文", required=False, max_length=200_000, widget=forms.Textarea(attrs={"rows": 12}))
    instruction = forms.CharField(label="批办", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}),
                                  help_text="如“送：自治区总工会。”；留空则送领导批示")
    proposal = forms.CharField(label="拟办意见", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    scans = ScanField(label="扫描件", required=False, help_text="PDF、JPEG 或 PNG，可多选")
    submission = SubmissionTokenField()

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
