"""The intake folder (INTAKE_FOLDER), looked at by beat every INTAKE_FOLDER_INTERVAL seconds: what a telegram
terminal or a scanner drops there comes in without anyone at the form.

- `*.txt` — registered like `import_telegram` (the same importer: parsed, numbered, routed, audited; a file's
  bytes are imported once);
- `*.pdf`, `*.jpg`, `*.jpeg`, `*.png` — queued for OCR (or, without the OCR extra, only kept) and listed on the
  clerk's 待登记扫描件 page: a scan is never registered unseen, a clerk confirms what was read;
- anything else is refused.

Each file is then moved into `已处理/` (registered, queued, or known already) or `未登记/` with a
`<name>.原因.txt` beside it, so the folder shows at a glance what is still to do. A folder that cannot be
written to still works: what was taken is known by its SHA-256 and skipped next time. A file changed in the last
INTAKE_SETTLE_SECONDS is left for the next look (a copy still arriving); two looks at once never overlap (a lock
file in the folder)."""
from __future__ import annotations

import fcntl
import hashlib
import logging
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError

from core.errors import ActionError, InvalidInput, NotAllowed
from directory import roles

from . import actions
from .importing import ALREADY_IMPORTED, ImportRefused, import_file
from .models import IntakeScan, IntakeSource

log = logging.getLogger(__name__)

PROCESSED, REFUSED = "已处理", "未登记"
SCAN_SUFFIXES = frozenset({".pdf", ".jpg", ".jpeg", ".png"})
LOCK_NAME = ".intake.lock"

# What happened to a file.
REGISTERED, QUEUED, HELD, KNOWN, REFUSED_KIND = "registered", "queued", "held", "known", "refused"
LABELS = {REGISTERED: "已登记", QUEUED: "已送识别，待确认", HELD: "已保存，待登记", KNOWN: "已收过", REFUSED_KIND: "未登记"}


@dataclass
class Outcome:
    filename: str
    kind: str
    message: str = ""
    receipt_no: str | None = None

    @property
    def label(self) -> str:
        return LABELS[self.kind]


@dataclass
class FolderPass:
    outcomes: list[Outcome] = field(default_factory=list)
    busy: bool = False  # another look was under way: this one did nothing

    def count(self, kind: str) -> int:
        return sum(1 for o in self.outcomes if o.kind == kind)


def intake_account(username: str | None = None) -> AbstractBaseUser:
    """The clerk account folder items are received under (INTAKE_USER, else the first active clerk)."""
    users = get_user_model().objects.filter(is_active=True)
    if username:
        actor = users.filter(username=username).first()
        if actor is None:
            raise InvalidInput(f"收件文件夹的登记人不存在或已停用：{username}", field="INTAKE_USER")
        if not roles.is_clerk(actor):
            raise NotAllowed(f"收件文件夹的登记人 {username} 不是机要员。", field="INTAKE_USER")
        return actor
    actor = users.filter(groups__name=roles.CLERK).order_by("id").first()
    if actor is None:
        raise InvalidInput("没有在用的机要员账号，收件文件夹无法登记；请创建机要员或设置 INTAKE_USER。", field="INTAKE_USER")
    return actor


def _take(path: Path, actor: AbstractBaseUser) -> Outcome:
    suffix = path.suffix.lower()
    if suffix == ".txt":
        try:
            telegram = import_file(path, actor=actor)
        except ImportRefused as exc:
            return Outcome(path.name, KNOWN if exc.kind == ALREADY_IMPORTED else REFUSED_KIND, exc.message)
        return Outcome(path.name, REGISTERED, receipt_no=telegram.receipt_no)
    if suffix in SCAN_SUFFIXES:
        if path.stat().st_size > settings.SCAN_MAX_BYTES:
            return Outcome(path.name, REFUSED_KIND, f"扫描件超过{settings.SCAN_MAX_BYTES // (1024 * 1024)}MB。")
        content = path.read_bytes()
        earlier = IntakeScan.objects.filter(source=IntakeSource.FOLDER, sha256=hashlib.sha256(content).hexdigest()).first()
        if earlier is not None:
            return Outcome(path.name, KNOWN, f"同一扫描件已于收件文件夹收过（{earlier.filename}，{earlier.get_state_display()}）。")
        try:
            scan = actions.receive(path.name, content, actor=actor, source=IntakeSource.FOLDER)
        except ActionError as exc:
            return Outcome(path.name, REFUSED_KIND, exc.message)
        except IntegrityError:  # the same bytes taken by another look a moment ago (unique per folder source)
            return Outcome(path.name, KNOWN, "同一扫描件已收过。")
        return Outcome(path.name, QUEUED if scan.ocr_job_id else HELD)
    return Outcome(path.name, REFUSED_KIND, "不是电报文本（.txt）或扫描件（PDF、JPEG、PNG），未处理。")


def _free_name(folder: Path, name: str) -> Path:
    target = folder / name
    n = 1
    while target.exists():
        target = folder / f"{Path(name).stem}-{n}{Path(name).suffix}"
        n += 1
    return target


def _put_away(path: Path, outcome: Outcome) -> None:
    folder = path.parent / (REFUSED if outcome.kind == REFUSED_KIND else PROCESSED)
    try:
        folder.mkdir(exist_ok=True)
        target = _free_name(folder, path.name)
        shutil.move(path, target)
        if outcome.kind == REFUSED_KIND:
            target.with_name(target.name + ".原因.txt").write_text(outcome.message + "\n", encoding="utf-8")
    except OSError as exc:  # a read-only share: the file stays, and is known by its content next time
        log.warning("intake folder: could not move %s (%s)", path, exc)


def watch(folder: Path, *, actor: AbstractBaseUser, settle: float = 0.0) -> FolderPass:
    """One look at the folder: every settled file taken and put away. Raises InvalidInput for a missing folder."""
    if not folder.is_dir():
        raise InvalidInput(f"收件文件夹不存在：{folder}", field="INTAKE_FOLDER")
    result = FolderPass()
    try:
        lock = open(folder / LOCK_NAME, "a")  # noqa: SIM115 - held for the whole look, closed below
    except OSError:
        lock = None  # read-only: no lock, but nothing is taken twice (content hashes)
    try:
        if lock is not None:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return FolderPass(busy=True)
        now = time.time()
        for path in sorted(folder.iterdir(), key=lambda p: p.name):
            if path.name.startswith(".") or not path.is_file() or now - path.stat().st_mtime < settle:
                continue
            outcome = _take(path, actor)
            result.outcomes.append(outcome)
            _put_away(path, outcome)
    finally:
        if lock is not None:
            lock.close()
    return result
