"""What routing announces after commit (core.events); the notifications app listens."""
from __future__ import annotations

from dataclasses import dataclass

from core.events import Event


@dataclass(frozen=True)
class Delivered(Event):
    """Telegrams just routed, each with the units it newly reached: ((telegram_id, (unit_id, …)), …)."""

    reached: tuple[tuple[int, tuple[int, ...]], ...]


@dataclass(frozen=True)
class DeliverySigned(Event):
    delivery_id: int
    telegram_id: int
    unit_id: int


@dataclass(frozen=True)
class DeliveryDone(Event):
    delivery_id: int
    telegram_id: int
    unit_id: int
    telegram_state: str


@dataclass(frozen=True)
class UnknownUnitsFound(Event):
    """A registration's 批办 named units the directory lacks: they wait on the clerk's 待处理 list."""

    telegram_id: int
    names: tuple[str, ...]
