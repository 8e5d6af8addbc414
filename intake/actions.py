"""Registering a received telegram, from whatever source: resolve its 批办 against the directory, then one
transaction writes the record (telegrams.actions.register) and — in the same transaction, through the `attach`
hook — the routing order for the units found and the 待处理 list for names the directory lacks. A received
telegram is always registered: an unknown unit in its 批办 is flagged for the clerk, never a reason to refuse."""
from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from core.errors import ActionError
from directory import snapshot
from routing import actions as routing_actions
from routing.models import RoutingOrder
from routing.planning import RoutingPlan, plan_for
from telegrams import actions as telegram_actions
from telegrams.inputs import TelegramInput
from telegrams.models import Telegram, TelegramState


def plan(data: TelegramInput, units: snapshot.Snapshot | None = None) -> RoutingPlan | None:
    """The 批办 resolved against the directory (None without one). Unparseable text raises InvalidInput."""
    if not data.instruction.strip() or data.received_at is None:
        return None
    return plan_for(data.instruction, received_on=timezone.localdate(data.received_at), units=units)


def register(data: TelegramInput, *, actor: AbstractBaseUser) -> Telegram:
    """Register `data`; raises the actions' typed errors (telegrams.actions.AlreadyRegistered for a submission
    seen before, Duplicate, InvalidInput, NotAllowed) with nothing written."""
    units = snapshot.current()  # read once: the 批办 and the sender unit are resolved against the same directory
    routes = plan(data, units)
    state = TelegramState.REGISTERED
    if routes is not None and routes.routes:
        state = TelegramState.INSTRUCTED  # written so at once: no second UPDATE for the order

    def attach(telegram: Telegram) -> list:
        if routes is None:
            return []
        entries: list = []
        routing_actions.open_order(telegram, source=RoutingOrder.Source.INSTRUCTION, text=telegram.instruction,
                                   plan=routes, actor=actor, keep_unknown=True, audit_batch=entries)
        return entries

    return telegram_actions.register(data, actor=actor, state=state, units=units, attach=attach)


def preflight(data: TelegramInput) -> dict[str, str]:
    """What saving would refuse or flag, by field, without writing: the paste preview shows it before the clerk
    presses 保存. The same checks as the action (telegrams.actions.problems), plus the 批办's unknown units."""
    notes = {exc.field or "": exc.message for exc in reversed(telegram_actions.problems(data, with_database=True))}
    try:
        routes = plan(data)
    except ActionError as exc:
        notes[exc.field or "instruction"] = exc.message
    else:
        if routes is not None and routes.unknown:
            notes["instruction"] = routes.describe_unknown() + "。保存后已知单位照常分送，未找到的单位列入“待处理单位”。"
    return notes
