"""A registration that is refused or fails leaves no scan file behind: the files its transaction wrote are removed
with it (vault.files); what a crash or a failed COMMIT leaves is removed by beat's hourly orphan sweep."""
from __future__ import annotations

import errno
import json
import os
import time
import uuid

import pytest
from django.db import DatabaseError

from audit.models import AuditEntry
from core.errors import Duplicate
from intake import actions as intake_actions
from intake.models import IntakeScan
from telegrams import actions as telegram_actions
from telegrams.inputs import ScanUpload
from telegrams.models import Scan, Telegram
from tests import factories
from vault import services, tasks

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n" + b"1 0 obj << /Type /Catalog >> endobj\n" * 10 + b"%%EOF\n"


@pytest.fixture
def scan_root(settings, tmp_path):
    settings.SCAN_ROOT = tmp_path / "scans"
    return settings.SCAN_ROOT


def files_in(root) -> list[str]:
    return sorted(p.name for p in root.iterdir()) if root.exists() else []


def pages(n: int = 1) -> list[ScanUpload]:
    return [ScanUpload(f"第{i + 1}页.pdf", "application/pdf", PDF) for i in range(n)]


def test_a_registration_that_fails_after_its_scans_were_written_leaves_no_file(clerk, scan_root, monkeypatch):
    def connection_lost(telegram, **kwargs):
        assert len(files_in(scan_root)) == 2  # both pages are on disk when the failure comes
        raise DatabaseError("模拟：编号时数据库连接中断")

    monkeypatch.setattr("telegrams.numbering.number", connection_lost)
    rows = Telegram.objects.count()
    with pytest.raises(DatabaseError):
        factories.register(clerk, scans=pages(2))
    assert files_in(scan_root) == []
    assert Telegram.objects.count() == rows and not Scan.objects.exists()


def test_scans_added_to_a_telegram_whose_audit_entry_fails_leave_no_file(clerk, scan_root, monkeypatch):
    """补充扫描件 (the telegram page, the API) writes its files the same way."""
    telegram = factories.register(clerk, scans=pages())
    kept = files_in(scan_root)

    def audit_down(*args, **kwargs):
        raise DatabaseError("模拟：审计记录写入失败")

    monkeypatch.setattr("telegrams.actions.record", audit_down)
    other = ScanUpload("补充.pdf", "application/pdf", PDF + b"% another page\n")
    with pytest.raises(DatabaseError):
        telegram_actions.add_scans(telegram, [other], clerk)
    assert files_in(scan_root) == kept and telegram.scans.count() == 1


def test_a_held_scan_whose_record_fails_leaves_no_file(clerk, scan_root, monkeypatch):
    """The intake desk's held scans (and OCR submissions) are written the same way."""
    def audit_down(*args, **kwargs):
        raise DatabaseError("模拟：审计记录写入失败")

    monkeypatch.setattr("intake.actions.record", audit_down)
    with pytest.raises(DatabaseError):
        intake_actions.hold(pages()[0], actor=clerk)
    assert files_in(scan_root / "intake") == [] and not IntakeScan.objects.exists()


def test_a_duplicate_is_refused_without_a_new_file_and_the_first_keeps_its_own(clerk, scan_root):
    first = factories.register(clerk, scans=pages())
    kept = files_in(scan_root)
    assert kept == [f"{first.scans.get().uid}.bin"]
    with pytest.raises(Duplicate):
        factories.register(clerk, scans=pages(3))
    assert files_in(scan_root) == kept
    assert first.scans.get().read() == PDF


def test_a_scan_write_that_fails_half_way_leaves_neither_file_nor_row(clerk, scan_root, monkeypatch):
    real_fsync, calls = os.fsync, []

    def disk_full_on_the_second_page(fd):
        calls.append(fd)
        if len(calls) == 3:  # page 1: file and folder synced; page 2's file: the disk is full
            raise OSError(errno.ENOSPC, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr("vault.files.os.fsync", disk_full_on_the_second_page)
    with pytest.raises(OSError):
        factories.register(clerk, scans=pages(2))
    assert files_in(scan_root) == []  # the first page and the second's temporary file are gone
    assert not Telegram.objects.exists() and not Scan.objects.exists()


def test_the_hourly_sweep_removes_what_a_crash_left_once_it_is_an_hour_old(clerk, scan_root):
    telegram = factories.register(clerk, scans=pages())
    crashed, recent = scan_root / f"{uuid.uuid4()}.bin", scan_root / f"{uuid.uuid4()}.bin"
    torn = scan_root / f"{uuid.uuid4()}.tmp"
    for path in (crashed, recent, torn):
        path.write_bytes(b"k\x00" + os.urandom(40))
    hour_ago = time.time() - 3700
    for path in (crashed, torn, telegram.scans.get().path):  # an old scan with its row is never an orphan
        os.utime(path, (hour_ago, hour_ago))

    ocr_left = scan_root / "ocr" / f"{uuid.uuid4()}.scan.bin"  # an OCR submission's file, its job never saved
    ocr_left.parent.mkdir()
    ocr_left.write_bytes(b"k\x00" + os.urandom(40))
    os.utime(ocr_left, (hour_ago, hour_ago))

    assert tasks.sweep_orphans.apply().get() == 3
    assert files_in(scan_root) == sorted([recent.name, telegram.scans.get().path.name, "ocr"])
    assert files_in(scan_root / "ocr") == []
    entry = AuditEntry.objects.filter(action="vault.orphans_removed").get()
    assert json.loads(entry.data) == {"orphans_removed": 3, "files": sorted([crashed.name, torn.name, f"ocr/{ocr_left.name}"])}
    assert tasks.sweep_orphans.apply().get() == 0  # nothing left: no entry either
    assert AuditEntry.objects.filter(action="vault.orphans_removed").count() == 1


def test_the_sweep_removes_nothing_when_everything_looks_orphaned(scan_root, caplog):
    """A worker on the wrong database (or SCAN_ROOT) would see every scan as an orphan: it must not delete them."""
    scan_root.mkdir(parents=True)
    hour_ago = time.time() - 3700
    for _ in range(4):
        path = scan_root / f"{uuid.uuid4()}.bin"
        path.write_bytes(b"k\x00" + os.urandom(40))
        os.utime(path, (hour_ago, hour_ago))
    assert services.sweep_orphans(limit=3) == 0
    assert len(files_in(scan_root)) == 4
    assert "nothing removed" in caplog.text
    assert not AuditEntry.objects.filter(action="vault.orphans_removed").exists()
