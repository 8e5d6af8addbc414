"""OCR jobs: a clerk's scan is queued (sealed on disk, audited), the `ocr` worker reads it page by page and
records progress, the result is sealed; failures are recorded with a Chinese reason. The engine is replaced
by a stand-in here (the real one is tested on small images in test_engine.py)."""
from __future__ import annotations

import pytest
from django.conf import settings

from audit.models import AuditEntry
from core.errors import InvalidInput
from ocr import actions, engine
from ocr.layout import Line
from ocr.models import OcrJob, OcrState
from ocr.tasks import read_scan
from telegram_office.celery import app

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64  # content sniffing only looks at the magic number
PDF = b"%PDF-1.7\n" + b"\x00" * 64


@pytest.fixture
def ocr_installed(monkeypatch):
    monkeypatch.setattr(engine, "available", lambda: True)


def audit_actions(job: OcrJob) -> list[str]:
    entries = AuditEntry.objects.filter(object_type="ocr.ocrjob", object_id=str(job.pk)).order_by("seq")
    return list(entries.values_list("action", flat=True))


def fake_reader(pages: int, seen: list[str]):
    """A stand-in engine: reports progress for each page and reads two lines."""

    def read_document(content, *, on_page=None, dpi, max_pages):
        for n in range(1, pages + 1):
            on_page(n, pages)
            seen.append(OcrJob.objects.get().progress)  # what a clerk polling the job sees now
        lines = [Line("宁机明收[2020]744号", 0.99), Line("来电单位：中华全国总工会办公厅", 0.8, pages)]
        return engine.OcrResult(text="\n".join(ln.text for ln in lines), lines=lines, pages=pages, seconds=1.5)

    return read_document


def test_clerk_uploads_a_three_page_scan_and_watches_it_being_read(clerk, scan_root, sent, ocr_installed,
                                                                   monkeypatch, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = actions.submit(actor=clerk, filename="来电.pdf", content=PDF)
    assert sent == [job.pk]  # to the ocr queue, after commit
    assert (job.state, job.progress, job.content_type) == (OcrState.QUEUED, "排队中", "application/pdf")
    on_disk = job.scan_path.read_bytes()
    assert PDF not in on_disk and job.read_scan() == PDF  # sealed like a telegram's scans
    assert AuditEntry.objects.filter(action="ocr.submitted", object_id=str(job.pk)).count() == 1

    seen: list[str] = []
    monkeypatch.setattr(engine, "read_document", fake_reader(3, seen))
    assert read_scan.run(job.pk) == "done"
    assert seen == ["正在识别第 1 页，共 3 页", "正在识别第 2 页，共 3 页", "正在识别第 3 页，共 3 页"]
    job.refresh_from_db()
    assert (job.state, job.progress, job.pages, job.page) == (OcrState.DONE, "已完成", 3, 3)
    assert job.mean_confidence == pytest.approx(0.895)
    result = actions.result_of(job)
    assert result.text == "宁机明收[2020]744号\n来电单位：中华全国总工会办公厅"
    assert [ln.confidence for ln in result.lines] == [0.99, 0.8]
    assert "中华全国总工会".encode() not in job.result_path.read_bytes()
    actions_logged = audit_actions(job)
    assert actions_logged == ["ocr.submitted", "ocr.started", "ocr.done"]
    # A message delivered again after the job finished changes nothing.
    assert read_scan.run(job.pk) == "skipped"


def test_a_scan_that_cannot_be_read_fails_with_a_reason(clerk, scan_root, sent, ocr_installed, monkeypatch):
    job = actions.submit(actor=clerk, filename="坏.png", content=PNG)

    def broken(content, **kwargs):
        raise engine.OcrError("图片已损坏或过大，无法读取。")

    monkeypatch.setattr(engine, "read_document", broken)
    assert read_scan.run(job.pk) == "failed"
    job.refresh_from_db()
    assert job.state == OcrState.FAILED and job.progress == "识别失败：图片已损坏或过大，无法读取。"
    with pytest.raises(InvalidInput, match="尚无结果"):
        actions.result_of(job)
    assert AuditEntry.objects.filter(action="ocr.failed", object_id=str(job.pk)).exists()


def test_an_engine_crash_is_a_failure_not_a_stuck_job(clerk, scan_root, sent, ocr_installed, monkeypatch):
    job = actions.submit(actor=clerk, filename="x.png", content=PNG)
    monkeypatch.setattr(engine, "read_document", lambda content, **kw: 1 / 0)
    assert read_scan.run(job.pk) == "failed"
    job.refresh_from_db()
    assert (job.state, job.error) == (OcrState.FAILED, "识别出错：ZeroDivisionError")


def test_a_worker_that_died_mid_scan_starts_it_again(clerk, scan_root, sent, ocr_installed, monkeypatch):
    job = actions.submit(actor=clerk, filename="x.png", content=PNG)
    actions.start(job.pk)  # the first worker got this far and was killed
    monkeypatch.setattr(engine, "read_document", fake_reader(1, []))
    assert read_scan.run(job.pk) == "done"
    actions_logged = audit_actions(job)
    assert actions_logged == ["ocr.submitted", "ocr.started", "ocr.restarted", "ocr.done"]


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"", "扫描件为空"), (b"GIF89a", "PDF、JPEG 或 PNG"), (b"\x89PNG\r\n\x1a\n" + b"0" * 200, "扫描件过大")],
)
def test_a_bad_scan_is_refused_and_nothing_is_written(clerk, scan_root, sent, ocr_installed, settings, content, message):
    settings.SCAN_MAX_BYTES = 100
    with pytest.raises(InvalidInput, match=message):
        actions.submit(actor=clerk, filename="x", content=content)
    assert not OcrJob.objects.exists() and not (scan_root / "ocr").exists() and sent == []


def test_without_the_ocr_extra_the_upload_says_so(clerk, scan_root, sent, monkeypatch):
    monkeypatch.setattr(engine, "available", lambda: False)
    with pytest.raises(InvalidInput, match="未安装文字识别组件") as exc:
        actions.submit(actor=clerk, filename="x.png", content=PNG)
    assert exc.value.code == "ocr_unavailable" and not OcrJob.objects.exists()
    with pytest.raises(engine.OcrUnavailable, match="未安装文字识别组件"):
        engine.read_document(PNG)


def test_the_ocr_task_has_its_own_queue_and_routing_keeps_its_own():
    assert settings.CELERY_TASK_ROUTES["ocr.tasks.read_scan"] == {"queue": "ocr"}
    router = app.amqp.router
    assert router.route({}, "ocr.tasks.read_scan", args=(), kwargs={})["queue"].name == "ocr"
    assert router.route({}, "routing.tasks.route_order", args=(), kwargs={})["queue"].name == "default"
