"""Leaders' 批示: write and correct (a new version), approve the office's 拟办 in one step (同意拟办), and 传阅
among leaders (an ordered list, one at a time, each passing it on). Each runs in one transaction with its audit
entry; a 批示 that routes opens its RoutingOrder in that same transaction (routing.actions.open_order). Locks: the
telegram row first, then the previous version (or the circulation and its steps), then (inside open_order and the
audit append) the rest."""
from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Sequence

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from audit.services import record_many
from core.errors import Duplicate, Forbidden, InvalidInput, NotAllowed
from core.events import announce
from directory import roles
from routing import actions as routing_actions
from routing.instructions import describe_unknown
from routing.models import RoutingOrder
from routing.planning import RoutingPlan, plan_for
from telegrams import actions as telegram_actions
from telegrams.models import Telegram, TelegramChange, TelegramState

from .drafts import check_text, prepare, signature
from .events import AnnotationWritten, CirculationFinished, CirculationReached, ReadRequested
from .models import Annotation, Circulation, CirculationStep, ReadRequest

MAX_REASON_LENGTH = 200


class AlreadyAnnotated(Duplicate):
    """The same submission (the confirmation form's one-time token) saved this 批示 already."""

    code = "already_annotated"
    message_text = "这条批示已经保存，未重复保存。"


def _write(telegram: Telegram, text: str, actor, plan: RoutingPlan | None, previous: Annotation | None,
           reason: str, submission_key: str, *, proposal: str | None = None) -> Annotation:
    if not roles.is_leader(actor):
        raise Forbidden("只有领导可以批示")
    text = check_text(text)
    try:
        with transaction.atomic():
            # The telegram row lock serialises 批示 on one telegram (versions, 阅示 requests, orders).
            telegram = Telegram.objects.select_for_update().get(pk=telegram.pk)
            if submission_key and Annotation.objects.filter(submission_key=submission_key).exists():
                raise AlreadyAnnotated("这条批示已经保存，未重复保存。")
            if telegram.state == TelegramState.VOID:
                raise NotAllowed("已作废的来电不能批示。")
            telegram_actions.refuse_if_archived(telegram, "批示")
            if proposal is not None and telegram.proposal != proposal:
                raise NotAllowed("拟办意见刚被修改，请核对新的拟办意见后再同意。", code="proposal_changed")
            if proposal is not None and (done := proposal_approval(telegram)) is not None:
                raise NotAllowed(f"{done.author_name}已同意该拟办意见。", code="already_approved")
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
                submission_key=submission_key or None, approves_proposal=proposal is not None,
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
                **({"approves_proposal": proposal} if proposal is not None else {}),
            }, "")]
            if routes:
                units = "、".join(r["unit"] for r in draft.new_routes)
                routing_actions.open_order(telegram, source=RoutingOrder.Source.ANNOTATION, text=text,
                                           plan=dataclasses.replace(draft.plan, routes=draft.new_routes), actor=actor,
                                           audit_batch=entries, note=f"同意拟办，分送：{units}" if proposal is not None else "")
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


# ------------------------------------------------------------------------------------------------- 拟办


def _proposal_plan(telegram: Telegram, text: str, *, field: str) -> RoutingPlan:
    try:
        plan = plan_for(text, received_on=timezone.localdate(telegram.received_at))
    except InvalidInput as exc:
        raise InvalidInput(exc.message, field=field) from exc
    if plan.unknown:
        unknown = describe_unknown({n: plan.suggestions.get(n, []) for n in plan.unknown})
        raise InvalidInput(f"拟办意见中{unknown}。请修改拟办意见或先在机构目录中添加该单位。", field=field)
    return plan


def propose(telegram: Telegram, text: str, *, actor) -> Telegram:
    """拟办: the office writes its proposal (e.g. "拟请财政厅牵头，民政厅配合办理"); every unit it names must be in
    the directory, so a leader's 同意拟办 routes exactly what it says."""
    if not roles.is_clerk(actor):
        raise Forbidden("只有机要员可以拟办。")
    text = (text or "").strip()
    if not text:
        raise InvalidInput("请填写拟办意见。", field="proposal")
    if len(text) > telegram_actions.MAX_PROPOSAL_LENGTH:
        raise InvalidInput(f"拟办意见不能超过{telegram_actions.MAX_PROPOSAL_LENGTH}字。", field="proposal")
    _proposal_plan(telegram, text, field="proposal")
    with transaction.atomic():
        telegram = Telegram.objects.select_for_update().get(pk=telegram.pk)
        entry = telegram_actions.set_proposal(telegram, text, actor=actor)
        if entry:
            record_many(actor, [entry])
    return telegram


