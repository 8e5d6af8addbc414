"""What the reminder pass and the clerk's 催办 announce after commit (core.events); the notifications app sends."""
from __future__ import annotations

from dataclasses import dataclass

from core.events import Event


@dataclass(frozen=True)
class ReminderClaimed(Event):
    """A 催办记录 was claimed (inserted, or re-taken after a crash) and is to be sent once."""

    record_id: int
