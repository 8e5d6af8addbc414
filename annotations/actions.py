"""Leaders' 批示: write and correct (a new version). Each runs in one transaction with its audit entry; a 批示
that routes opens its RoutingOrder in that same transaction (routing.actions.open_order). Locks: the telegram
row first, then the previous version, then (inside open_order and the audit append) the rest."""
from __future__ import annotations

import dataclasses

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from audit.services import record_many
from core.errors import Duplicate, Forbidden, InvalidInput, NotAllowed
from core.events import announce
from directory import roles
from routing import actions as routing_actions
from routing.models import RoutingOrder
from routing.planning import RoutingPlan
from telegrams.models import Telegram, TelegramState

from .drafts import check_text, prepare, signature
from .events import AnnotationWritten, ReadRequested
from .models import Annotation, ReadRequest

MAX_REASON_LENGTH = 200


class AlreadyAnnotated(Duplicate):
    """The same submission (the confirmation form's one-time token) saved this 批示 already."""

    code = "already_annotated"
    message_text = "这条批示已经保存，未重复保存。"


def _write(telegram: Telegram, text: str, actor, plan: RoutingPlan | None, previous: Annotation | None,
           reason: str, submission_key: str) -> Annotation:
    if not roles.is_leader(actor):
        raise Forbidden("只有领导可以批示")
    text = check_text(text)
    try:
        with transaction.atomic():
            # The telegram row lock serialises 批示 on one telegram (versions, 阅示 requests, orders).
            telegram = Telegram.objects.select_for_update().get(pk=telegram.pk)
            if telegram.state == TelegramState.VOID:
                raise NotAllowed("已作废的来电不能批示。")
            if previous is not None:
                previous = Annotation.objects.select_for_update().get(pk=previous.pk)
                if previous.telegram_id != telegram.pk or previous.author_id != actor.pk:
                    raise Forbidden("只能更正本人的批示")
                if previous.superseded:
                    raise NotAllowed("该批示已经更正过，请更正最新版本。")
            draft = prepare(telegram, text, actor=actor, plan=plan)
            if not draft.plan.ok:
                raise InvalidInput(draft.plan.unknown_message(), field="text")
            if draft.unknown_leaders:
                raise InvalidInput(draft.unknown_leaders_message(), field="text")

            annotation = Annotation(
                telegram=telegram, author=actor, author_name=signature(actor),
                version=previous.version + 1 if previous else 1, supersedes=previous, reason=reason,
                submission_key=submission_key or None,
            )
            annotation.set_text(text)
            annotation.save()
            if previous is not None:
                previous.superseded = True
                previous.save(update_fields=["superseded"])

            # Writing a 批示 answers every 阅示 request this leader had on the telegram.
            ReadRequest.objects.filter(telegram=telegram, leader=actor, done_at__isnull=True).update(
                done_at=timezone.now(), done_in=annotation
            )
            already_asked = set(ReadRequest.objects.filter(telegram=telegram, done_at__isnull=True)
                                .values_list("leader_id", flat=True))
            asked = [u for u in draft.readers if u.pk not in already_asked]
            routes = draft.new_routes or draft.plan.archive
            entries: list = [("annotation.correct" if previous else "annotation.write", annotation, {
                "telegram": telegram.receipt_no,
                "version": annotation.version,
                "supersedes": previous.pk if previous else None,
                "reason": reason,
                # A keyed digest: evidence of the exact text without putting the 批示 in clear into the ledger.
                "text_hmac": salted_hmac("annotation.text", text, algorithm="sha256").hexdigest(),
                "routes": [{"unit": r["unit"], "role": r["role"]} for r in draft.new_routes],
                "archive": draft.plan.archive,
                "read_requests": [signature(u) for u in asked],
            }, "")]
            if routes:
                routing_actions.open_order(telegram, source=RoutingOrder.Source.ANNOTATION, text=text,
                                           plan=dataclasses.replace(draft.plan, routes=draft.new_routes), actor=actor,
                                           audit_batch=entries)
            if asked:
                ReadRequest.objects.bulk_create([
                    ReadRequest(telegram=telegram, leader=u, requested_in=annotation, requested_by=actor) for u in asked
                ])
            record_many(actor, entries)
    except IntegrityError:
        if submission_key and Annotation.objects.filter(submission_key=submission_key).exists():
            raise AlreadyAnnotated(AlreadyAnnotated.message_text)
        raise
    if asked:
        announce(ReadRequested(telegram.pk, tuple(u.pk for u in asked), signature(actor)))
    announce(AnnotationWritten(annotation.pk, telegram.pk, bool(routes)))
    return annotation


def saved_by(submission_key: str) -> Annotation | None:
    """The 批示 a submission already saved (its form's one-time token), if any."""
    return Annotation.objects.filter(submission_key=submission_key).first() if submission_key else None


def annotate(telegram: Telegram, text: str, actor: AbstractBaseUser, plan: RoutingPlan | None = None, *,
             submission_key: str = "") -> Annotation:
    """Save a leader's 批示; when it names units, send them a RoutingOrder (the plan the leader confirmed),
    and when it names leaders for 阅示, put the telegram in their inboxes."""
    return _write(telegram, text, actor, plan, None, "", submission_key)


def correct(previous: Annotation, text: str, actor: AbstractBaseUser, reason: str,
            plan: RoutingPlan | None = None, *, submission_key: str = "") -> Annotation:
    """更正: a new version of one's own latest 批示; the old version stays visible, marked superseded.
    Units or leaders the correction newly names are routed/asked like in a first 批示."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("请填写更正原因。", field="reason")
    if len(reason) > MAX_REASON_LENGTH:
        raise InvalidInput(f"更正原因不能超过{MAX_REASON_LENGTH}字。", field="reason")
    return _write(previous.telegram, text, actor, plan, previous, reason, submission_key)
