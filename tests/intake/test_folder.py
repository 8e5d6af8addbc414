"""The intake folder, as beat looks at it: texts registered like import_telegram, scans queued for OCR and listed
for a clerk to confirm, everything else refused with a reason beside it; each file taken once."""
from __future__ import annotations

import fcntl
import os
import time
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from intake import folder as intake_folder
from intake.models import IntakeScan, IntakeSource, IntakeState
from intake.tasks import watch_folder
from ocr.models import OcrJob
from telegrams.models import Telegram

from .conftest import PDF, PNG, SEED_TEXT

pytestmark = pytest.mark.django_db


@pytest.fixture
def inbox(tmp_path, settings):
    path = tmp_path / "intake"
    path.mkdir()
    settings.INTAKE_FOLDER = str(path)
    settings.INTAKE_SETTLE_SECONDS = 5
    return path


def settled(path: Path) -> Path:
    """A file written a minute ago (the copy finished)."""
    old = time.time() - 60
    os.utime(path, (old, old))
    return path


def drop(inbox: Path, name: str, content: bytes, *, settle: bool = True) -> Path:
    path = inbox / name
    path.write_bytes(content)
    return settled(path) if settle else path


def test_a_look_at_the_folder_registers_texts_queues_scans_and_refuses_the_rest(clerk, inbox, sent, ocr_installed,
                                                                              after_commit):
    drop(inbox, "744.txt", SEED_TEXT.encode("gb18030"))
    drop(inbox, "来电扫描.pdf", PDF)
    drop(inbox, "手机照片.png", PNG)
    drop(inbox, "说明.docx", b"PK\x03\x04 a word file")
    drop(inbox, "正在复制.pdf", PDF + b"more", settle=False)  # still arriving: left for the next look
    drop(inbox, ".hidden.txt", b"x")

    with after_commit():
        assert watch_folder.run() == "4 files"

    telegram = Telegram.objects.get()
    assert telegram.receipt_no == "宁机明收[2020]744号" and telegram.registered_by == clerk
    scans = {s.filename: s for s in IntakeScan.objects.all()}
    assert set(scans) == {"来电扫描.pdf", "手机照片.png"}
    assert all(s.source == IntakeSource.FOLDER and s.state == IntakeState.WAITING and s.ocr_job_id for s in scans.values())
    assert sorted(sent) == sorted(s.ocr_job_id for s in scans.values())  # queued on the ocr queue
    assert scans["来电扫描.pdf"].read() == PDF

    assert sorted(p.name for p in (inbox / "已处理").iterdir()) == ["744.txt", "手机照片.png", "来电扫描.pdf"]
    refused = inbox / "未登记"
    assert sorted(p.name for p in refused.iterdir()) == ["说明.docx", "说明.docx.原因.txt"]
    assert "不是电报文本（.txt）或扫描件" in (refused / "说明.docx.原因.txt").read_text(encoding="utf-8")
    assert sorted(p.name for p in inbox.iterdir() if p.is_file()) == [".hidden.txt", ".intake.lock", "正在复制.pdf"]

    # Once the copy has finished it is taken on the next look; a look with nothing new does nothing.
    settled(inbox / "正在复制.pdf")
    assert watch_folder.run() == "1 files"
    assert IntakeScan.objects.count() == 3 and watch_folder.run() == "0 files"


def test_the_same_file_dropped_again_is_taken_once(clerk, inbox, sent, ocr_installed):
    drop(inbox, "744.txt", SEED_TEXT.encode())
    drop(inbox, "scan.png", PNG)
    watch_folder.run()
    drop(inbox, "744.txt", SEED_TEXT.encode())  # the terminal writes it again
    drop(inbox, "scan-copy.png", PNG)
    result = intake_folder.watch(inbox, actor=clerk)
    assert [(o.filename, o.kind) for o in result.outcomes] == [("744.txt", "known"), ("scan-copy.png", "known")]
    assert Telegram.objects.count() == 1 and IntakeScan.objects.count() == 1
    assert {p.name for p in (inbox / "已处理").iterdir()} == {"744.txt", "744-1.txt", "scan.png", "scan-copy.png"}


