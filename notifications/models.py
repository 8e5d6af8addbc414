"""A person's alerts (提醒): in-app rows, read/unread; other channels send copies of the same message."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class AlertKind(models.TextChoices):
    URGENT = "urgent", "急件到达"
    READ_REQUEST = "read_request", "请您阅示"
    DELIVERED = "delivered", "新来电待签收"
    UNKNOWN_UNITS = "unknown_units", "批办单位待处理"
    REMINDER = "reminder", "催办"
    CIRCULATION = "circulation", "传阅待阅"
    HANDBACK = "handback", "单位退回"
    NO_STAFF = "no_staff", "待代签收"
    CANCELLED = "cancelled", "分送撤销"
    CIRCULATION_DONE = "circulation_done", "传阅完毕"
    SYSTEM = "system", "系统告警"
    OCR = "ocr", "扫描件识别"


class Alert(models.Model):
    """An in-app notification; unread ones are counted in the top bar and cleared by opening the telegram."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="接收人", on_delete=models.CASCADE, related_name="+")
    telegram = models.ForeignKey("telegrams.Telegram", verbose_name="来电", null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="alerts")
    kind = models.CharField("类型", max_length=16, choices=AlertKind.choices)
    text = models.CharField("内容", max_length=300)
    link = models.CharField("链接", max_length=200, blank=True)  # for alerts about something other than a telegram
    created_at = models.DateTimeField("时间", default=timezone.now, editable=False)
    read_at = models.DateTimeField("已读时间", null=True, blank=True)

    class Meta:
        verbose_name = "提醒"
        verbose_name_plural = "提醒"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"], name="alert_unread_idx")]

    def __str__(self) -> str:
        return self.text
