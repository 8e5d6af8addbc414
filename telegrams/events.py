"""What the register announces after commit (core.events); the notifications app listens."""
from __future__ import annotations

from dataclasses import dataclass

from core.events import Event


@dataclass(frozen=True)
class TelegramRegistered(Event):
    telegram_id: int
    receipt_no: str
    precedence: str
    sender: str
    title: str


@dataclass(frozen=True)
class TelegramVoided(Event):
    telegram_id: int
    receipt_no: str


@dataclass(frozen=True)
class TelegramOpened(Event):
    """Someone read the telegram's page (its body was decrypted for them)."""

    telegram_id: int
    user_id: int


@dataclass(frozen=True)
class TelegramClosed(Event):
    """答复 recorded (or no reply needed): the telegram is 已办毕."""

    telegram_id: int
    receipt_no: str
    replied: bool
