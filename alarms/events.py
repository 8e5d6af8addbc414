"""Announced when an alarm is first raised; the notifications app alerts the administrators (it subscribes to
AlarmRaised, so every kind of alarm reaches it)."""
from __future__ import annotations

from dataclasses import dataclass

from core.events import Event


@dataclass(frozen=True)
class AlarmRaised(Event):
    alarm_id: int
    kind: str
    key: str
    message: str
