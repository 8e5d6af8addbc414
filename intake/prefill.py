"""识别并填表: a pasted or uploaded telegram text → the registration form's data, with what was found.

Nothing here writes: the clerk checks the filled form and presses 保存并编号. The text is read by the same
parser as a folder import (intake.importing), and the warnings are the register action's own checks
(intake.actions.preflight), so a paste shows before saving exactly what saving would say.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from django import forms
from django.utils import timezone

from telegrams.textparse import MAX_TEXT_CHARS, ParsedTelegram, TelegramParseError, parse

from .actions import preflight
from .forms import TelegramForm
from .importing import MAX_FILE_BYTES, ImportRefused, decode_text, input_from_parsed

PARSE_SUBMIT = "parse"  # the name of the 识别并填表 button: tells the view this POST only fills the form

# Parser field → registration form field. The 领导批示 has no form field: a leader writes it in the system.
FORM_FIELDS: dict[str, str] = {
    "receipt_no": "receipt_no",
    "sender_unit": "sender_unit_name",
    "precedence": "precedence",
    "classification": "classification",
    "received_at": "received_at",
    "title": "title",
    "instruction": "instruction",
    "sending_unit": "sending_unit",
    "sender_doc_no": "sender_doc_no",
    "addressees": "addressees",
    "body": "body",
    "signatory": "signatory",
    "signed_on": "signed_on",
    "cc": "cc",
}


def form_data(parsed: ParsedTelegram) -> dict[str, str]:
    """The fields the parser found, as the registration form's own input strings."""
    data: dict[str, str] = {}
    for name, form_name in FORM_FIELDS.items():
        value = getattr(parsed, name)
        if value in (None, "", []):
            continue
        if name == "received_at":
            value = timezone.localtime(value).strftime("%Y-%m-%dT%H:%M")
        elif name == "signed_on":
            value = value.isoformat()
        elif isinstance(value, list):
            # "，" not "、": the form splits 、 only between complete unit names, so the list comes back whole.
            value = "，".join(value)
        data[form_name] = value
    return data


@dataclass
class Prefill:
    """What the paste step shows: the form's initial data, which fields were found or not, and warnings
    the clerk should see before saving (each keyed by form field)."""

    data: dict[str, str]
    hints: dict[str, str]  # form field → "found" | "missing"
    notes: dict[str, str] = field(default_factory=dict)
    annotation: str | None = None

    @property
    def found_labels(self) -> list[str]:
        return self._labels("found")

    @property
    def missing_labels(self) -> list[str]:
        return self._labels("missing")

    def _labels(self, state: str) -> list[str]:
        return [TelegramForm.base_fields[n].label for n, s in self.hints.items() if s == state]


def prefill(parsed: ParsedTelegram) -> Prefill:
    data = form_data(parsed)
    hints = {form_name: ("found" if form_name in data else "missing") for form_name in FORM_FIELDS.values()}
    notes = {name: message for name, message in preflight(input_from_parsed(parsed)).items() if name in data}
    return Prefill(data=data, hints=hints, notes=notes, annotation=parsed.annotation)


class PasteForm(forms.Form):
    """The 粘贴电报文本 panel: pasted text or an uploaded .txt (the file wins when both are given)."""

    text = forms.CharField(
        label="粘贴电报文本", required=False, strip=False, max_length=MAX_TEXT_CHARS,
        widget=forms.Textarea(attrs={"rows": 6, "placeholder": "把收到的电报全文（含收文登记表头或仅电报正文）粘贴在这里"}),
        error_messages={"max_length": "粘贴的文本过长，不是一份电报。"},
    )
    file = forms.FileField(label="或上传 .txt 文件", required=False,
                           help_text="UTF-8 或 GB18030 编码，不超过2MB",
                           widget=forms.ClearableFileInput(attrs={"accept": ".txt,text/plain"}))

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("file")
        if upload:
            if upload.size > MAX_FILE_BYTES:  # before reading it into memory
                raise forms.ValidationError(f"文件超过{MAX_FILE_BYTES // (1024 * 1024)}MB，不是一份电报文本。")
            try:
                text = decode_text(upload.read())
            except ImportRefused as exc:
                raise forms.ValidationError(exc.message) from None
            cleaned["text"] = text
            # Show what was read from the file in the text box, so the clerk can fix it and parse again.
            self.data = self.data.copy()
            self.data["text"] = text
        elif not (cleaned.get("text") or "").strip() and "text" not in self.errors:
            raise forms.ValidationError("请粘贴电报文本或选择一个 .txt 文件。")
        return cleaned

    def parse(self) -> Prefill | None:
        """The filled form's data, or None with the reason among this form's errors."""
        if not self.is_valid():
            return None
        try:
            parsed = parse(self.cleaned_data["text"], now=timezone.now())
        except TelegramParseError as exc:
            self.add_error(None, str(exc))
            return None
        return prefill(parsed)
