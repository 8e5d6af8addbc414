"""Key rotation: re-encrypt every value of `vault.registry` under the first key of TELEGRAM_DATA_KEYS.

Resumable without bookkeeping: a value's own token (or file header) names the key that sealed it, so a re-run
skips what is already under the current key. Work goes in batches, each its own transaction with its rows
locked; a value no key opens stops the run and rolls back its batch (earlier batches stay done).
"""
from __future__ import annotations

import logging
import os
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import models, transaction

from audit.services import record

from . import crypto, registry

BATCH_SIZE = 500
HEADER_BYTES = 64  # a file's key id sits before the first NUL; ids are at most 32 characters
TMP_SUFFIX = ".rotate.tmp"
ORPHAN_MIN_AGE = 3600  # seconds: a younger file without a row may belong to a registration still in progress
SWEEP_LIMIT = 100  # files the automatic sweep removes at most in one run (more is a misconfiguration, not a crash)

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]  # (kind name, values looked at, total)


class RotationFailed(Exception):
    """A stored value could not be re-encrypted; `what` names the row."""

    def __init__(self, what: str, reason: str):
        super().__init__(f"{what}：{reason}")
        self.what = what
        self.reason = reason


@dataclass
class KindResult:
    reencrypted: int = 0
    skipped: int = 0  # already under the current key
    relabelled: int = 0  # file already under the current key, only its key_id column was stale


@dataclass
class RotationReport:
    key_id: str
    kinds: dict[str, KindResult] = field(default_factory=dict)
    orphans: int = 0
    orphans_removed: int = 0
    failed: str = ""

    @property
    def reencrypted(self) -> int:
        return sum(k.reencrypted for k in self.kinds.values())

    @property
    def skipped(self) -> int:
        return sum(k.skipped for k in self.kinds.values())

    @property
    def relabelled(self) -> int:
        return sum(k.relabelled for k in self.kinds.values())

    def as_data(self) -> dict:
        data = {
            "key_id": self.key_id, "reencrypted": self.reencrypted, "skipped": self.skipped,
            "kinds": {name: vars(k) for name, k in self.kinds.items()},
            "orphans": self.orphans, "orphans_removed": self.orphans_removed,
        }
        if self.failed:
            data["failed"] = self.failed
        return data


def _text_kid(token: str) -> str | None:
    try:
        return crypto.text_key_id(token)
    except crypto.VaultError:
        return None  # malformed: treated as stale, so opening it fails and names the row


def _blob_kid(head: bytes) -> str | None:
    kid, sep, _ = head[:HEADER_BYTES].partition(b"\x00")
    return kid.decode("ascii", "replace") if sep else None


def _file_kid(path: Path) -> str | None:
    with open(path, "rb") as f:
        return _blob_kid(f.read(HEADER_BYTES))


def _batches(qs: models.QuerySet, size: int, *fields: str):
    """Keyset pagination by pk, without locks: the caller locks only the rows it will change."""
    last = None
    while True:
        page = qs if last is None else qs.filter(pk__gt=last)
        rows = list(page.order_by("pk").values_list("pk", *fields)[:size])
        if not rows:
            return
        last = rows[-1][0]
        yield rows


def _rotate_field(kind: registry.SealedField, ring: crypto.KeyRing, size: int, result: KindResult,
                  progress: Progress | None) -> None:
    manager = kind.model._base_manager  # every row, whatever the default manager filters
    qs = manager.exclude(**{f"{kind.field}__isnull": True}).exclude(**{kind.field: ""})
    total, seen = qs.count(), 0
    for rows in _batches(qs, size, kind.field):
        seen += len(rows)
        stale = [pk for pk, token in rows if _text_kid(token) != ring.current]
        result.skipped += len(rows) - len(stale)
        if stale:
            with transaction.atomic():
                changed, skipped = [], 0
                for obj in manager.select_for_update().filter(pk__in=stale).order_by("pk"):
                    token = getattr(obj, kind.field)
                    if not token or _text_kid(token) == ring.current:  # changed since we looked
                        skipped += 1
                        continue
                    aad = kind.aad(obj)
                    try:
                        plain = crypto.open_text(token, aad, ring)
                    except crypto.VaultError as exc:
                        raise RotationFailed(kind.describe(obj), str(exc)) from exc
                    setattr(obj, kind.field, crypto.seal_text(plain, aad, ring))
                    changed.append(obj)
                manager.bulk_update(changed, [kind.field], batch_size=100)
            result.reencrypted += len(changed)
            result.skipped += skipped
        if progress:
            progress(kind.name, seen, total)


