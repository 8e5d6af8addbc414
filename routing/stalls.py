"""Routing that cannot stall silently: an order still pending ROUTING_STALL_SECONDS after it was written means no
worker is consuming its queue (or every attempt fails). The sweeper (beat) and the routing history check it; the
alarm is shown on /healthz and the routing history, and announced so the administrators are alerted."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from alarms import services as alarms
from alarms.events import AlarmRaised
from alarms.models import Kind

from .models import OrderState, RoutingOrder

ALARM_KEY = "stalled"


@dataclass(frozen=True)
class RoutingStalled(AlarmRaised):
    """Orders pending longer than the threshold; listeners alert the administrators."""

    pending: int = 0
    urgent: int = 0


@dataclass(frozen=True)
class Stall:
    pending: int
    urgent: int
    oldest_receipt_no: str
    oldest_seconds: int

    @property
    def message(self) -> str:
        urgent = f"（其中特提 {self.urgent} 条）" if self.urgent else ""
        return (f"{self.pending} 条分送指令超过 {int(settings.ROUTING_STALL_SECONDS)} 秒仍未分送{urgent}，最早一条"
                f"（{self.oldest_receipt_no or '未编号'}）已等待 {self.oldest_seconds // 60} 分钟。"
                f"请检查 Celery worker 是否在运行并消费 urgent 与 default 队列。")


def stalled(now: datetime | None = None) -> Stall | None:
    """The orders pending longer than the threshold, or None (one index range scan on (state, created_at))."""
    now = now or timezone.now()
    late = RoutingOrder.objects.filter(
        state=OrderState.PENDING, created_at__lt=now - timedelta(seconds=settings.ROUTING_STALL_SECONDS)
    )
    oldest = late.order_by("created_at", "id").values_list("created_at", "telegram__receipt_no").first()
    if oldest is None:
        return None
    return Stall(late.count(), late.filter(urgent=True).count(), oldest[1] or "", int((now - oldest[0]).total_seconds()))


def check(now: datetime | None = None) -> Stall | None:
    """Raise the routing alarm while orders are stalled, clear it once none is."""
    found = stalled(now)
    if found is None:
        alarms.clear(Kind.ROUTING, ALARM_KEY)
        return None
    alarms.raise_alarm(Kind.ROUTING, ALARM_KEY, found.message,
                       event_type=lambda **kw: RoutingStalled(**kw, pending=found.pending, urgent=found.urgent))
    return found
