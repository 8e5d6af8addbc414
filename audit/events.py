from __future__ import annotations

from dataclasses import dataclass

from alarms.events import AlarmRaised


@dataclass(frozen=True)
class AuditAlarm(AlarmRaised):
    """The audit chain no longer matches its witness (or carries an entry the application did not write): the
    signer refused to sign. Listeners alert the administrators."""

    first_bad_seq: int | None = None
