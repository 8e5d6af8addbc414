from __future__ import annotations

from django.conf import settings
from django.db import models

# The second factor's devices (sealed key, hashed recovery codes) live in their own module.
from .devices import Authenticator, RecoveryCode, RecoveryCodeSet  # noqa: F401


class Unit(models.Model):
    """An organisation unit (机构) that telegrams come from or are routed to."""

    name = models.CharField("名称", max_length=100, unique=True)
    short_name = models.CharField("简称", max_length=50, blank=True)
    aliases = models.JSONField("别名", default=list, blank=True, help_text="其他叫法，如“区总工会”")
    parent = models.ForeignKey(
        "self", verbose_name="上级单位", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "单位"
        verbose_name_plural = "单位"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def all_names(self) -> list[str]:
        return [n for n in [self.name, self.short_name, *self.aliases] if n]


class Person(models.Model):
    """A user's place in the directory: full name and unit (unit staff see only their unit's telegrams)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name="用户", on_delete=models.CASCADE, related_name="person"
    )
    full_name = models.CharField("姓名", max_length=50)
    unit = models.ForeignKey(
        Unit, verbose_name="所在单位", null=True, blank=True, on_delete=models.PROTECT, related_name="people"
    )
    title = models.CharField("职务", max_length=50, blank=True)

    class Meta:
        verbose_name = "人员"
        verbose_name_plural = "人员"
        ordering = ["unit__name", "full_name"]

    def __str__(self) -> str:
        return self.full_name


class UnitsVersion(models.Model):
    """One row whose token changes with every write to the unit table (a database trigger, migration 0003):
    readers keep the directory in memory and compare this token instead of loading every unit (snapshot.py)."""

    token = models.CharField("版本标识", max_length=64)

    class Meta:
        verbose_name = "机构目录版本"
        verbose_name_plural = "机构目录版本"
