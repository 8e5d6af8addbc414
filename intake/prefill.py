"""识别并填表: a pasted or uploaded telegram text — or what OCR read from a scan — → the registration form's data,
with what was found and, for a scan, how sure the reading was.

Nothing here writes: the clerk checks the filled form and presses 保存并编号. The text is read by the same
parser as a folder import (intake.importing), and the warnings are the register action's own checks
(intake.actions.preflight), so a paste shows before saving exactly what saving would say. A scan's text takes
the very same path (`from_ocr`); only the confidence marks are added, from the OCR lines each value came from.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from django import forms
from django.utils import timezone

from ocr.engine import OcrResult
from ocr.layout import Line
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


# OCR confidence of a field's source lines → how the field is marked. On our rendered forms (bench/ocr_forms.py)
# RapidOCR scores correctly read lines 0.99+ on clean, phone-photo and fax copies; the one misread on a fax copy
# (办公厅 → 办公行) scored 0.95, a line that is only partly legible well below 0.9.
HIGH, MEDIUM = 0.98, 0.90


def level_of(confidence: float | None) -> str:
    if confidence is None:
        return ""
    return "high" if confidence >= HIGH else "medium" if confidence >= MEDIUM else "low"


@dataclass
class Prefill:
    """What the paste (or scan) step shows: the form's initial data, which fields were found or not, warnings
    the clerk should see before saving (each keyed by form field), and for a scan the reading's confidence."""

    data: dict[str, str]
    hints: dict[str, str]  # form field → "found" | "missing"
    notes: dict[str, str] = field(default_factory=dict)
    annotation: str | None = None
    confidence: dict[str, float] = field(default_factory=dict)  # form field → OCR confidence (scans only)
    source: str = "text"  # "text" | "scan"

    @property
    def marks(self) -> dict[str, dict[str, str]]:
        """Per field, what is printed under it: kind (found/missing), level (high/medium/low for a scan) and text."""
        where = "扫描件" if self.source == "scan" else "文本"
        out = {}
        for name, kind in self.hints.items():
            if kind == "missing":
                out[name] = {"kind": kind, "level": "", "text": "未识别：原件如有，请对照补填"}
                continue
            level = level_of(self.confidence.get(name))
            percent = f"{self.confidence[name]:.0%}" if level else ""
            text = {
                "": f"✓ 已从{where}识别，请核对",
                "high": f"✓ 已从扫描件识别（把握 {percent}），请核对",
                "medium": f"已从扫描件识别（把握 {percent}），请对照扫描件核对",
                "low": f"⚠ 识别把握低（{percent}），请对照扫描件逐字核对",
            }[level]
            out[name] = {"kind": kind, "level": level, "text": text}
        return out

    def as_json(self) -> dict:
        """The prefill endpoints' body: the same data and marks the server-rendered form shows."""
        labels = {n: TelegramForm.base_fields[n].label for n in self.hints}
        return {"data": self.data, "marks": self.marks, "notes": self.notes, "annotation": self.annotation,
                "labels": labels, "found_labels": self.found_labels, "missing_labels": self.missing_labels,
                "source": self.source}

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


def from_ocr(result: OcrResult) -> Prefill:
    """What a scan's OCR text fills: the paste path (same parser, same checks) plus each field's confidence.
    Raises TelegramParseError when the text holds nothing a telegram has (a blank or unreadable page)."""
    filled = prefill(parse(result.text, now=timezone.now()))
    filled.confidence = confidence_of(filled.data, result.lines)
    filled.source = "scan"
    return filled


_SAME = str.maketrans({"〔": "[", "〕": "]", "［": "[", "］": "]", "【": "[", "】": "]", "（": "(", "）": ")",
                       "：": ":", "、": ",", "，": ",", "；": ",", ";": ",", "。": "."})


def _squeeze(text: str) -> str:
    """Spacing and punctuation variants out, so a parsed value and the OCR line it came from compare equal."""
    return re.sub(r"\s+", "", text).translate(_SAME)


def _anchors(name: str, value: str) -> list[str]:
    """How the value was printed: a date as 2020年5月1日21时36分 rather than the form's 2020-05-01T21:36."""
    m = re.match(r"(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}))?$", value)
    if not m:
        return [value]
    y, mo, d = int(m[1]), int(m[2]), int(m[3])
    day = f"{y}年{mo}月{d}日"
    return [f"{day}{int(m[4])}时{int(m[5])}分", day] if m[4] else [day]


def confidence_of(data: dict[str, str], lines: Sequence[Line]) -> dict[str, float]:
    """Per form field, the OCR confidence of the line(s) its value was read from: the best line holding the whole
    value, else the lowest of the lines that make it up (a title or body wrapped over several). A field whose
    source cannot be told is left out (marked "found", without a level)."""
    read = [(_squeeze(ln.text), ln.confidence) for ln in lines if ln.text.strip()]
    out: dict[str, float] = {}
    for name, value in data.items():
        for anchor in map(_squeeze, _anchors(name, value)):
            if not anchor:
                continue
            whole = [c for text, c in read if anchor in text]
            if whole:
                out[name] = max(whole)
                break
            parts = [(text, c) for text, c in read if len(text) >= 4 and text in anchor]
            if parts and sum(len(t) for t, _ in parts) >= len(anchor) / 2:
                out[name] = min(c for _, c in parts)
                break
    return out


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
