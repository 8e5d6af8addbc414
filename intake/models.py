"""Scans the desk holds before they belong to a telegram: a scan uploaded for OCR on the registration form, a
scan dropped into the intake folder, or scans chosen on the form whose registration failed validation (kept so the
clerk need not choose them again). Each waits (待登记) until a clerk registers the telegram it shows — it then
becomes that telegram's Scan, in the registration's transaction — or sets it aside with a reason."""
from __future__ import annotations

import uuid
from pathlib import Path

from django.conf import settings
from django.db import models
from django.db.models import Q

from core.lifecycle import Lifecycle
from vault import crypto


class IntakeState(models.TextChoices):
    WAITING = "waiting", "待登记"
    REGISTERED = "registered", "已登记"
    SET_ASIDE = "set_aside", "已搁置"


class IntakeSource(models.TextChoices):
    UPLOAD = "upload", "登记表识别"  # uploaded on the form to be read by OCR
    FORM = "form", "登记表暂存"  # chosen on the form; its registration failed validation
    FOLDER = "folder", "收件文件夹"


INTAKE_LIFECYCLE = Lifecycle(
    "待登记扫描件",
    IntakeState,
    {IntakeState.WAITING: {IntakeState.REGISTERED, IntakeState.SET_ASIDE}},
    initial={IntakeState.WAITING},
)


class IntakeScan(models.Model):
    """The file is the OCR job's sealed scan when it has a job; otherwise it is sealed here, under SCAN_ROOT/intake/
    (AAD bound to this row's uid), like a telegram's scans."""

    uid = models.UUIDField("标识", default=uuid.uuid4, unique=True, editable=False)
    source = models.CharField("来源", max_length=10, choices=IntakeSource.choices)
    state = models.CharField("状态", max_length=10, choices=IntakeState.choices, default=IntakeState.WAITING)
    ocr_job = models.OneToOneField("ocr.OcrJob", verbose_name="识别任务", null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="intake")
    filename = models.CharField("文件名", max_length=200)
    content_type = models.CharField("类型", max_length=40)
    size = models.PositiveIntegerField("大小")
    sha256 = models.CharField("SHA-256", max_length=64)
    key_id = models.CharField("密钥", max_length=32, blank=True)  # empty: the file is the OCR job's
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="接收人", on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField("接收时间", auto_now_add=True)
    telegram = models.ForeignKey("telegrams.Telegram", verbose_name="登记为", null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="intake_scans")
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="处理人", null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+")
    closed_at = models.DateTimeField("处理时间", null=True, blank=True)
    reason = models.CharField("搁置原因", max_length=200, blank=True)

    class Meta:
        verbose_name = "待登记扫描件"
        verbose_name_plural = "待登记扫描件"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["state", "-created_at"], name="intakescan_state_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(state__in=IntakeState.values), name="intakescan_state_known"),
            models.CheckConstraint(condition=Q(source__in=IntakeSource.values), name="intakescan_source_known"),
            # 已登记 ⇔ it names the telegram it became a scan of.
            models.CheckConstraint(condition=Q(state=IntakeState.REGISTERED, telegram__isnull=False)
                                   | (~Q(state=IntakeState.REGISTERED) & Q(telegram__isnull=True)),
                                   name="intakescan_registered_has_telegram"),
            models.CheckConstraint(condition=~Q(state=IntakeState.SET_ASIDE) | ~Q(reason=""),
                                   name="intakescan_set_aside_has_reason"),
            models.CheckConstraint(condition=Q(state=IntakeState.WAITING) | Q(closed_at__isnull=False),
                                   name="intakescan_closed_has_time"),
            # Its own file or the OCR job's, never neither.
            models.CheckConstraint(condition=Q(ocr_job__isnull=False) | ~Q(key_id=""), name="intakescan_has_file"),
            # A file dropped into the folder twice is taken once.
            models.UniqueConstraint(fields=["sha256"], condition=Q(source="folder"), name="intakescan_folder_once"),
        ]

    def __str__(self) -> str:
        return f"{self.filename}（{self.get_state_display()}）"

    @property
    def own_path(self) -> Path:
        return settings.SCAN_ROOT / "intake" / f"{self.uid}.bin"

    @property
    def aad(self) -> bytes:
        return crypto.aad_for("intakescan", self.uid, "scan")

    def read(self) -> bytes:
        if self.ocr_job_id:
            return self.ocr_job.read_scan()
        return crypto.open_sealed(self.own_path.read_bytes(), self.aad)

    @property
    def is_pdf(self) -> bool:
        return self.content_type == "application/pdf"

    @property
    def pages(self) -> int:
        """Pages known so far (a PDF's count once OCR opened it; an image is one page)."""
        if not self.is_pdf:
            return 1
        return self.ocr_job.pages if self.ocr_job_id and self.ocr_job.pages else 0
