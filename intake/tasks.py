"""Beat's look at the intake folder (INTAKE_FOLDER; scheduled only when it is set). Runs on the default queue: it
registers texts and queues scans for OCR, it never reads a scan itself."""
from __future__ import annotations

import logging
from pathlib import Path

from celery import shared_task
from django.conf import settings

from core.errors import ActionError

from . import folder

log = logging.getLogger(__name__)


@shared_task(name="intake.tasks.watch_folder", ignore_result=True, soft_time_limit=240, time_limit=300)
def watch_folder() -> str:
    if not settings.INTAKE_FOLDER:
        return "off"
    try:
        actor = folder.intake_account(settings.INTAKE_USER or None)
        result = folder.watch(Path(settings.INTAKE_FOLDER), actor=actor, settle=settings.INTAKE_SETTLE_SECONDS)
    except ActionError as exc:
        log.error("intake folder: %s", exc.message)
        return "refused"
    for o in result.outcomes:
        log.info("intake folder: %s %s %s", o.filename, o.label, o.receipt_no or o.message)
    return "busy" if result.busy else f"{len(result.outcomes)} files"