def test_a_text_that_cannot_be_registered_waits_in_refused_with_its_reason(clerk, inbox):
    drop(inbox, "乱码.txt", b"hello world 12345")
    result = intake_folder.watch(inbox, actor=clerk)
    assert [o.kind for o in result.outcomes] == ["refused"]
    reason = (inbox / "未登记" / "乱码.txt.原因.txt").read_text(encoding="utf-8")
    assert "无法识别" in reason and not Telegram.objects.exists()


def test_without_the_ocr_extra_a_folder_scan_is_kept_for_a_clerk_to_register_by_hand(clerk, inbox, sent, ocr_missing):
    drop(inbox, "scan.pdf", PDF)
    (outcome,) = intake_folder.watch(inbox, actor=clerk).outcomes
    assert (outcome.kind, outcome.label) == ("held", "已保存，待登记")
    scan = IntakeScan.objects.get()
    assert scan.ocr_job is None and scan.read() == PDF and sent == [] and not OcrJob.objects.exists()


def test_two_looks_at_once_never_overlap(clerk, inbox):
    drop(inbox, "744.txt", SEED_TEXT.encode())
    with open(inbox / intake_folder.LOCK_NAME, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)  # another worker's look is under way
        assert intake_folder.watch(inbox, actor=clerk).busy
    assert not Telegram.objects.exists()


def test_the_folder_is_off_unless_set_and_its_account_must_be_a_clerk(inbox, settings, demo, caplog):
    settings.INTAKE_FOLDER = ""
    assert watch_folder.run() == "off"
    settings.INTAKE_FOLDER = str(inbox)
    settings.INTAKE_USER = "leader"
    assert watch_folder.run() == "refused"
    assert "收件文件夹的登记人 leader 不是机要员。" in caplog.text
    settings.INTAKE_USER = "nobody"
    assert watch_folder.run() == "refused"


def test_the_command_looks_once_and_prints_a_line_per_file(clerk, inbox, sent, ocr_installed):
    drop(inbox, "744.txt", SEED_TEXT.encode())
    drop(inbox, "scan.png", PNG)
    out = StringIO()
    call_command("watch_intake", stdout=out, stderr=StringIO())
    assert out.getvalue().splitlines() == ["744.txt\t已登记\t宁机明收[2020]744号", "scan.png\t已送识别，待确认\t"]


@pytest.mark.parametrize(("args", "message"), [
    (["--folder", "/nonexistent/intake"], "收件文件夹不存在：/nonexistent/intake"),
    (["--user", "leader"], "收件文件夹的登记人 leader 不是机要员。"),
])
def test_the_command_exits_non_zero_with_a_reason(clerk, inbox, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("watch_intake", *args, stdout=StringIO(), stderr=StringIO())


def test_beat_looks_at_the_folder_only_when_it_is_set(tmp_path):
    """The schedule is built at start-up from the environment: a fresh settings import each way."""
    import subprocess
    import sys

    from tests.conftest import ROOT

    code = ("import django, os; django.setup(); from django.conf import settings; "
            "print(settings.CELERY_BEAT_SCHEDULE.get('watch-intake-folder'))")
    base = {**os.environ, "DJANGO_SETTINGS_MODULE": "telegram_office.settings", "TELEGRAM_VAR_DIR": str(tmp_path)}
    base.pop("INTAKE_FOLDER", None)
    off = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=base, capture_output=True, text=True, check=True)
    on = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={**base, "INTAKE_FOLDER": str(tmp_path)},
                        capture_output=True, text=True, check=True)
    assert off.stdout.strip() == "None"
    assert on.stdout.strip() == "{'task': 'intake.tasks.watch_folder', 'schedule': 15.0}"
