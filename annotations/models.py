"""Leaders' 批示 (append-only, versioned, encrypted) and 阅示 requests between leaders."""
from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from vault import crypto


class AppendOnlyError(Exception):
    """A 批示 is never edited or deleted: a correction is a new version."""


class Annotation(models.Model):
    """One version of a leader's 批示. A correction is a new row that `supersedes` the previous version; the
    old row stays (shown struck through) and only its `superseded` flag ever changes."""

    uid = models.UUIDField("标识", default=uuid.uuid4, unique=True, editable=False)
    telegram = models.ForeignKey(
        "telegrams.Telegram", verbose_name="来电", on_delete=models.PROTECT, related_name="annotations"
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="批示人", on_delete=models.PROTECT, related_name="+")
    # The signature as written at the time, so a later rename of the person does not rewrite history.
    author_name = models.CharField("署名", max_length=100)
    text_enc = models.TextField("批示内容（密文）", editable=False)
    created_at = models.DateTimeField("批示时间", default=timezone.now, editable=False, db_index=True)
    version = models.PositiveSmallIntegerField("版本", default=1)
    reason = models.CharField("更正原因", max_length=200, blank=True)
    supersedes = models.ForeignKey(
        "self", verbose_name="更正的批示", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    superseded = models.BooleanField("已被更正", default=False)
    # "同意拟办": the leader approved the office's proposal as it stood; its units were routed with this 批示.
    approves_proposal = models.BooleanField("同意拟办", default=False)
    # The confirmation form's one-time token: the same submission sent twice (a double click, a retry) saves once.
    submission_key = models.CharField("提交标识", max_length=64, unique=True, null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "领导批示"
        verbose_name_plural = "领导批示"
        ordering = ["created_at", "id"]
        constraints = [
            # A version has at most one successor: the correction chain never forks.
            models.UniqueConstraint(fields=["supersedes"], name="annotation_one_successor"),
            models.CheckConstraint(
                condition=(Q(version=1) & Q(supersedes__isnull=True))
                | (Q(version__gt=1) & Q(supersedes__isnull=False) & ~Q(reason="")),
                name="annotation_version_chain",
            ),
        ]
        indexes = [models.Index(fields=["telegram", "created_at"], name="annotation_telegram_idx")]

    def __str__(self) -> str:
        return f"{self.author_name} 第{self.version}版"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            fields = set(kwargs.get("update_fields") or ())
            # Marking superseded, and re-sealing under a new key (rotate_keys), are the only updates.
            if not fields or not fields <= {"superseded", "text_enc"}:
                raise AppendOnlyError("批示不能修改，请以更正（新版本）的方式提交。")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("批示不能删除。")

    @property
    def aad(self) -> bytes:
        return crypto.aad_for("annotation", self.uid, "text")

    @property
    def text(self) -> str:
        return crypto.open_text(self.text_enc, self.aad)

    def set_text(self, text: str) -> None:
        self.text_enc = crypto.seal_text(text, self.aad)


class ReadRequest(models.Model):
    """A 批示 asked another leader to 阅示: the telegram waits in that leader's inbox until he writes a 批示."""

    telegram = models.ForeignKey(
        "telegrams.Telegram", verbose_name="来电", on_delete=models.PROTECT, related_name="read_requests"
    )
    leader = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="请阅示领导", on_delete=models.PROTECT, related_name="+")
    requested_in = models.ForeignKey(
        Annotation, verbose_name="提出请求的批示", on_delete=models.PROTECT, related_name="read_requests"
    )
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="提出人", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("提出时间", default=timezone.now, editable=False)
    done_at = models.DateTimeField("阅示时间", null=True, blank=True)
    done_in = models.ForeignKey(
        Annotation, verbose_name="阅示批示", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = "阅示请求"
        verbose_name_plural = "阅示请求"
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["telegram", "leader"], condition=Q(done_at__isnull=True), name="readrequest_one_open"
            ),
            models.CheckConstraint(
                condition=Q(done_at__isnull=True, done_in__isnull=True) | Q(done_at__isnull=False, done_in__isnull=False),
                name="readrequest_done_has_annotation",
            ),
        ]
        indexes = [models.Index(fields=["leader", "done_at"], name="readrequest_inbox_idx")]


class Circulation(models.Model):
    """传阅 among leaders: the telegram goes to an ordered list of leaders, one at a time; each reads it, may add a
    批示, and passes it on. One open circulation per telegram."""

    telegram = models.ForeignKey(
        "telegrams.Telegram", verbose_name="来电", on_delete=models.PROTECT, related_name="circulations"
    )
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="发起人", on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField("发起时间", default=timezone.now, editable=False)
    finished_at = models.DateTimeField("传阅完毕", null=True, blank=True)
    submission_key = models.CharField("提交标识", max_length=64, unique=True, null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "领导传阅"
        verbose_name_plural = "领导传阅"
        ordering = ["started_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["telegram"], condition=Q(finished_at__isnull=True),
                                    name="circulation_one_open"),
        ]

    @property
    def holder(self) -> CirculationStep | None:
        """The step that holds the telegram now (None when finished)."""
        return next((s for s in self.steps.all() if s.received_at and not s.passed_at), None)


class CirculationStep(models.Model):
    """One leader's turn in a 传阅: reached (received_at), opened (opened_at: 已读), read and passed on (passed_at: 已阅)."""

    circulation = models.ForeignKey(Circulation, verbose_name="传阅", on_delete=models.PROTECT, related_name="steps")
    position = models.PositiveSmallIntegerField("顺序")
    leader = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="领导", on_delete=models.PROTECT, related_name="+")
    leader_name = models.CharField("领导姓名", max_length=100)
    received_at = models.DateTimeField("送达时间", null=True, blank=True)
    opened_at = models.DateTimeField("打开时间", null=True, blank=True)
    passed_at = models.DateTimeField("阅毕时间", null=True, blank=True)

    class Meta:
        verbose_name = "传阅环节"
        verbose_name_plural = "传阅环节"
        ordering = ["circulation", "position"]
        constraints = [
            models.UniqueConstraint(fields=["circulation", "position"], name="circulation_step_position"),
            models.UniqueConstraint(fields=["circulation", "leader"], name="circulation_step_leader_once"),
            models.CheckConstraint(condition=Q(passed_at__isnull=True) | Q(received_at__isnull=False),
                                   name="circulation_step_passed_after_received"),
        ]
        indexes = [models.Index(fields=["leader", "passed_at"], name="circulation_step_inbox_idx")]

    @property
    def receipt(self) -> str:
        """未送达 / 未读 / 已读 / 已阅, as the 传阅 record shows it."""
        if self.passed_at:
            return "已阅"
        if self.opened_at:
            return "已读"
        return "未读" if self.received_at else "未送达"

    @property
    def receipt_code(self) -> str:
        return {"已阅": "read", "已读": "opened", "未读": "unread"}.get(self.receipt, "waiting")
