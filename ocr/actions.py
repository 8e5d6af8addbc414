"""The only code that assigns an OcrJob's state. Each state change writes its audit entry in the same
transaction and announces an event after commit; page progress is a counter, not a state, and is written on
its own (so a clerk polling the job sees "第 2 页，共 3 页" while the worker reads page 2)."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from celery import current_app
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from audit import services as audit
from core.errors import InvalidInput
from core.events import Event, announce
from vault import crypto, files

from . import engine
from .models import LIFECYCLE, OcrJob, OcrState

WORKER = "文字识别"  # the audit trail's actor for what the OCR worker does


@dataclass(frozen=True)
class OcrFinished(Event):
    """A scan was read (ok) or could not be (not ok): the person who uploaded it may want to know."""

    job_id: int
    user_id: int
    ok: bool


def _write_sealed(path, blob: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(blob)
    tmp.replace(path)


def dispatch(job_id: int) -> None:
    """Send the job to the `ocr` queue (by name: the task module imports this one)."""
    current_app.send_task("ocr.tasks.read_scan", args=[job_id], queue="ocr")


def submit(*, actor: AbstractBaseUser, filename: str, content: bytes) -> OcrJob:
    """Queue a scan for reading: checked, sealed to disk, recorded and audited in one transaction; the task is
    sent after commit to the `ocr` queue. Raises InvalidInput (nothing written) for a bad scan."""
    if not content:
        raise InvalidInput("扫描件为空。", field="scan")
    if len(content) > settings.SCAN_MAX_BYTES:
        raise InvalidInput(f"扫描件过大（不能超过 {settings.SCAN_MAX_BYTES // (1024 * 1024)} MB）。", field="scan")
    kind = engine.kind_of(content)
    if kind is None:
        raise InvalidInput("扫描件须为 PDF、JPEG 或 PNG 文件（按内容判断）。", field="scan")
    if not engine.available():
        raise InvalidInput("本系统未安装文字识别组件，请手工填写或粘贴电报文本。", field="scan", code="ocr_unavailable")
    job = OcrJob(
        filename=(filename or "scan")[:200], content_type=kind, size=len(content),
        sha256=hashlib.sha256(content).hexdigest(), key_id=crypto.keyring().current, created_by=actor,
    )
    LIFECYCLE.check_initial(job.state)
    # Written before the row, as telegrams' scans are (a row never points at nothing), and removed again if the
    # transaction is refused (vault.files).
    with transaction.atomic(), files.removed_on_error() as written:
        files.write_sealed(job.scan_path, crypto.seal(content, job.scan_aad), written)
        job.save()
        audit.record(actor, "ocr.submitted", job, {"filename": job.filename, "size": job.size, "sha256": job.sha256,
                                                   "content_type": kind})
        transaction.on_commit(lambda: dispatch(job.pk))
    return job


def start(job_id: int) -> OcrJob:
    with transaction.atomic():
        job = OcrJob.objects.select_for_update().get(pk=job_id)
        LIFECYCLE.check(job.state, OcrState.READING)
        restarted = job.state == OcrState.READING
        job.state, job.page, job.started_at = OcrState.READING, 0, timezone.now()
        job.save(update_fields=["state", "page", "started_at"])
        audit.record(WORKER, "ocr.restarted" if restarted else "ocr.started", job, {})
    return job


def progress(job: OcrJob, page: int, pages: int) -> None:
    """Page `page` of `pages` is being read: a counter for the clerk's progress line, no state change."""
    OcrJob.objects.filter(pk=job.pk, state=OcrState.READING).update(page=page, pages=pages)
    job.page, job.pages = page, pages


def finish(job: OcrJob, result: engine.OcrResult) -> OcrJob:
    blob = crypto.seal(json.dumps(result.as_dict(), ensure_ascii=False).encode(), job.result_aad)
    _write_sealed(job.result_path, blob)
    with transaction.atomic():
        job = OcrJob.objects.select_for_update().get(pk=job.pk)
        LIFECYCLE.check(job.state, OcrState.DONE)
        job.state, job.finished_at = OcrState.DONE, timezone.now()
        job.pages = job.page = result.pages
        job.mean_confidence = result.mean_confidence
        job.save(update_fields=["state", "finished_at", "pages", "page", "mean_confidence"])
        audit.record(WORKER, "ocr.done", job, {"pages": result.pages, "lines": sum(1 for ln in result.lines if ln.text),
                                             "mean_confidence": round(job.mean_confidence or 0.0, 4),
                                             "seconds": round(result.seconds, 1)})
        announce(OcrFinished(job.pk, job.created_by_id, ok=True))
    return job


def fail(job_id: int, reason: str) -> OcrJob:
    with transaction.atomic():
        job = OcrJob.objects.select_for_update().get(pk=job_id)
        LIFECYCLE.check(job.state, OcrState.FAILED)
        job.state, job.finished_at, job.error = OcrState.FAILED, timezone.now(), (reason or "未知错误")[:300]
        job.page = min(job.page, job.pages)
        job.save(update_fields=["state", "finished_at", "error", "page"])
        audit.record(WORKER, "ocr.failed", job, {"reason": job.error})
        announce(OcrFinished(job.pk, job.created_by_id, ok=False))
    return job


def result_of(job: OcrJob) -> engine.OcrResult:
    """What a finished job read (decrypted); InvalidInput while it is not done."""
    if job.state != OcrState.DONE:
        raise InvalidInput(f"识别任务{job.progress}，尚无结果。", code="not_ready")
    data = json.loads(crypto.open_sealed(job.result_path.read_bytes(), job.result_aad))
    lines = [engine.Line(ln["text"], ln["confidence"], ln["page"]) for ln in data["lines"]]
    return engine.OcrResult(text=data["text"], lines=lines, pages=data["pages"], seconds=data["seconds"])
