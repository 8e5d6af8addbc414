"""Registering telegrams from their text: one text, a .txt file, or a telegram terminal's output folder.

The same path as the clerk's form, so an import numbers, encrypts, audits and routes exactly like 保存并编号:
the text is parsed (textparse), mapped onto TelegramForm by the paste step's own mapping (prefill), so the
same field checks and Chinese messages apply, then ``registration.register_from_form`` resolves the 批办 with
routing.services.plan_for (unknown units: nothing saved) and calls telegrams.services.register.
A file is remembered by the SHA-256 of its bytes (ImportedFile, written in the registration's transaction),
so a folder imported again skips what it already holds.
"""
from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone

from audit.services import record

from .models import ImportedFile, Telegram
from .textparse import TelegramParseError, parse

MAX_FILE_BYTES = 2 * 1024 * 1024  # a telegram is a few KB; a bigger file is not one


class ImportRefused(Exception):
    """A text that was not registered; ``message`` is one Chinese line, ``kind`` one of KINDS."""

    def __init__(self, message: str, kind: str):
        super().__init__(message)
        self.message = message
        self.kind = kind


# Why a text was not registered (the folder report groups by these).
ALREADY_IMPORTED = "already_imported"
DUPLICATE = "duplicate"
UNREADABLE = "unreadable"
UNKNOWN_UNIT = "unknown_unit"
CLASSIFIED = "classified"
INCOMPLETE = "incomplete"
KINDS: dict[str, str] = {
    ALREADY_IMPORTED: "已导入过",
    DUPLICATE: "重复收文",
    UNREADABLE: "无法读取",
    UNKNOWN_UNIT: "批办中有未知单位",
    CLASSIFIED: "密电不得登记",
    INCOMPLETE: "缺少或不合规的项目",
}

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "PDF"),
    (b"\x89PNG", "PNG 图片"),
    (b"\xff\xd8\xff", "JPEG 图片"),
    (b"PK\x03\x04", "Word/压缩包"),
    (b"\xd0\xcf\x11\xe0", "Word/Excel 文档"),
    (b"GIF8", "GIF 图片"),
)


def decode_text(data: bytes) -> str:
    """A .txt file's bytes as text: UTF-8 (with or without BOM), UTF-16 with BOM, else GB18030 (GBK
    terminals). Anything else — too big, empty, binary — is refused with a Chinese message."""
    if len(data) > MAX_FILE_BYTES:
        raise ImportRefused(f"文件超过{MAX_FILE_BYTES // (1024 * 1024)}MB，不是一份电报文本。", UNREADABLE)
    if not data.strip():
        raise ImportRefused("文件为空。", UNREADABLE)
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            raise ImportRefused(f"文件是{kind}，不是文本文件；请上传 .txt 文本（UTF-8 或 GB18030）。", UNREADABLE)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        candidates: tuple[str, ...] = ("utf-16",)
    else:
        candidates = ("utf-8-sig", "gb18030")
    for encoding in candidates:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        break
    else:
        raise ImportRefused("无法识别文件编码：应为 UTF-8 或 GB18030 文本。", UNREADABLE)
    text = text.rstrip("\x1a")  # DOS end-of-file mark, still written by some terminals
    # GB18030 decodes most byte soup; real text has no control or unassigned/private-use characters.
    odd = sum(1 for ch in text if ch not in "\t\n\r\f" and unicodedata.category(ch) in ("Cc", "Co", "Cn"))
    if odd:
        raise ImportRefused("文件内容不是纯文本（含二进制或无法识别的字符）；请上传 .txt 文本文件。", UNREADABLE)
    return text


def _kind_of(form) -> str:
    errors = form.errors
    if "classification" in errors:
        return CLASSIFIED
    if "instruction" in errors and any("未找到单位" in e for e in errors["instruction"]):
        return UNKNOWN_UNIT
    if "receipt_no" in errors and any("已被占用" in e for e in errors["receipt_no"]):
        return DUPLICATE
    if any("重复收文" in e for es in errors.values() for e in es):
        return DUPLICATE
    return INCOMPLETE


