"""What a 批办/批示 text resolves to against the directory (nothing is written here)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.utils import timezone

from core.errors import InvalidInput
from directory import snapshot
from telegrams.models import Telegram

from . import deadlines
from .instructions import Directory, InstructionError, describe_unknown, parse
from .models import Role

ROLE_STRENGTH = {Role.LEAD: 3, Role.HANDLE: 2, Role.ASSIST: 1, Role.READ: 0}


@dataclass
class RoutingPlan:
    """What an instruction resolved to against the directory; routes carry unit ids so the worker needs no
    second parse and routes exactly what the clerk or leader saw and confirmed."""

    routes: list[dict] = field(default_factory=list)  # {"unit_id", "unit", "role"}
    deadline: date | None = None
    archive: bool = False
    unknown: list[str] = field(default_factory=list)
    suggestions: dict[str, list[str]] = field(default_factory=dict)
    needs_instruction: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.unknown

    @property
    def files_only(self) -> bool:
        """存档/归档 and nothing to route: the telegram is filed with no action."""
        return self.archive and not self.routes and not self.unknown

    def describe_unknown(self) -> str:
        """未找到单位：X（您是否要找：Y）… — '' when every unit was found."""
        return describe_unknown({name: self.suggestions.get(name, []) for name in self.unknown})

    def unknown_message(self) -> str:
        return self.describe_unknown() + "。请修改批办内容或先在机构目录中添加该单位。"


def plan_for(text: str, *, received_on: date | None = None, units: snapshot.Snapshot | None = None) -> RoutingPlan:
    """Parse a 批办/批示 text against the directory in the database (or the `units` the caller already read).
    An unparseable text raises InvalidInput on the field "instruction"."""
    units = units or snapshot.current()  # kept in memory until the unit table changes
    directory = Directory.from_snapshot(units)
    try:
        parsed = parse(text, directory, received_on=received_on)
    except InstructionError as exc:
        raise InvalidInput(str(exc), field="instruction") from exc
    found = (units.find(r.unit) for r in parsed.routes)
    ids = {u.name: u.id for u in found if u is not None}
    return RoutingPlan(
        routes=[{"unit_id": ids[r.unit], "unit": r.unit, "role": r.role} for r in parsed.routes if r.unit in ids],
        deadline=parsed.deadline,
        archive=parsed.archive,
        unknown=list(parsed.unknown),
        suggestions={n: directory.suggest(n) for n in parsed.unknown},
        needs_instruction=list(parsed.needs_instruction),
    )


def default_deadline(telegram: Telegram) -> date:
    """The deadline a delivery gets when its 批办/批示 names no date: the precedence's days from the day of receipt,
    in calendar or working days as set (routing.deadlines.due_date)."""
    return deadlines.due_date(timezone.localdate(telegram.received_at), telegram.precedence)
