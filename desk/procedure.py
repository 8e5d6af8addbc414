"""What the telegram page offers each person for the 收文 procedure, gathered from the apps that own each step:
初审/退文 and 答复 (the clerk), 拟办 and 同意拟办, 传阅 among leaders (who holds it, who read it when), the
units' deliveries with their results (only to those allowed), a unit's own actions, 退回 waiting to be routed on,
and read receipts. Plain data for the templates; nothing here writes."""
from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db.models import Prefetch

from annotations import actions as annotation_actions
from annotations.forms import CirculationForm, ProposalForm
from annotations.models import Circulation, CirculationStep
from core.forms import new_token
from directory import roles
from directory.access import staffed_units
from routing.access import sees_result
from routing.forms import CirculateForm, RerouteForm
from routing.models import OPEN, Delivery, Handback, ResultFile, Role
from telegrams.forms import ReviewForm
from telegrams.models import Reading, Telegram, TelegramState


@dataclass
class Procedure:
    deliveries: list[Delivery]
    handbacks: list[Handback] = field(default_factory=list)
    circulations: list[Circulation] = field(default_factory=list)
    holding: bool = False  # the current user holds the running 传阅
    readings: list[Reading] = field(default_factory=list)
    forms: dict = field(default_factory=dict)
    proposal_units: list[str] = field(default_factory=list)
    approval: object = None  # the 同意拟办 of the proposal as it stands
    next_leader: str = ""  # who the holder passes the 传阅 to
    proposal_fingerprint: str = ""
    approve_token: str = ""
    can: dict = field(default_factory=dict)


def _deliveries(telegram: Telegram, user) -> list[Delivery]:
    deliveries = list(telegram.deliveries.select_related(
        "unit", "signed_by__person", "done_by__person", "opened_by__person", "handback__resolved_by__person",
        "handback__rerouted_to", "transfer__to_unit",
    ).prefetch_related(Prefetch("files", queryset=ResultFile.objects.order_by("id"))).order_by("id"))
    staffed = staffed_units([d.unit_id for d in deliveries])
    for d in deliveries:
        d.shows_result = sees_result(user, d)  # other units see that it finished, not what it wrote
        d.has_staff = d.unit_id in staffed
    return deliveries


def build(telegram: Telegram, user) -> Procedure:
    is_clerk, is_leader = roles.is_clerk(user), roles.is_leader(user)
    deliveries = _deliveries(telegram, user)
    p = Procedure(deliveries=deliveries)
    open_telegram = not telegram.is_closed

    if is_clerk or is_leader:
        p.handbacks = [d.handback for d in deliveries if hasattr(d, "handback") and d.handback.resolved_at is None]
        p.forms["reroute"] = RerouteForm()

    # 传阅 among leaders (who read it when) is the office's and the leaders' business, not the units'.
    if roles.sees_register(user):
        p.circulations = list(Circulation.objects.filter(telegram=telegram).select_related("started_by__person")
                              .prefetch_related(Prefetch("steps", queryset=CirculationStep.objects.order_by("position")))
                              .order_by("started_at", "id"))
    running = next((c for c in p.circulations if c.finished_at is None), None)
    holder = running.holder if running else None
    p.holding = bool(holder and holder.leader_id == user.pk)
    if p.holding:
        p.next_leader = next((s.leader_name for s in running.steps.all() if s.position > holder.position), "")

    if roles.sees_register(user):
        p.readings = list(Reading.objects.filter(telegram=telegram).select_related("user__person__unit")
                          .order_by("first_opened_at", "id"))

    p.can = {
        "review": is_clerk and open_telegram,
        "return": is_clerk and telegram.state in (TelegramState.REGISTERED, TelegramState.INSTRUCTED,
                                                  TelegramState.IN_PROGRESS),
        "propose": is_clerk and open_telegram,
        "approve": is_leader and open_telegram and bool(telegram.proposal.strip()),
        "circulate_leaders": (is_clerk or is_leader) and running is None
        and telegram.state not in (TelegramState.VOID, TelegramState.RETURNED, TelegramState.ARCHIVED),
        "circulate_units": is_clerk and open_telegram and telegram.kind == "read",
        "reply": is_clerk and telegram.state in (TelegramState.DONE, TelegramState.REGISTERED),
        "proxy": is_clerk and open_telegram,
    }
    if p.can["review"]:
        p.forms["review"] = ReviewForm(initial={"kind": telegram.kind or None})
    if p.can["propose"]:
        p.forms["proposal"] = ProposalForm(initial={"proposal": telegram.proposal})
    if telegram.proposal.strip():
        p.approval = annotation_actions.proposal_approval(telegram)
    if p.can["approve"] and p.approval is None:
        plan = annotation_actions.proposal_routes(telegram)
        if plan is not None:
            staffed = staffed_units([r["unit_id"] for r in plan.routes])
            p.proposal_units = [f"{r['unit']}（{Role(r['role']).label}{'' if r['unit_id'] in staffed else '，尚无承办人账号'}）"
                                for r in plan.routes]
            if plan.archive:
                p.proposal_units.append("存档")
            p.proposal_units += [f"请{name}阅示" for name in plan.needs_instruction]
        p.proposal_fingerprint = annotation_actions.proposal_fingerprint(telegram.proposal)
        p.approve_token = new_token()
    if p.can["circulate_leaders"]:
        leaders = get_user_model().objects.filter(groups__name=roles.LEADER, is_active=True).select_related("person") \
            .order_by("person__full_name", "username").distinct()
        p.forms["circulation"] = CirculationForm(leaders=list(leaders))
    if p.can["circulate_units"]:
        routed = {d.unit_id for d in deliveries}
        form = CirculateForm()
        form.fields["units"].queryset = form.fields["units"].queryset.exclude(pk__in=routed)
        p.forms["circulate_units"] = form
    return p


def open_count(deliveries: list[Delivery]) -> int:
    return sum(1 for d in deliveries if d.state in OPEN and d.role != Role.READ)
