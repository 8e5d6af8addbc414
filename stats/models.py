"""Summary tables of the statistics page: derived from the register and the deliveries by `stats.summary.refresh`
(beat), never edited by hand and never a source of truth. Everything is counted by the month of receipt (收报时间)
of its telegram: a period's figures describe the telegrams received in it and what became of them."""
from __future__ import annotations

from django.db import models

ALL = ""  # precedence or sender "" = every one
ALL_UNITS = 0  # unit_id 0 = every unit


class DailyReceived(models.Model):
    """Telegrams received per day (local date), sender, precedence and kind; voided ones left out."""

    day = models.DateField("收报日期")
    sender = models.CharField("来电单位", max_length=100)
    precedence = models.CharField("等级", max_length=4)
    kind = models.CharField("类别", max_length=8)  # handle 办件 / read 阅件
    telegrams = models.PositiveIntegerField("收文数")
    returned = models.PositiveIntegerField("退文数", default=0)

    class Meta:
        verbose_name = "每日收文"
        verbose_name_plural = "每日收文"
        constraints = [
            models.UniqueConstraint(fields=["day", "sender", "precedence", "kind"], name="stats_received_one_row"),
        ]


class DailyDelivered(models.Model):
    """Deliveries per unit and day of receipt of their telegram: a unit's own 收文 (the page filtered by unit)."""

    day = models.DateField("收报日期")
    unit_id = models.PositiveIntegerField("单位")
    sender = models.CharField("来电单位", max_length=100)
    precedence = models.CharField("等级", max_length=4)
    kind = models.CharField("类别", max_length=8)
    deliveries = models.PositiveIntegerField("分送数")
    returned = models.PositiveIntegerField("退文数", default=0)

    class Meta:
        verbose_name = "每日分送"
        verbose_name_plural = "每日分送"
        constraints = [
            models.UniqueConstraint(fields=["unit_id", "day", "sender", "precedence", "kind"],
                                    name="stats_delivered_one_row"),
        ]


class UnitPeriod(models.Model):
    """A unit's figures (unit 0: all units) for the telegrams received in a month, quarter or year, for each
    precedence and sender and for all of them (""). Times in seconds from delivery; percentiles interpolated
    (PostgreSQL percentile_cont, Excel PERCENTILE.INC)."""

    period = models.CharField("统计期", max_length=8)  # "2026", "2026-Q3", "2026-11"
    precedence = models.CharField("等级", max_length=4, blank=True)
    sender = models.CharField("来电单位", max_length=100, blank=True)
    unit_id = models.PositiveIntegerField("单位")
    deliveries = models.PositiveIntegerField("分送数")
    signed = models.PositiveIntegerField("已签收")
    done = models.PositiveIntegerField("已办结")
    due_done = models.PositiveIntegerField("有期限且已办结")
    on_time = models.PositiveIntegerField("按期办结")
    returned = models.PositiveIntegerField("退回", default=0)
    transferred = models.PositiveIntegerField("转办", default=0)
    sign_p50 = models.FloatField("签收用时中位数（秒）", null=True)
    sign_p90 = models.FloatField("签收用时90%分位（秒）", null=True)
    done_p50 = models.FloatField("办结用时中位数（秒）", null=True)
    done_p90 = models.FloatField("办结用时90%分位（秒）", null=True)
    # Deliveries still open (待签收, 办理中) by deadline, {"2026-05-02": 3, …}: the page counts those before today,
    # so a delivery falls overdue at midnight without waiting for a refresh.
    open_deadlines = models.JSONField("未办结件的期限", default=dict)

    class Meta:
        verbose_name = "单位统计"
        verbose_name_plural = "单位统计"
        constraints = [
            models.UniqueConstraint(fields=["period", "precedence", "sender", "unit_id"], name="stats_unit_period_one_row"),
            models.CheckConstraint(condition=models.Q(on_time__lte=models.F("due_done")), name="stats_on_time_within_due"),
        ]


class RefreshState(models.Model):
    """One row: when the summary was last brought up to date, and how far into the change logs it has read."""

    refreshed_at = models.DateTimeField("更新时间", null=True)
    rebuilt_at = models.DateTimeField("全量重算时间", null=True)
    seconds = models.FloatField("上次用时（秒）", null=True)
    # Ids seen at the last run and at the one before: a run reads the logs from the older mark, so a row whose
    # transaction committed just after a run's read is still seen by the next one.
    seen = models.JSONField("已读至", default=dict)
    floor = models.JSONField("重读起点", default=dict)

    class Meta:
        verbose_name = "统计更新状态"
        verbose_name_plural = "统计更新状态"
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="stats_refresh_state_single_row")]