def _write_tmp(path: Path, data: bytes) -> Path:
    tmp = path.with_name(path.name + TMP_SUFFIX)
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())  # on disk before it replaces the old file
    return tmp


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _rotate_files(kind: registry.SealedFiles, ring: crypto.KeyRing, size: int, result: KindResult,
                  progress: Progress | None) -> None:
    """Each batch: every stale file is decrypted and re-sealed into a temporary file first; only when the whole
    batch succeeded are the files swapped in (atomic rename) and the key_id column updated."""
    manager = kind.rows()
    total, seen = manager.count(), 0
    for rows in _batches(manager, size):
        seen += len(rows)
        stale = []
        for obj in manager.filter(pk__in=[row[0] for row in rows]).order_by("pk"):
            try:
                file_kid = _file_kid(kind.path(obj))
            except FileNotFoundError:
                file_kid = None  # reported below, with the row named
            if file_kid == ring.current and getattr(obj, kind.key_field) == ring.current:
                result.skipped += 1
            else:
                stale.append(obj.pk)
        if stale:
            with transaction.atomic():
                locked = list(manager.select_for_update().filter(pk__in=stale).order_by("pk"))
                swaps: list[tuple[Path, Path]] = []
                changed, skipped, relabelled = [], 0, 0
                try:
                    for obj in locked:
                        path = kind.path(obj)
                        try:
                            blob = path.read_bytes()
                        except FileNotFoundError as exc:
                            raise RotationFailed(kind.describe(obj), "文件不存在") from exc
                        if _blob_kid(blob) == ring.current:
                            if getattr(obj, kind.key_field) == ring.current:  # done since we looked
                                skipped += 1
                                continue
                            relabelled += 1  # an earlier run swapped the file but its batch rolled back
                        else:
                            aad = kind.aad(obj)
                            try:
                                plain = crypto.open_sealed(blob, aad, ring)
                            except crypto.VaultError as exc:
                                raise RotationFailed(kind.describe(obj), str(exc)) from exc
                            swaps.append((_write_tmp(path, crypto.seal(plain, aad, ring)), path))
                        setattr(obj, kind.key_field, ring.current)
                        changed.append(obj)
                except BaseException:
                    for tmp, _ in swaps:
                        tmp.unlink(missing_ok=True)
                    raise
                for tmp, path in swaps:
                    os.replace(tmp, path)
                for directory in {path.parent for _, path in swaps}:
                    _fsync_dir(directory)
                manager.bulk_update(changed, [kind.key_field], batch_size=100)
            result.reencrypted += len(swaps)
            result.skipped += skipped
            result.relabelled += relabelled
        if progress:
            progress(kind.name, seen, total)


def _sealed_file_folders() -> list[Path]:
    """The folders the registered sealed files live in (SCAN_ROOT, SCAN_ROOT/intake, SCAN_ROOT/ocr …): where a
    new row's file would go, since every file of a kind is named by its row's uid in one folder."""
    folders = {Path(settings.SCAN_ROOT)}
    for kind in registry.sealed_files():
        folders.add(kind.path(kind.model()).parent)
    return sorted(folders)


def scan_orphans() -> list[Path]:
    """Sealed files with no row (a registration or a held scan whose transaction never committed: a crash, a failed
    COMMIT) and temporary files left by an interrupted write, older than ORPHAN_MIN_AGE, in the folders of
    `registry.sealed_files()`. A file `<uid>.….bin` belongs to the row of any registered kind with that uid."""
    cutoff = time.time() - ORPHAN_MIN_AGE
    old = [p for folder in _sealed_file_folders() if folder.is_dir()
           for p in folder.iterdir() if p.is_file() and p.stat().st_mtime < cutoff]
    orphans = [p for p in old if p.name.endswith(".tmp")]  # rotation's ".rotate.tmp", vault.files' ".tmp"
    bins = [(p.name.split(".", 1)[0], p) for p in old if p.name.endswith(".bin")]
    for i in range(0, len(bins), BATCH_SIZE):
        chunk = bins[i:i + BATCH_SIZE]
        uids = sorted({uid for uid, _ in chunk if _is_uuid(uid)})
        known = {str(u) for files in {k.label: k for k in registry.sealed_files()}.values()
                 for u in files.model._base_manager.filter(uid__in=uids).values_list("uid", flat=True)}
        orphans += [path for uid, path in chunk if uid not in known]
    return sorted(orphans)


def sweep_orphans(*, limit: int = SWEEP_LIMIT) -> int:
    """Beat's hourly clean-up (`vault.sweep_orphans`): remove the orphans of registrations a crash or a failed
    COMMIT left behind (a refused registration removes its own files: vault.files). Audited when it removed
    any. More than `limit` at once are no crash's leftovers — a worker pointed at the wrong database or
    SCAN_ROOT would see every scan as an orphan — so it then removes nothing and logs an error; an operator
    looks and runs `rotate_keys --remove-orphans`."""
    orphans = scan_orphans()
    if len(orphans) > limit:
        log.error("orphan sweep: %d scan files without a row under %s (more than %d): nothing removed",
                  len(orphans), settings.SCAN_ROOT, limit)
        return 0
    for path in orphans:
        path.unlink(missing_ok=True)
    if orphans:
        with transaction.atomic():
            record(None, "vault.orphans_removed", None, {"orphans_removed": len(orphans),
                                                         "files": [_shown(p) for p in orphans]}, object_type="vault")
    return len(orphans)


def _shown(path: Path) -> str:
    """A file as the audit entry names it: relative to SCAN_ROOT."""
    try:
        return path.relative_to(settings.SCAN_ROOT).as_posix()
    except ValueError:
        return str(path)


def _is_uuid(text: str) -> bool:
    try:
        return str(uuid.UUID(text)) == text
    except ValueError:
        return False


def _audit(report: RotationReport) -> None:
    with transaction.atomic():
        record(None, "vault.rotate_keys", None, report.as_data(), object_type="vault")


def rotate_keys(*, batch_size: int = BATCH_SIZE, progress: Progress | None = None,
                remove_orphans: bool = False) -> RotationReport:
    """Re-encrypt every registered value not under the current key; one audit entry per run (also when it
    stops on a value no key opens: the entry then names that row)."""
    ring = crypto.keyring()
    report = RotationReport(key_id=ring.current)
    try:
        for kind in registry.sealed_fields():
            report.kinds[kind.name] = KindResult()
            _rotate_field(kind, ring, batch_size, report.kinds[kind.name], progress)
        for files in registry.sealed_files():
            report.kinds[files.name] = KindResult()
            _rotate_files(files, ring, batch_size, report.kinds[files.name], progress)
    except RotationFailed as exc:
        report.failed = str(exc)
        _audit(report)
        raise
    orphans = scan_orphans()
    report.orphans = len(orphans)
    if remove_orphans:
        for path in orphans:
            path.unlink(missing_ok=True)
            report.orphans_removed += 1
    _audit(report)
    return report