def proposal_fingerprint(text: str) -> str:
    """Identifies the proposal the leader saw: 同意拟办 of any other text is refused."""
    return hashlib.sha256((text or "").encode()).hexdigest()


def proposal_routes(telegram: Telegram) -> RoutingPlan | None:
    """What approving the proposal would route (for the page); None when it cannot be approved as it stands."""
    if not telegram.proposal.strip():
        return None
    try:
        return _proposal_plan(telegram, telegram.proposal, field="proposal")
    except InvalidInput:
        return None


APPROVAL_TEXT = "同意拟办。"


def proposal_approval(telegram: Telegram) -> Annotation | None:
    """The 同意拟办 of the proposal as it stands (one written after its last change), if any."""
    changed = (TelegramChange.objects.filter(telegram=telegram, field="proposal").order_by("-at")
               .values_list("at", flat=True).first()) or telegram.registered_at
    return (Annotation.objects.filter(telegram=telegram, approves_proposal=True, superseded=False, created_at__gte=changed)
            .order_by("-created_at").first())


def approve_proposal(telegram: Telegram, *, actor, fingerprint: str, submission_key: str = "") -> Annotation:
    """同意拟办 in one step: a 批示 "同意拟办。" that routes exactly the units the proposal names (those not routed
    already), with their roles and deadline. Refused when the proposal changed since the leader saw it."""
    if not roles.is_leader(actor):
        raise Forbidden("只有领导可以同意拟办。")
    current = Telegram.objects.only("pk", "proposal", "received_at").get(pk=telegram.pk)
    if not current.proposal.strip():
        raise NotAllowed("该来电没有拟办意见，请直接写批示。", code="no_proposal")
    if fingerprint != proposal_fingerprint(current.proposal):
        raise NotAllowed("拟办意见刚被修改，请核对新的拟办意见后再同意。", code="proposal_changed")
    plan = _proposal_plan(current, current.proposal, field="text")
    if not (plan.routes or plan.archive or plan.needs_instruction):
        raise NotAllowed("拟办意见没有写明分送单位，请直接写批示。", code="nothing_to_route")
    return _write(telegram, APPROVAL_TEXT, actor, plan, None, "", submission_key, proposal=current.proposal)


# ------------------------------------------------------------------------------------------ 传阅 among leaders


class AlreadyCirculated(Duplicate):
    code = "already_circulated"


MAX_CIRCULATION = 12


def _leaders_in_order(leaders: Sequence) -> list:
    leaders = [u for u in leaders if u is not None]
    if not leaders:
        raise InvalidInput("请按顺序选择传阅的领导。", field="leaders")
    if len(leaders) > MAX_CIRCULATION:
        raise InvalidInput(f"一次最多传阅{MAX_CIRCULATION}位领导。", field="leaders")
    seen = set()
    for u in leaders:
        if not (u.is_active and roles.is_leader(u)):
            raise InvalidInput(f"{signature(u)}不是领导，不能列入传阅。", field="leaders")
        if u.pk in seen:
            raise InvalidInput(f"传阅名单中{signature(u)}重复出现。", field="leaders")
        seen.add(u.pk)
    return leaders


