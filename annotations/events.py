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