def _message_of(form) -> str:
    """Every form error on one line; the messages name their field ("请填写来电单位。")."""
    parts: list[str] = []
    for name, messages in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        for message in messages:
            # "收报时间格式不正确。" names its field; "Enter a whole number." style ones get the label.
            parts.append(message if not label or label in message else f"{label}：{message}")
    return "".join(p if p.endswith(("。", "）")) else p + "。" for p in parts)


@dataclass
class SourceFile:
    filename: str
    sha256: str


def import_text(text: str, *, actor: AbstractBaseUser, source: SourceFile | None = None) -> Telegram:
    """Parse a received telegram's text and register it; raises ImportRefused (nothing saved) otherwise.
    A receipt number in the text is kept when free (the year's counter moves past it), refused when taken."""
    from .forms import TelegramForm
    from .prefill import form_data
    from .registration import register_from_form

    try:
        parsed = parse(text, now=timezone.now())
    except TelegramParseError as exc:
        raise ImportRefused(str(exc), UNREADABLE) from exc
    form = TelegramForm(data=form_data(parsed))
    if not form.is_valid():
        raise ImportRefused(_message_of(form), _kind_of(form))
    with transaction.atomic():
        telegram = register_from_form(form, actor)
        if telegram is None:  # refused before anything was written (register's own transaction rolled back)
            raise ImportRefused(_message_of(form), _kind_of(form))
        if source is not None:
            ImportedFile.objects.create(sha256=source.sha256, filename=source.filename[:255], telegram=telegram,
                                        imported_by=actor)
            record(actor, "telegram.import", telegram, {
                "receipt_no": telegram.receipt_no, "file": source.filename, "sha256": source.sha256,
            })
    return telegram


def import_file(path: Path, *, actor: AbstractBaseUser) -> Telegram:
    """Import one .txt file once: a file whose bytes were imported before is refused as ALREADY_IMPORTED."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ImportRefused(f"无法读取文件（{exc.strerror or exc}）。", UNREADABLE) from exc
    sha256 = hashlib.sha256(data).hexdigest()
    earlier = ImportedFile.objects.filter(sha256=sha256).select_related("telegram").first()
    if earlier is not None:
        raise ImportRefused(_already_message(earlier), ALREADY_IMPORTED)
    text = decode_text(data)
    try:
        return import_text(text, actor=actor, source=SourceFile(path.name, sha256))
    except IntegrityError:
        # Another import of the same bytes committed first; our registration rolled back with the row.
        earlier = ImportedFile.objects.filter(sha256=sha256).select_related("telegram").first()
        if earlier is None:
            raise
        raise ImportRefused(_already_message(earlier), ALREADY_IMPORTED) from None


def _already_message(earlier: ImportedFile) -> str:
    when = timezone.localtime(earlier.imported_at).strftime("%Y-%m-%d %H:%M")
    return f"该文件已导入过（{when}，{earlier.filename}，收文号 {earlier.telegram.receipt_no}），未重复登记。"


@dataclass
class Skipped:
    filename: str
    kind: str
    message: str

    @property
    def reason(self) -> str:
        return KINDS.get(self.kind, self.kind)


@dataclass
class FolderReport:
    imported: list[tuple[str, Telegram]] = field(default_factory=list)  # (filename, telegram), in file order
    skipped: list[Skipped] = field(default_factory=list)

    @property
    def failures(self) -> list[Skipped]:
        """Skips that need a person: everything but files already imported by an earlier run."""
        return [s for s in self.skipped if s.kind != ALREADY_IMPORTED]


def folder_files(path: Path) -> list[Path]:
    """The folder's *.txt files (not recursive, hidden files left out), in name order."""
    return sorted(
        (p for p in path.iterdir() if p.suffix.lower() == ".txt" and not p.name.startswith(".") and p.is_file()),
        key=lambda p: p.name,
    )


def import_folder(path: Path, *, actor: AbstractBaseUser) -> FolderReport:
    """Import each *.txt file of a folder once; one file's failure never stops the others."""
    report = FolderReport()
    for file in folder_files(path):
        try:
            telegram = import_file(file, actor=actor)
        except ImportRefused as exc:
            report.skipped.append(Skipped(file.name, exc.kind, exc.message))
        else:
            report.imported.append((file.name, telegram))
    return report
