"""Celery tasks: sign checkpoints on a beat, verify the chain when an admin asks."""
from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db import close_old_connections, transaction
from django.utils import timezone

from . import services, signing
from .models import Checkpoint, VerificationRun
from .verify import verify_chain as walk

log = logging.getLogger(__name__)


def _fresh_connection() -> None:
    # A worker between tasks holds no transaction; when called inside one (eager mode, tests) keep it.
    if not transaction.get_connection().in_atomic_block:
        close_old_connections()


# Routed to the signer's queue (settings.CELERY_TASK_ROUTES): only the process holding AUDIT_SIGNING_KEY runs it.
@shared_task(acks_late=True, ignore_result=True)
def sign_checkpoint() -> int | None:
    _fresh_connection()
    if _signed_just_now():
        return None
    try:
        signed = services.sign_head()
    except services.CheckpointRefused:  # the alarm is raised; nothing signed
        return None
    except signing.NotSigner:
        log.error("sign_checkpoint reached a process without AUDIT_SIGNING_KEY: run it on the signer queue only")
        return None
    return signed.seq


def _signed_just_now() -> bool:
    """One checkpoint per interval, whoever sends the task: a message redelivered after its signer died (acks_late)
    and the first send of a beat that has just taken the lead would otherwise sign twice within moments. The
    `audit_checkpoint` command signs whenever asked."""
    last = Checkpoint.objects.order_by("-at").values_list("at", flat=True).first()
    return last is not None and timezone.now() - last < timedelta(seconds=settings.AUDIT_CHECKPOINT_INTERVAL / 2)


# A million entries take seconds; the limits leave room for far longer chains than the default 300 s allows.
@shared_task(acks_late=True, ignore_result=True, time_limit=3 * 3600, soft_time_limit=3 * 3600 - 60)
def verify_chain(run_id: int) -> bool | None:
    _fresh_connection()
    updated = VerificationRun.objects.filter(pk=run_id, finished_at__isnull=True).update(started_at=timezone.now())
    if not updated:  # unknown, or already finished (a redelivered message)
        return None
    try:
        result = walk()
    except Exception as exc:
        VerificationRun.objects.filter(pk=run_id).update(
            finished_at=timezone.now(), ok=False, message=f"校验未能完成：{exc.__class__.__name__}: {exc}"[:2000],
        )
        raise
    VerificationRun.objects.filter(pk=run_id).update(
        finished_at=timezone.now(), ok=result.ok, count=result.count, checkpoints=result.checkpoints,
        first_bad_seq=result.first_bad_seq, message=f"{result.message_zh} · {result.message}",
    )
    return result.ok
