"""An OCR job: one uploaded scan read in the background, its progress, and (sealed) what was read."""
from __future__ import annotations

import uuid
from pathlib import Path

from django.conf import settings
from django.db import models

from core.lifecycle import Lifecycle
from vault import crypto


class OcrState(models.TextChoices):
    QUEUED = "queued", "排队中"
    READING = "reading", "识别中"
    DONE = "done", "已完成"
    FAILED = "failed", "识别失败"


LIFECYCLE = Lifecycle(
    "识别任务",
    OcrState,
    {
        OcrState.QUEUED: {OcrState.READING, OcrState.FAILED},
        # A worker that died mid-scan gets its message back (acks_late) and starts the scan again.
        OcrState.READING: {OcrState.READING, OcrState.DONE, OcrState.FAILED},
    },
    initial={OcrState.QUEUED},
)


class OcrJob(models.Model):
    """The scan (PDF/JPEG/PNG) is sealed on disk like a telegram's scans (`vault.crypto.seal`, AAD bound to the
    job's uid); so is the result (text and per-line confidence), which holds the telegram's text."""

    uid = models.UUIDField("标识", default=uuid.uuid4, unique=True, editable=False)
    state = models.CharField("状态", max_length=10, choices=OcrState.choices, default=OcrState.QUEUED)
    filename = models.CharField("文件名", max_length=200)
    content_type = models.CharField("类型", max_length=40)
    size = models.PositiveIntegerField("大小")
    sha256 = models.CharField("SHA-256", max_length=64)
    key_id = models.CharField("密钥", max_length=32)
    pages = models.PositiveSmallIntegerField("页数", default=0)
    page = models.PositiveSmallIntegerField("当前页", default=0)
    mean_confidence = models.FloatField("平均置信度", null=True, blank=True)
    error = models.CharField("失败原因", max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="上传人", on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("上传时间", auto_now_add=True)
    started_at = models.DateTimeField("开始时间", null=True, blank=True)
    finished_at = models.DateTimeField("结束时间", null=True, blank=True)

    class Meta:
        verbose_name = "识别任务"
        verbose_name_plural = "识别任务"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(state__in=OcrState.values), name="ocrjob_state_known"),
            models.CheckConstraint(condition=models.Q(page__lte=models.F("pages")), name="ocrjob_page_within_pages"),
            models.CheckConstraint(
                condition=~models.Q(state__in=[OcrState.DONE, OcrState.FAILED]) | models.Q(finished_at__isnull=False),
                name="ocrjob_finished_has_time",
            ),
            models.CheckConstraint(
                condition=~models.Q(state=OcrState.FAILED) | ~models.Q(error=""), name="ocrjob_failure_has_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.filename}（{self.get_state_display()}）"

    # Sealed files: SCAN_ROOT/ocr/<uid>.scan.bin and <uid>.result.bin
    @property
    def scan_path(self) -> Path:
        return settings.SCAN_ROOT / "ocr" / f"{self.uid}.scan.bin"

    @property
    def result_path(self) -> Path:
        return settings.SCAN_ROOT / "ocr" / f"{self.uid}.result.bin"

    @property
    def scan_aad(self) -> bytes:
        return crypto.aad_for("ocrjob", self.uid, "scan")

    @property
    def result_aad(self) -> bytes:
        return crypto.aad_for("ocrjob", self.uid, "result")

    def read_scan(self) -> bytes:
        return crypto.open_sealed(self.scan_path.read_bytes(), self.scan_aad)

    @property
    def progress(self) -> str:
        """What the clerk sees while waiting: 排队中 / 正在识别第 2 页，共 3 页 / 已完成 / 识别失败：…"""
        if self.state == OcrState.READING and self.pages:
            return f"正在识别第 {self.page} 页，共 {self.pages} 页"
        if self.state == OcrState.FAILED:
            return f"识别失败：{self.error}"
        return self.get_state_display()