def circulate(telegram: Telegram, leaders: Sequence, *, actor, submission_key: str = "") -> Circulation:
    """传阅: send the telegram to an ordered list of leaders; the first one holds it now."""
    if not (roles.is_clerk(actor) or roles.is_leader(actor)):
        raise Forbidden("只有机要员或领导可以发起传阅。")
    leaders = _leaders_in_order(leaders)
    try:
        with transaction.atomic():
            telegram = Telegram.objects.select_for_update().get(pk=telegram.pk)
            telegram_actions.refuse_if_archived(telegram, "传阅")
            if telegram.state in (TelegramState.VOID, TelegramState.RETURNED):
                raise NotAllowed(f"该来电{telegram.get_state_display()}，不能传阅。", code="closed")
            if submission_key and Circulation.objects.filter(submission_key=submission_key).exists():
                raise AlreadyCirculated("传阅已经发起，未重复提交。")
            running = Circulation.objects.filter(telegram=telegram, finished_at__isnull=True).first()
            if running is not None:
                holder = running.holder
                raise NotAllowed(f"该来电正在传阅中（现在{holder.leader_name if holder else '—'}处），请待传阅完毕后再发起。",
                                 code="circulating")
            now = timezone.now()
            circulation = Circulation.objects.create(telegram=telegram, started_by=actor, started_at=now,
                                                     submission_key=submission_key or None)
            CirculationStep.objects.bulk_create([
                CirculationStep(circulation=circulation, position=i + 1, leader=u, leader_name=signature(u),
                                received_at=now if i == 0 else None) for i, u in enumerate(leaders)
            ])
            record_many(actor, [("annotation.circulate", circulation, {
                "telegram": telegram.receipt_no, "leaders": [signature(u) for u in leaders],
            }, "")])
    except IntegrityError:  # the same submission's twin, or another circulation opened at the same moment
        if submission_key and Circulation.objects.filter(submission_key=submission_key).exists():
            raise AlreadyCirculated("传阅已经发起，未重复提交。")
        raise NotAllowed("该来电正在传阅中，请待传阅完毕后再发起。", code="circulating")
    announce(CirculationReached(telegram.pk, circulation.pk, leaders[0].pk, signature(actor)))
    return circulation


def pass_on(telegram: Telegram, *, actor) -> CirculationStep:
    """阅毕: the leader who holds the telegram marks it read and passes it to the next one (the last one ends the
    传阅). Returns the step just finished. Refused for anyone who does not hold it."""
    with transaction.atomic():
        telegram = Telegram.objects.select_for_update().get(pk=telegram.pk)
        circulation = Circulation.objects.select_for_update().filter(telegram=telegram, finished_at__isnull=True).first()
        if circulation is None:
            raise NotAllowed("该来电没有正在进行的传阅。", code="not_holding")
        steps = list(CirculationStep.objects.select_for_update().filter(circulation=circulation).order_by("position"))
        holder = next((s for s in steps if s.received_at and not s.passed_at), None)
        if holder is None:
            raise NotAllowed("该来电没有正在进行的传阅。", code="not_holding")
        if holder.leader_id != actor.pk:
            mine = next((s for s in steps if s.leader_id == actor.pk), None)
            done = "您已阅毕，" if mine is not None and mine.passed_at else ""
            raise NotAllowed(f"{done}传阅现在{holder.leader_name}处，您不能传下一位。", code="not_holding")
        now = timezone.now()
        holder.passed_at, holder.opened_at = now, holder.opened_at or now
        holder.save(update_fields=["passed_at", "opened_at"])
        following = next((s for s in steps if s.position > holder.position), None)
        if following is not None:
            following.received_at = now
            following.save(update_fields=["received_at"])
        else:
            circulation.finished_at = now
            circulation.save(update_fields=["finished_at"])
        record_many(actor, [("annotation.circulation_pass", circulation, {
            "telegram": telegram.receipt_no, "leader": holder.leader_name, "position": holder.position,
            "next": following.leader_name if following else None,
        }, "")])
    if following is not None:
        announce(CirculationReached(telegram.pk, circulation.pk, following.leader_id, holder.leader_name))
    else:
        announce(CirculationFinished(telegram.pk, circulation.pk, circulation.started_by_id))
    return holder


def note_opened(telegram: Telegram, user) -> bool:
    """Read receipt of the leader who holds a 传阅 (未读 → 已读): one conditional UPDATE, no state."""
    if not roles.is_leader(user):
        return False
    return bool(CirculationStep.objects.filter(
        circulation__telegram=telegram, circulation__finished_at__isnull=True, leader=user,
        received_at__isnull=False, opened_at__isnull=True,
    ).update(opened_at=timezone.now()))
