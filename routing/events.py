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


@dataclass(frozen=True)
class DeliveryHandedBack(Event):
    """退回: a unit sent back a telegram routed to it by mistake; the clerks route it on."""

    delivery_id: int
    telegram_id: int
    unit_id: int
    reason: str


@dataclass(frozen=True)
class DeliveryTransferred(Event):
    """转办: a unit passed its delivery on to another unit (which is alerted when the order is routed)."""

    delivery_id: int
    telegram_id: int
    unit_id: int
    to_unit_id: int


@dataclass(frozen=True)
class Circulated(Event):
    """A 阅件 was circulated to units (their staff are alerted when the order is routed)."""

    telegram_id: int
    unit_ids: tuple[int, ...]


@dataclass(frozen=True)
class TelegramReturned(Event):
    """退文: the telegram went back to its sender; `units` had open deliveries, now cancelled."""

    telegram_id: int
    receipt_no: str
    units: tuple[int, ...]


@dataclass(frozen=True)
class DeadlineChanged(Event):
    """The clerk moved a delivery's deadline (the unit is told the new date)."""

    delivery_id: int
    telegram_id: int
    unit_id: int
    deadline: str  # ISO date
