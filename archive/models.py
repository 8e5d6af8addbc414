"""归档: the 档号 a finished telegram is filed under (DA/T 22-2015 style: 全宗号-年度-保管期限代码-件号).

The telegram's own state says 已归档 (telegrams.TelegramState.ARCHIVED, assigned by archive.actions); this app
keeps what the archive needs besides: the number, the retention period, who archived it when, from which state,
and — for a 撤销归档 — who revoked it and why. A revoked record stays (its 件号 is never given out again)."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class Retention(models.TextChoices):
    """保管期限 and its code in the 档号 (DA/T 22: Y 永久, D30 定期30年, D10 定期10年)."""

    PERMANENT = "Y", "永久"
    YEARS_30 = "D30", "定期30年"
    YEARS_10 = "D10", "定期10年"


class ArchiveCounter(models.Model):
    """The last 件号 given per 全宗号 + 年度 + 保管期限; its row is locked while a number is taken."""

    fonds = models.CharField("全宗号", max_length=16)
    year = models.PositiveSmallIntegerField("年度")
    retention = models.CharField("保管期限", max_length=3, choices=Retention.choices)
    last = models.PositiveIntegerField("已用至", default=0)

    class Meta:
        verbose_name = "件号计数器"
        verbose_name_plural = "件号计数器"
        constraints = [models.UniqueConstraint(fields=["fonds", "year", "retention"], name="archive_counter_unique")]


class Archival(models.Model):
    telegram = models.ForeignKey("telegrams.Telegram", verbose_name="来电", on_delete=models.PROTECT,
                                 related_name="archivals")
    fonds = models.CharField("全宗号", max_length=16)
    year = models.PositiveSmallIntegerField("年度")
    retention = models.CharField("保管期限", max_length=3, choices=Retention.choices)
    item_no = models.PositiveIntegerField("件号")
    archive_no = models.CharField("档号", max_length=40, unique=True)
    previous_state = models.CharField("归档前状态", max_length=16)
    archived_at = models.DateTimeField("归档时间")
    archived_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="归档人", on_delete=models.PROTECT,
                                    related_name="+")
    revoked_at = models.DateTimeField("撤销时间", null=True, blank=True)
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="撤销人", null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    revoke_reason = models.CharField("撤销原因", max_length=300, blank=True)

    class Meta:
        verbose_name = "归档记录"
        verbose_name_plural = "归档记录"
        ordering = ["-archived_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["fonds", "year", "retention", "item_no"], name="archive_unique_item_no"),
            # One 档号 in force per telegram; revoked ones stay as history.
            models.UniqueConstraint(fields=["telegram"], condition=Q(revoked_at__isnull=True),
                                    name="archive_one_active_per_telegram"),
            models.CheckConstraint(condition=Q(item_no__gt=0), name="archive_item_no_positive"),
            models.CheckConstraint(condition=Q(retention__in=["Y", "D30", "D10"]), name="archive_retention_valid"),
            models.CheckConstraint(condition=Q(revoked_at__isnull=True) | ~Q(revoke_reason=""),
                                   name="archive_revoked_has_reason"),
        ]

    def __str__(self) -> str:
        return self.archive_no

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


def archive_no(fonds: str, year: int, retention: str, item_no: int) -> str:
    """档号: 全宗号-年度-保管期限代码-件号, the 件号 in four digits (DA/T 22)."""
    return f"{fonds}-{year}-{retention}-{item_no:04d}"
