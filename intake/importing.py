"""Registering telegrams from their text: one text, a .txt file, or a telegram terminal's output folder.

The same path as the clerk's form, so an import numbers, encrypts, audits and routes exactly like 保存并编号:
the text is parsed (textparse) into a TelegramInput and registered by intake.actions.register, whose typed
errors say why a file was not registered (the report groups them by their class and code, never by text).
Unknown units in a 批办 are no reason to skip a file: the telegram is registered and the names wait on the
clerk's 待处理 list. A file is remembered by the SHA-256 of its bytes (ImportedFile, written in the
registration's transaction), so a folder imported again skips what it already holds.
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
from core.errors import ActionError, Duplicate, NotAllowed
from telegrams import actions as telegram_actions
from telegrams.actions import AlreadyRegistered
from telegrams.inputs import TelegramInput
from telegrams.models import ImportedFile, Telegram
from telegrams.textparse import ParsedTelegram, TelegramParseError, parse

from . import actions

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
CLASSIFIED = "classified"
INCOMPLETE = "incomplete"
KINDS: dict[str, str] = {
    ALREADY_IMPORTED: "已导入过",
    DUPLICATE: "重复收文",
    UNREADABLE: "无法读取",
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


def _kind_of(exc: ActionError) -> str:
    if isinstance(exc, Duplicate):
        return DUPLICATE
    if isinstance(exc, NotAllowed) and exc.code == "classified":
        return CLASSIFIED
    return INCOMPLETE


def input_from_parsed(parsed: ParsedTelegram) -> TelegramInput:
    """What the parser found, as the register action's input (missing fields stay empty: the action says so)."""
    return TelegramInput(
        sender_unit_name=parsed.sender_unit or "", precedence=parsed.precedence or "",
        received_at=parsed.received_at, title=parsed.title or "", classification=parsed.classification or "明电",
        sending_unit=parsed.sending_unit or "", sender_doc_no=parsed.sender_doc_no or "",
        addressees=list(parsed.addressees), cc=list(parsed.cc), signatory=parsed.signatory or "",
        signed_on=parsed.signed_on, body=parsed.body or "", instruction=parsed.instruction or "",
        receipt_no=parsed.receipt_no or "",
    )


@dataclass
class SourceFile:
    filename: str
    sha256: str


def import_text(text: str, *, actor: AbstractBaseUser, source: SourceFile | None = None) -> Telegram:
    """Parse a received telegram's text and register it; raises ImportRefused (nothing saved) otherwise.
    A receipt number in the text is kept when free (the year's counter moves past it), refused when taken."""
    try:
        parsed = parse(text, now=timezone.now())
    except TelegramParseError as exc:
        raise ImportRefused(str(exc), UNREADABLE) from exc
    data = input_from_parsed(parsed)
    refused = telegram_actions.problems(data)
    if refused:  # every reason on one line, so one look at the report says what the file lacks
        raise ImportRefused("".join(p.message if p.message.endswith("。") else p.message + "。" for p in refused),
                            _kind_of(refused[0]))
    try:
        with transaction.atomic():
            telegram = actions.register(data, actor=actor)
            if source is not None:
                ImportedFile.objects.create(sha256=source.sha256, filename=source.filename[:255], telegram=telegram,
                                            imported_by=actor)
                record(actor, "telegram.import", telegram, {
                    "receipt_no": telegram.receipt_no, "file": source.filename, "sha256": source.sha256,
                })
    except AlreadyRegistered as exc:
        raise ImportRefused(exc.message, DUPLICATE) from exc
    except ActionError as exc:
        raise ImportRefused(exc.message, _kind_of(exc)) from exc
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
