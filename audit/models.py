from __future__ import annotations

from django.conf import settings
from django.db import models


class ChainHead(models.Model):
    """One row: the last seq and hash. Appends lock it, so the chain never forks under concurrent writers."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.BigIntegerField("最新序号", default=0)
    hash = models.CharField("最新哈希", max_length=64, default="0" * 64)

    class Meta:
        verbose_name = "链头"
        verbose_name_plural = "链头"
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="audit_chainhead_single_row")]


class AuditEntry(models.Model):
    """One link of the hash chain. Never updated or deleted (a PostgreSQL trigger refuses it)."""

    seq = models.BigIntegerField("序号", primary_key=True)
    at = models.DateTimeField("时间", db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="操作人", null=True, blank=True,
        on_delete=models.DO_NOTHING, db_constraint=False, related_name="+",
    )
    actor_name = models.CharField("操作人名称", max_length=150, blank=True)
    action = models.CharField("动作", max_length=64, db_index=True)
    object_type = models.CharField("对象类型", max_length=64, blank=True)
    object_id = models.CharField("对象", max_length=64, blank=True)
    data = models.TextField("数据（规范 JSON）")
    prev_hash = models.CharField("前一哈希", max_length=64)
    hash = models.CharField("哈希", max_length=64, unique=True)
    # HMAC of `hash` under a key the database never holds (audit/mac.py): not part of the chain's hash.
    mac = models.CharField("校验码", max_length=64, default="", db_default="")

    class Meta:
        verbose_name = "审计记录"
        verbose_name_plural = "审计记录"
        ordering = ["seq"]
        indexes = [models.Index(fields=["object_type", "object_id", "seq"], name="audit_object_idx")]
        constraints = [models.CheckConstraint(condition=models.Q(seq__gt=0), name="audit_seq_positive")]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action}"


class Checkpoint(models.Model):
    """(seq, hash, time) signed with the Ed25519 key from AUDIT_SIGNING_KEY."""

    seq = models.BigIntegerField("序号", unique=True)
    hash = models.CharField("哈希", max_length=64)
    at = models.DateTimeField("签名时间")
    signature = models.CharField("签名", max_length=128)
    public_key = models.CharField("公钥", max_length=64)
    # The signed tree head (audit/merkle.py, RFC 9162): the Merkle root over entries 1..seq, signed with the chain
    # hash and the time; the frontier lets the next checkpoint extend the tree without re-reading the chain.
    # Empty on checkpoints signed before the tree existed (migration 0005_tree_head_archive).
    tree_root = models.CharField("默克尔树根", max_length=64, default="", db_default="", blank=True)
    tree_signature = models.CharField("树头签名", max_length=128, default="", db_default="", blank=True)
    tree_frontier = models.TextField("树前沿", default="", db_default="", blank=True)

    class Meta:
        verbose_name = "签名检查点"
        verbose_name_plural = "签名检查点"
        ordering = ["seq"]


class VerificationRun(models.Model):
    """One "verify now" from the audit page: queued, run by a Celery worker, result kept for the page."""

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="发起人", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField("发起时间", auto_now_add=True)
    started_at = models.DateTimeField("开始时间", null=True, blank=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)
    ok = models.BooleanField("通过", null=True, blank=True)
    count = models.BigIntegerField("校验条数", default=0)
    checkpoints = models.BigIntegerField("校验签名数", default=0)
    first_bad_seq = models.BigIntegerField("首个异常序号", null=True, blank=True)
    message = models.TextField("结果说明", blank=True)

    class Meta:
        verbose_name = "校验记录"
        verbose_name_plural = "校验记录"
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ok__isnull=True) | models.Q(finished_at__isnull=False), name="audit_run_result_when_finished"
            ),
        ]

    @property
    def state_label(self) -> str:
        if self.ok is None:
            return "校验中" if self.started_at else "排队中"
        return "通过" if self.ok else "发现异常"
