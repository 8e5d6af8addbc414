from __future__ import annotations

from django.db import models
from django.db.models import Q


class Kind(models.TextChoices):
    AUDIT = "audit", "审计链"
    ROUTING = "routing", "分送"


class Alarm(models.Model):
    """A condition an administrator must look at (the audit chain no longer matches its witness, routing orders
    stuck). Raised once per (kind, key) until cleared; seen again it only counts and updates its message."""

    kind = models.CharField("类别", max_length=16, choices=Kind.choices)
    key = models.CharField("对象", max_length=64, blank=True)
    message = models.TextField("说明")
    raised_at = models.DateTimeField("首次发现", auto_now_add=True)
    last_seen_at = models.DateTimeField("最近发现", auto_now=True)
    seen = models.PositiveIntegerField("发现次数", default=1)
    cleared_at = models.DateTimeField("解除时间", null=True, blank=True)

    class Meta:
        verbose_name = "告警"
        verbose_name_plural = "告警"
        ordering = ["-raised_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "key"], condition=Q(cleared_at__isnull=True), name="alarms_one_open_per_key"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}：{self.message}"
