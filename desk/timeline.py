"""The telegram page's 流转记录: every step of the procedure in time order, gathered from the apps that record
them — routing events (orders, deliveries, 退回, 转办, 代签收, 退文's cancellations), the telegram's own changes
(初审, 拟办, 退文, 答复, 作废), leaders' 批示 and the 传阅 among leaders."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from annotations.models import Annotation, CirculationStep
from routing.models import RoutingEvent
from telegrams.inputs import HEADER_FIELDS
from telegrams.models import Telegram, TelegramChange


@dataclass
class Step:
    at: datetime
    who: str
    what: str
    note: str


def _name(user) -> str:
    if user is None:
        return "系统"
    person = getattr(user, "person", None) if hasattr(user, "person") else None
    return person.full_name if person and person.full_name else user.get_username()


_CHANGE = {"state": "来电", "kind": "初审：", "proposal": "拟办"}


def steps(telegram: Telegram, annotations: list[Annotation]) -> list[Step]:
    found = [Step(e.at, _name(e.actor), f"{e.get_subject_display()}{e.to_label}", e.note)
             for e in RoutingEvent.objects.filter(telegram=telegram).select_related("actor__person", "delivery__unit")]
    for c in TelegramChange.objects.filter(telegram=telegram).exclude(field__in=HEADER_FIELDS).select_related("by__person"):
        if c.field == "proposal":
            found.append(Step(c.at, _name(c.by), "拟办" if not c.old else "修改拟办", c.new))
        elif c.field in _CHANGE:
            found.append(Step(c.at, _name(c.by), f"{_CHANGE[c.field]}{c.new}", c.reason))
    for a in annotations:
        label = "同意拟办" if a.approves_proposal else ("更正批示" if a.version > 1 else "批示")
        found.append(Step(a.created_at, a.author_name, label, a.text[:120]))
    for s in CirculationStep.objects.filter(circulation__telegram=telegram).select_related("circulation__started_by__person"):
        if s.received_at:
            by = _name(s.circulation.started_by) if s.position == 1 else "上一位领导"
            found.append(Step(s.received_at, by, "传阅送达", f"第{s.position}位：{s.leader_name}"))
        if s.passed_at:
            found.append(Step(s.passed_at, s.leader_name, "传阅阅毕", f"{s.leader_name}已阅"))
    found.sort(key=lambda s: s.at)
    return found
