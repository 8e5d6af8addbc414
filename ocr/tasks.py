"""Celery task of the `ocr` queue (CELERY_TASK_ROUTES): a worker of its own, so a long scan never delays
routing on `urgent`/`default`."""
from __future__ import annotations

import logging
import threading

from celery import current_app, shared_task
from celery.exceptions import SoftTimeLimitExceeded
from celery.signals import worker_process_init
from django.conf import settings

from . import actions, engine
from .models import OcrJob, OcrState

log = logging.getLogger(__name__)


@worker_process_init.connect
def _warm_engine(**kwargs) -> None:
    """A worker process of the ocr queue loads the engine as it starts (in a thread: a process must report ready
    within a few seconds); the first scan then waits only for what is left of it (engine() holds a lock)."""
    queues = current_app.amqp.queues.consume_from or {}
    if "ocr" in queues and engine.available():
        log.info("OCR worker process: loading the engine")
        threading.Thread(target=engine.warm_up, name="ocr-warm-up", daemon=True).start()


@shared_task(name="ocr.tasks.read_scan", acks_late=True, reject_on_worker_lost=True,
             soft_time_limit=600, time_limit=660)
def read_scan(job_id: int) -> str:
    job = OcrJob.objects.filter(pk=job_id).first()
    if job is None or job.state in (OcrState.DONE, OcrState.FAILED):
        return "skipped"  # deleted, or a re-delivered message for a job that finished
    job = actions.start(job_id)
    try:
        result = engine.read_document(
            job.read_scan(), on_page=lambda n, count: actions.progress(job, n, count),
            dpi=settings.OCR_DPI, max_pages=settings.OCR_MAX_PAGES,
        )
    except engine.OcrError as exc:
        actions.fail(job_id, str(exc))
        return "failed"
    except SoftTimeLimitExceeded:
        actions.fail(job_id, "识别超时。")
        return "failed"
    except Exception as exc:  # the engine's own errors (onnxruntime, a malformed image): the clerk must know
        log.exception("OCR of job %s failed", job_id)
        actions.fail(job_id, f"识别出错：{type(exc).__name__}")
        return "failed"
    actions.finish(job, result)
    return "done"
