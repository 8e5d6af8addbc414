"""Leaders' 批示: write, correct (a new version), 阅示 requests and alerts. Each state change runs in one
transaction with its audit entry; a 批示 that routes writes its RoutingOrder in that same transaction."""
from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from audit.services import record
from directory import roles
from directory.models import Person
from routing.services import ROLE_STRENGTH, RoutingError, RoutingPlan, create_order, plan_for
from telegrams.models import Precedence, Telegram

from .models import Alert, AlertKind, Annotation, ReadRequest

log = logging.getLogger(__name__)

MAX_TEXT_LENGTH = 2000
URGENT = (Precedence.TETI, Precedence.TEJI)


class AnnotationError(Exception):
    """A 批示 refused for a reason the leader can fix (message in Chinese)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class Draft:
    """What a 批示 text will do, as shown to the leader before confirming."""

    text: str
    plan: RoutingPlan
    new_routes: list[dict] = field(default_factory=list)  # to be sent now
    already_routed: list[dict] = field(default_factory=list)  # same unit, same or stronger role already sent
    readers: list = field(default_factory=list)  # leaders asked to 阅示 (users)
    unknown_leaders: dict[str, list[str]] = field(default_factory=dict)  # name -> candidates (may be empty)
    self_named: bool = False

    @property
    def ok(self) -> bool:
        return self.plan.ok and not self.unknown_leaders

    @property
    def needs_confirmation(self) -> bool:
        """Anything beyond a plain comment (units, filing, leaders, unknown names) is confirmed first."""
        p = self.plan
        return bool(p.routes or p.archive or p.unknown or p.needs_instruction)

    @property
    def fingerprint(self) -> str:
        """Identifies exactly what the leader saw; a confirmation for anything else is refused."""
        shown = {
            "text": self.text,
            "routes": [[r["unit_id"], r["role"]] for r in self.new_routes],
            "already": [[r["unit_id"], r["role"]] for r in self.already_routed],
            "deadline": self.plan.deadline.isoformat() if self.plan.deadline else None,
            "archive": self.plan.archive,
            "readers": [u.pk for u in self.readers],
        }
        return hashlib.sha256(json.dumps(shown, sort_keys=True).encode()).hexdigest()

    def unknown_leaders_message(self) -> str:
        parts = []
        for name, candidates in self.unknown_leaders.items():
            parts.append(f"{name}（有多位：{'、'.join(candidates)}）" if candidates else name)
        return "未找到领导：" + "；".join(parts) + "。请写明领导姓名后重新识别。"


# ------------------------------------------------------------------------------------------------ analysis


def _leader_names(person: Person) -> set[str]:
    """How a 批示 may name a leader: full name, full name + title, surname + title (李领导, 陈副主席)."""
    names = {person.full_name}
    if person.title:
        names |= {person.full_name + person.title, person.full_name[:1] + person.title}
    return {n for n in names if n}


def resolve_leaders(names: list[str]) -> tuple[list, dict[str, list[str]]]:
    """Map names written before 阅示 to active leaders; an unknown or ambiguous name is returned with candidates."""
    people = list(
        Person.objects.filter(user__groups__name=roles.LEADER, user__is_active=True).select_related("user").distinct()
    )
    found, unknown = [], {}
    for name in names:
        matches = [p for p in people if name in _leader_names(p)]
        if len(matches) == 1:
            if matches[0].user not in found:
                found.append(matches[0].user)
        else:
            unknown[name] = [p.full_name for p in matches]
    return found, unknown


def _routed_roles(telegram: Telegram) -> dict[int, str]:
    """Strongest role each unit has already been sent for this telegram (by the 批办 or earlier 批示)."""
    from routing.models import RoutingOrder

    routed: dict[int, str] = {}
    for routes in RoutingOrder.objects.filter(telegram=telegram).values_list("routes", flat=True):
        for r in routes or []:
            current = routed.get(r["unit_id"])
            if current is None or ROLE_STRENGTH[r["role"]] > ROLE_STRENGTH[current]:
                routed[r["unit_id"]] = r["role"]
    return routed


def _check_text(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise AnnotationError("请填写批示内容。")
    if len(text) > MAX_TEXT_LENGTH:
        raise AnnotationError(f"批示内容不能超过{MAX_TEXT_LENGTH}字。")
    return text


def prepare(telegram: Telegram, text: str, *, actor, plan: RoutingPlan | None = None) -> Draft:
    """Parse a 批示 against the directory and the leaders: what it would route and to whom (nothing saved)."""
    text = _check_text(text)
    if plan is None:
        try:
            plan = plan_for(text, received_on=timezone.localdate(telegram.received_at))
        except RoutingError as exc:
            raise AnnotationError(exc.message) from exc
    routed = _routed_roles(telegram)
    new, already = [], []
    for r in plan.routes:
        current = routed.get(r["unit_id"])
        stronger = current is None or ROLE_STRENGTH[r["role"]] > ROLE_STRENGTH[current]
        (new if stronger else already).append(r)
    readers, unknown = resolve_leaders(plan.needs_instruction)
    self_named = any(u.pk == actor.pk for u in readers)
    readers = [u for u in readers if u.pk != actor.pk]
    return Draft(text=text, plan=plan, new_routes=new, already_routed=already, readers=readers,
                 unknown_leaders=unknown, self_named=self_named)


# ------------------------------------------------------------------------------------------------- writing


def signature(actor) -> str:
    person = getattr(actor, "person", None) if hasattr(actor, "person") else None
    return (person.full_name if person else actor.get_username())[:100]


def _write(telegram: Telegram, text: str, actor, plan: RoutingPlan | None, previous: Annotation | None,
           reason: str) -> Annotation:
    if not roles.is_leader(actor):
        raise PermissionDenied("只有领导可以批示")
    text = _check_text(text)
    with transaction.atomic():
        # The telegram row lock serialises 批示 on one telegram (versions, 阅示 requests, orders).
        telegram = Telegram.objects.select_for_update().get(pk=telegram.pk)
        if telegram.is_void:
            raise AnnotationError("已作废的来电不能批示。")
        if previous is not None:
            previous = Annotation.objects.select_for_update().get(pk=previous.pk)
            if previous.telegram_id != telegram.pk or previous.author_id != actor.pk:
                raise PermissionDenied("只能更正本人的批示")
            if previous.superseded:
                raise AnnotationError("该批示已经更正过，请更正最新版本。")
        draft = prepare(telegram, text, actor=actor, plan=plan)
        if not draft.plan.ok:
            raise AnnotationError(draft.plan.unknown_message())
        if draft.unknown_leaders:
            raise AnnotationError(draft.unknown_leaders_message())

        annotation = Annotation(
            telegram=telegram, author=actor, author_name=signature(actor),
            version=previous.version + 1 if previous else 1, supersedes=previous, reason=reason,
        )
        annotation.set_text(text)
        annotation.save()
        if previous is not None:
            Annotation.objects.filter(pk=previous.pk).update(superseded=True)

        # Writing a 批示 answers every 阅示 request this leader had on the telegram.
        ReadRequest.objects.filter(telegram=telegram, leader=actor, done_at__isnull=True).update(
            done_at=timezone.now(), done_in=annotation
        )
        already_asked = set(ReadRequest.objects.filter(telegram=telegram, done_at__isnull=True)
                            .values_list("leader_id", flat=True))
        asked = [u for u in draft.readers if u.pk not in already_asked]
        record(actor, "annotation.correct" if previous else "annotation.write", annotation, {
            "telegram": telegram.receipt_no,
            "version": annotation.version,
            "supersedes": previous.pk if previous else None,
            "reason": reason,
            # A keyed digest: evidence of the exact text without putting the 批示 in clear into the ledger.
            "text_hmac": salted_hmac("annotation.text", text, algorithm="sha256").hexdigest(),
            "routes": [{"unit": r["unit"], "role": r["role"]} for r in draft.new_routes],
            "archive": draft.plan.archive,
            "read_requests": [signature(u) for u in asked],
        })
        if draft.new_routes or draft.plan.archive:
            create_order(telegram, source="annotation", text=text,
                         routes=dataclasses.replace(draft.plan, routes=draft.new_routes), actor=actor)
        _request_reading(telegram, annotation, asked, actor)
    return annotation


def annotate(telegram: Telegram, text: str, actor: AbstractBaseUser, plan: RoutingPlan | None = None) -> Annotation:
    """Save a leader's 批示; when it names units, send them a RoutingOrder (the plan the leader confirmed),
    and when it names leaders for 阅示, put the telegram in their inboxes."""
    return _write(telegram, text, actor, plan, None, "")


def correct(previous: Annotation, text: str, actor: AbstractBaseUser, reason: str,
            plan: RoutingPlan | None = None) -> Annotation:
    """更正: a new version of one's own latest 批示; the old version stays visible, marked superseded.
    Units or leaders the correction newly names are routed/asked like in a first 批示."""
    reason = (reason or "").strip()
    if not reason:
        raise AnnotationError("请填写更正原因。")
    if len(reason) > 200:
        raise AnnotationError("更正原因不能超过200字。")
    return _write(previous.telegram, text, actor, plan, previous, reason)


def _request_reading(telegram: Telegram, annotation: Annotation, leaders: list, actor) -> None:
    """Leaders without an open request on this telegram get one (the caller filtered) and an alert."""
    if not leaders:
        return
    ReadRequest.objects.bulk_create([
        ReadRequest(telegram=telegram, leader=u, requested_in=annotation, requested_by=actor) for u in leaders
    ])
    _alert(leaders, telegram, AlertKind.READ_REQUEST, f"{signature(actor)}请您阅示：{telegram.receipt_no} {telegram.title}")


# ------------------------------------------------------------------------------------------------- alerts


def _alert(users: list, telegram: Telegram, kind: str, text: str) -> None:
    """In-app alerts now; e-mail (for users with an address) once the transaction has committed."""
    text = text[:300]
    Alert.objects.bulk_create([Alert(user=u, telegram=telegram, kind=kind, text=text) for u in users])
    _mail_after_commit(telegram, kind, text, [u.email for u in users if u.email])


def _mail_after_commit(telegram: Telegram, kind: str, text: str, addresses: list[str]) -> None:
    if not addresses:
        return
    subject = f"【{telegram.precedence}】{AlertKind(kind).label}：{telegram.receipt_no}"[:200]
    body = (f"{text}\n\n收文号：{telegram.receipt_no}\n来电单位：{telegram.sender_unit_name}\n"
            f"等级：{telegram.precedence}\n收报时间：{timezone.localtime(telegram.received_at):%Y-%m-%d %H:%M}\n\n"
            "请登录明电收文管理系统查看。")

    def send() -> None:
        for address in addresses:  # one message each: recipients do not see each other
            send_mail(subject, body, None, [address])

    # robust: a mail server failure is logged and never undoes or breaks the committed change.
    transaction.on_commit(send, robust=True)


def notify_registered(telegram: Telegram) -> None:
    """Called by telegrams.services.register inside its transaction: a 特提/特急 arrival alerts every leader."""
    if telegram.precedence not in URGENT:
        return
    leaders = list(get_user_model().objects.filter(groups__name=roles.LEADER, is_active=True).distinct())
    if leaders:
        _alert(leaders, telegram, AlertKind.URGENT,
               f"{telegram.precedence}来电：{telegram.receipt_no} {telegram.sender_unit_name} {telegram.title}")


def notify_delivered(batch: list[tuple[Telegram, list[int]]]) -> None:
    """Called by routing.services.route inside its transaction with each telegram just routed and the units
    it reached: their staff get an alert (and an e-mail where they have an address). One query for the staff
    and one insert for the alerts, however many telegrams the batch holds."""
    unit_ids = {u for _, units in batch for u in units}
    if not unit_ids:
        return
    staff_by_unit: dict[int, list] = {}
    for user in (get_user_model().objects.filter(groups__name=roles.STAFF, is_active=True, person__unit_id__in=unit_ids)
                 .select_related("person").distinct()):
        staff_by_unit.setdefault(user.person.unit_id, []).append(user)
    alerts, mails = [], []
    for telegram, units in batch:
        users = {u.pk: u for unit in units for u in staff_by_unit.get(unit, [])}.values()
        text = f"{telegram.precedence}来电待签收：{telegram.receipt_no} {telegram.title}"[:300]
        alerts += [Alert(user=u, telegram=telegram, kind=AlertKind.DELIVERED, text=text) for u in users]
        mails += [(telegram, text, u.email) for u in users if u.email]
    Alert.objects.bulk_create(alerts)
    for telegram, text, address in mails:
        _mail_after_commit(telegram, AlertKind.DELIVERED, text, [address])


def mark_alerts_read(user, telegram: Telegram | None = None) -> int:
    """Opening a telegram clears its alerts for that user (telegram None: all of them)."""
    if not getattr(user, "is_authenticated", False):
        return 0
    qs = Alert.objects.filter(user=user, read_at__isnull=True)
    if telegram is not None:
        qs = qs.filter(telegram=telegram)
    return qs.update(read_at=timezone.now())


def unread_count(user) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return Alert.objects.filter(user=user, read_at__isnull=True).count()
