"""Raising and clearing alarms. Each runs in its own transaction (an alarm must outlive the rollback of whatever
found the problem) and is also logged at ERROR level, so a log collector sees it even if the row is removed."""
from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import IntegrityError, transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from core.events import announce

from .events import AlarmRaised
from .models import Alarm

log = logging.getLogger("alarms")


def raise_alarm(kind: str, key: str, message: str, *, event_type: Callable[..., AlarmRaised] = AlarmRaised) -> Alarm:
    """Open the alarm (kind, key), or count one more sighting of the open one. A new alarm is announced as
    `event_type` (a subclass of AlarmRaised) after commit."""
    log.error("ALARM %s/%s: %s", kind, key, message)
    for _ in range(2):  # a concurrent raiser may create it between our read and insert
        try:
            with transaction.atomic():
                alarm = Alarm.objects.select_for_update().filter(kind=kind, key=key, cleared_at__isnull=True).first()
                if alarm is not None:
                    Alarm.objects.filter(pk=alarm.pk).update(seen=F("seen") + 1, message=message, last_seen_at=timezone.now())
                    alarm.refresh_from_db()
                    return alarm
                alarm = Alarm.objects.create(kind=kind, key=key, message=message)
                announce(event_type(alarm_id=alarm.pk, kind=kind, key=key, message=message))
                return alarm
        except IntegrityError:
            continue
    return Alarm.objects.get(kind=kind, key=key, cleared_at__isnull=True)


def clear(kind: str, key: str | None = None) -> int:
    """Close the open alarms of `kind` (and `key`, if given): the condition is gone."""
    qs = Alarm.objects.filter(kind=kind, cleared_at__isnull=True)
    if key is not None:
        qs = qs.filter(key=key)
    return qs.update(cleared_at=timezone.now())


def open_alarms(kind: str | None = None) -> QuerySet[Alarm]:
    qs = Alarm.objects.filter(cleared_at__isnull=True).order_by("raised_at", "id")
    return qs.filter(kind=kind) if kind else qs
