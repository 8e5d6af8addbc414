"""What the 批示 app announces after commit (core.events); the notifications app listens."""
from __future__ import annotations

from dataclasses import dataclass

from core.events import Event


@dataclass(frozen=True)
class ReadRequested(Event):
    """A 批示 asked other leaders to 阅示 the telegram."""

    telegram_id: int
    leader_ids: tuple[int, ...]
    by: str  # the asking leader's signature


@dataclass(frozen=True)
class AnnotationWritten(Event):
    annotation_id: int
    telegram_id: int
    routed: bool


@dataclass(frozen=True)
class CirculationReached(Event):
    """传阅: the telegram reached the next leader on the list."""

    telegram_id: int
    circulation_id: int
    leader_id: int
    by: str  # who started it or passed it on


@dataclass(frozen=True)
class CirculationFinished(Event):
    """The last leader on the list read it: the 传阅 is over."""

    telegram_id: int
    circulation_id: int
    started_by_id: int
