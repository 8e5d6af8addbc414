"""What a 批示 text will do, shown to the leader before it is saved: the units it routes (new or already sent),
whether it files the telegram, the leaders it asks to 阅示. Nothing here writes; annotations.actions does."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

from django.utils import timezone

from core.errors import InvalidInput
from directory import roles
from directory.models import Person
from routing.models import RoutingOrder
from routing.planning import ROLE_STRENGTH, RoutingPlan, plan_for
from telegrams.models import Telegram

MAX_TEXT_LENGTH = 2000


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
    routed: dict[int, str] = {}
    for routes in RoutingOrder.objects.filter(telegram=telegram).values_list("routes", flat=True):
        for r in routes or []:
            current = routed.get(r["unit_id"])
            if current is None or ROLE_STRENGTH[r["role"]] > ROLE_STRENGTH[current]:
                routed[r["unit_id"]] = r["role"]
    return routed


def check_text(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise InvalidInput("请填写批示内容。", field="text")
    if len(text) > MAX_TEXT_LENGTH:
        raise InvalidInput(f"批示内容不能超过{MAX_TEXT_LENGTH}字。", field="text")
    return text


def prepare(telegram: Telegram, text: str, *, actor, plan: RoutingPlan | None = None) -> Draft:
    """Parse a 批示 against the directory and the leaders: what it would route and to whom (nothing saved)."""
    text = check_text(text)
    if plan is None:
        plan = plan_for(text, received_on=timezone.localdate(telegram.received_at))
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


def signature(actor) -> str:
    person = getattr(actor, "person", None) if hasattr(actor, "person") else None
    return (person.full_name if person else actor.get_username())[:100]
