"""The one typed input of a registration, whatever its source (the clerk's form, a pasted text, a folder import,
the API, OCR): each source translates into a TelegramInput; the register action takes nothing else."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime

_BRACKETS = str.maketrans({"[": "〔", "]": "〕", "［": "〔", "］": "〕", "【": "〔", "】": "〕"})


def normalize_doc_no(text: str) -> str:
    """工发电[2020]7号, 工发电［2020］7号 → 工发电〔2020〕7号 (the form the register stores and compares)."""
    return re.sub(r"\s+", "", text or "").translate(_BRACKETS)


@dataclass
class ScanUpload:
    filename: str
    content_type: str
    content: bytes


@dataclass
class TelegramInput:
    sender_unit_name: str
    precedence: str
    received_at: datetime
    title: str
    classification: str = "明电"
    sending_unit: str = ""
    issuer: str = ""
    sender_doc_no: str = ""
    addressees: list[str] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)
    pages: int | None = None
    copies: int | None = None
    signatory: str = ""
    signed_on: date | None = None
    body: str = ""
    instruction: str = ""
    proposal: str = ""
    receipt_no: str = ""  # only when the text carried a number already given on paper
    scans: list[ScanUpload] = field(default_factory=list)
    submission_key: str = ""  # the form's one-time token or the API's Idempotency-Key


# The header fields a clerk may correct later (telegrams.actions.correct); the receipt number never changes.
HEADER_FIELDS = (
    "sender_unit_name", "precedence", "received_at", "title", "sending_unit", "issuer", "sender_doc_no",
    "addressees", "cc", "pages", "copies", "signatory", "signed_on",
)


@dataclass
class ReturnInput:
    """退文: the reasons ticked on the checklist (ReturnReason values), the text of 其他, a note."""

    reasons: list[str]
    other_reason: str = ""
    note: str = ""
    submission_key: str = ""


@dataclass
class ReplyInput:
    """答复: what was reported to the sender, how (ReplyMethod), when and by whom — or `needed=False` with why."""

    needed: bool = True
    method: str = ""
    text: str = ""
    replied_at: datetime | None = None
    replied_by: str = ""
    doc_no: str = ""
    note: str = ""
    submission_key: str = ""
