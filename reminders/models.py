"""催办记录: every reminder sent about a delivery, automatic (a step of its deadline's cadence) or the clerk's own.

A row is the claim of its step: (delivery, step_key) is unique, so however many reminder passes run at once (two
beat processes, a command beside beat) a step is inserted once, and only the pass that inserted it announces it.
`sent_at` is set when the alert went out (notifications, in the same transaction as the in-app alerts): a claim a
crashed worker left unsent is taken again by a later pass with a conditional UPDATE of `claimed_at`."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class ReminderKind(models.TextChoices):
    BEFORE = "before", "到期前提醒"
    DUE = "due", "到期当日提醒"
    OVERDUE = "overdue", "逾期催办"
    ESCALATION = "escalation", "逾期上报"
    MANUAL = "manual", "人工催办"


class ReminderRecord(models.Model):
    delivery = models.ForeignKey("routing.Delivery", verbose_name="分送", on_delete=models.PROTECT, related_name="reminders")
    telegram = models.ForeignKey("telegrams.Telegram", verbose_name="来电", on_delete=models.PROTECT, related_name="reminders")
    step_key = models.CharField("催办步骤", max_length=64)  # "2026-10-09:overdue-2", "manual:<token>"
    kind = models.CharField("类型", max_length=12, choices=ReminderKind.choices)
    deadline = models.DateField("办结期限", null=True, blank=True)  # the deadline the reminder was about
    overdue_days = models.PositiveIntegerField("逾期天数", default=0)
    due_at = models.DateTimeField("应催时间")  # when the step fell due (a manual 催办: when it was made)
    claimed_at = models.DateTimeField("领取时间")
    sent_at = models.DateTimeField("发出时间", null=True, blank=True)
    recipients = models.PositiveIntegerField("通知人数", default=0)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="催办人", null=True, blank=True,
                           on_delete=models.PROTECT, related_name="+")
    note = models.CharField("催办内容", max_length=300, blank=True)

    class Meta:
        verbose_name = "催办记录"
        verbose_name_plural = "催办记录"
        ordering = ["due_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["delivery", "step_key"], name="reminder_once_per_step"),
            models.CheckConstraint(condition=Q(kind__in=ReminderKind.values), name="reminder_kind_known"),
            models.CheckConstraint(condition=~Q(kind="manual") | Q(by__isnull=False), name="reminder_manual_has_author"),
        ]
        indexes = [
            models.Index(fields=["telegram", "due_at"], name="reminder_telegram_idx"),
            # Claims a crashed worker left unsent (small: normally empty).
            models.Index(fields=["claimed_at"], condition=Q(sent_at__isnull=True), name="reminder_unsent_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.delivery_id}:{self.step_key}"

    @property
    def is_manual(self) -> bool:
        return self.kind == ReminderKind.MANUAL
