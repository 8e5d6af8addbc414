from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from core.lifecycle import Lifecycle
from telegrams.models import TelegramState
from vault import crypto


class Role(models.TextChoices):
    LEAD = "lead", "牵头"
    ASSIST = "assist", "配合"
    HANDLE = "handle", "办理"
    READ = "read", "阅知"


class DeliveryState(models.TextChoices):
    PENDING = "pending", "待送达"
    DELIVERED = "delivered", "待签收"
    SIGNED = "signed", "办理中"
    DONE = "done", "已办结"
    READ = "read", "已阅"
    RETURNED = "returned", "已退回"  # the unit sent it back (routed to it by mistake)
    TRANSFERRED = "transferred", "已转办"  # the unit passed it on to another unit, its leader agreeing
    CANCELLED = "cancelled", "已撤销"  # the telegram was returned to its sender (退文)


# A delivery in one of these states is no longer the unit's business: it neither holds the telegram open nor
# counts towards its being done.
CLOSED_OFF = ("returned", "transferred", "cancelled")
# Still open: waiting for the unit to sign or to finish.
OPEN = ("pending", "delivered", "signed")


class OrderState(models.TextChoices):
    PENDING = "pending", "待分送"
    DONE = "done", "已分送"
    CANCELLED = "cancelled", "已撤销"


_D, _O = DeliveryState, OrderState
# Which state may follow which (routing.actions checks every assignment against these tables).
DELIVERY_LIFECYCLE = Lifecycle("分送", DeliveryState, {
    _D.PENDING: {_D.DELIVERED, _D.CANCELLED},
    _D.DELIVERED: {_D.SIGNED, _D.READ, _D.RETURNED, _D.TRANSFERRED, _D.CANCELLED},  # 阅知: 已阅 when signed for
    _D.SIGNED: {_D.DONE, _D.RETURNED, _D.TRANSFERRED, _D.CANCELLED},
    _D.DONE: set(),
    _D.READ: set(),
    _D.RETURNED: set(),
    _D.TRANSFERRED: set(),
    _D.CANCELLED: set(),
}, initial={_D.PENDING, _D.DELIVERED})
ORDER_LIFECYCLE = Lifecycle("分送指令", OrderState, {
    _O.PENDING: {_O.DONE, _O.CANCELLED}, _O.DONE: set(), _O.CANCELLED: set(),
}, initial={_O.PENDING})


class Subject(models.TextChoices):
    """What a RoutingEvent's states belong to: each has its own enum, and several share values such as "done"."""

    TELEGRAM = "telegram", "来电"
    ORDER = "order", "分送指令"
    DELIVERY = "delivery", "分送"


class RoutingOrder(models.Model):
    """The outbox: written in the same transaction as the registration or 批示 that asks for routing.

    The routes were parsed and confirmed (every unit resolved) when the order was written; the Celery task
    turns them into deliveries. A sweeper re-sends orders still pending, so a lost message only delays.
    """

    telegram = models.ForeignKey("telegrams.Telegram", verbose_name="来电", on_delete=models.PROTECT, related_name="orders")
    class Source(models.TextChoices):
        INSTRUCTION = "instruction", "批办"
        ANNOTATION = "annotation", "批示"
        RESOLVED = "resolved", "待处理单位补充分送"
        REROUTE = "reroute", "退回后重新分送"
        TRANSFER = "transfer", "转办"
        CIRCULATE = "circulate", "阅件传阅"

    source = models.CharField("来源", max_length=16, choices=Source.choices)
    text = models.TextField("指示原文")
    routes = models.JSONField("分送单位", default=list)  # [{"unit_id": 1, "unit": "…", "role": "handle"}]
    deadline = models.DateField("办结期限", null=True, blank=True)
    urgent = models.BooleanField("特提", default=False)
    state = models.CharField("状态", max_length=12, choices=OrderState.choices, default=OrderState.PENDING)
    attempts = models.PositiveIntegerField("分送次数", default=0)
    last_sent_at = models.DateTimeField("最近发送", null=True, blank=True)
    last_error = models.TextField("最近错误", blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="发起人", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    completed_at = models.DateTimeField("完成时间", null=True, blank=True)

    class Meta:
        verbose_name = "分送指令"
        verbose_name_plural = "分送指令"
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["state", "created_at"], name="routing_order_pending_idx")]


class Delivery(models.Model):
    telegram = models.ForeignKey("telegrams.Telegram", verbose_name="来电", on_delete=models.PROTECT, related_name="deliveries")
    unit = models.ForeignKey("directory.Unit", verbose_name="单位", on_delete=models.PROTECT, related_name="deliveries")
    order = models.ForeignKey(RoutingOrder, verbose_name="分送指令", on_delete=models.PROTECT, related_name="deliveries")
    role = models.CharField("角色", max_length=8, choices=Role.choices)
    state = models.CharField("状态", max_length=12, choices=DeliveryState.choices, default=DeliveryState.PENDING)
    deadline = models.DateField("办结期限", null=True, blank=True)
    precedence_rank = models.PositiveSmallIntegerField("等级顺序", default=3)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    delivered_at = models.DateTimeField("送达时间", null=True, blank=True)
    signed_at = models.DateTimeField("签收时间", null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="签收人", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    done_at = models.DateTimeField("办结时间", null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="办结人", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    result_enc = models.TextField("办理结果（密文）", blank=True, editable=False)
    # Read receipt: the first time someone of the unit opened the telegram (未读 → 已读).
    opened_at = models.DateTimeField("首次阅读时间", null=True, blank=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="首次阅读人", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # 代签收: the clerk signed for a unit that has no account yet (signed_by is the clerk).
    proxy_signed = models.BooleanField("代签收", default=False, db_default=False)  # db_default: rows loaded by plain SQL

    class Meta:
        verbose_name = "分送"
        verbose_name_plural = "分送"
        ordering = ["precedence_rank", "deadline", "id"]
        constraints = [
            models.UniqueConstraint(fields=["telegram", "unit"], name="delivery_one_per_unit"),
            models.CheckConstraint(
                condition=~Q(state="done") | Q(done_at__isnull=False), name="delivery_done_has_time"
            ),
            models.CheckConstraint(condition=Q(proxy_signed=False) | Q(signed_at__isnull=False),
                                   name="delivery_proxy_signed_is_signed"),
        ]
        indexes = [
            models.Index(fields=["unit", "state", "precedence_rank", "deadline"], name="delivery_inbox_idx"),
            # Open deliveries by deadline: what is overdue now (statistics, the overdue list, reminders). Partial,
            # so it stays as small as the open work, whatever the number of finished deliveries.
            models.Index(fields=["deadline"], condition=Q(state__in=["delivered", "signed"]), name="delivery_open_deadline_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.telegram_id}→{self.unit_id}"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN

    @property
    def receipt(self) -> str:
        """The read receipt as lists show it: 未读 / 已读 (someone of the unit opened it) / 已阅 (marked read)."""
        if self.state == DeliveryState.READ:
            return "已阅"
        return "已读" if self.opened_at else "未读"

    @property
    def receipt_code(self) -> str:
        return {"已阅": "read", "已读": "opened"}.get(self.receipt, "unread")

    @property
    def result(self) -> str:
        return crypto.open_text(self.result_enc, crypto.aad_for("delivery", self.pk, "result"))

    def set_result(self, text: str) -> None:
        self.result_enc = crypto.seal_text(text, crypto.aad_for("delivery", self.pk, "result")) if text else ""


class RoutingEvent(models.Model):
    """Every state change of an order or a delivery: who, when, from → to, note."""

    telegram = models.ForeignKey("telegrams.Telegram", verbose_name="来电", on_delete=models.PROTECT, related_name="routing_events")
    delivery = models.ForeignKey(
        Delivery, verbose_name="分送", null=True, blank=True, on_delete=models.PROTECT, related_name="events"
    )
    order = models.ForeignKey(
        RoutingOrder, verbose_name="分送指令", null=True, blank=True, on_delete=models.PROTECT, related_name="events"
    )
    at = models.DateTimeField("时间", auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="操作人", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    subject = models.CharField("对象", max_length=10, choices=Subject.choices, default=Subject.DELIVERY)
    from_state = models.CharField("原状态", max_length=12, blank=True)
    to_state = models.CharField("新状态", max_length=12)
    note = models.CharField("说明", max_length=300, blank=True)

    class Meta:
        verbose_name = "流转记录"
        verbose_name_plural = "流转记录"
        ordering = ["at", "id"]
        # The history's keyset order (core/keyset.py: newest first by at, id).
        indexes = [models.Index(fields=["-at", "-id"], name="routing_event_keyset_idx")]
        constraints = [
            models.CheckConstraint(condition=~Q(subject="delivery") | Q(delivery__isnull=False), name="event_delivery_has_delivery"),
            models.CheckConstraint(condition=~Q(subject="order") | Q(order__isnull=False), name="event_order_has_order"),
        ]

    def _label(self, state: str) -> str:
        if not state:
            return ""
        enum = {Subject.TELEGRAM: TelegramState, Subject.ORDER: OrderState}.get(self.subject, DeliveryState)
        try:
            return enum(state).label
        except ValueError:
            return state

    @property
    def from_label(self) -> str:
        return self._label(self.from_state)

    @property
    def to_label(self) -> str:
        return self._label(self.to_state)


class UnknownUnit(models.Model):
    """A unit a 批办 named that the directory does not know: the telegram is registered and routed to the units
    it knows; this name waits on the clerk's list (待处理) until the clerk routes it to a unit or sets it aside."""

    telegram = models.ForeignKey("telegrams.Telegram", verbose_name="来电", on_delete=models.PROTECT, related_name="unknown_units")
    name = models.CharField("批办中的单位名称", max_length=100)
    role = models.CharField("角色", max_length=8, choices=Role.choices, default=Role.HANDLE)
    suggestions = models.JSONField("相近单位", default=list, blank=True)
    deadline = models.DateField("办结期限", null=True, blank=True)
    created_at = models.DateTimeField("发现时间", auto_now_add=True)
    resolved_at = models.DateTimeField("处理时间", null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="处理人", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    unit = models.ForeignKey(
        "directory.Unit", verbose_name="分送给", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.CharField("处理说明", max_length=200, blank=True)

    class Meta:
        verbose_name = "待处理单位"
        verbose_name_plural = "待处理单位"
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["telegram", "name"], condition=Q(resolved_at__isnull=True),
                                    name="unknown_unit_one_open_per_name"),
            # Resolved means routed to a unit or set aside with a reason.
            models.CheckConstraint(condition=Q(resolved_at__isnull=True)
                                   | Q(unit__isnull=False) | ~Q(note=""), name="unknown_unit_resolution_says_how"),
        ]
        indexes = [models.Index(fields=["resolved_at", "created_at"], name="unknown_unit_open_idx")]

    def __str__(self) -> str:
        return self.name


class ResultFile(models.Model):
    """An attachment to a unit's 办理结果, sealed on disk like a scan (SCAN_ROOT/<uid>.bin). Shown to the clerk,
    leaders and the unit itself, never to other units."""

    uid = models.UUIDField("标识", default=uuid.uuid4, unique=True, editable=False)
    delivery = models.ForeignKey(Delivery, verbose_name="分送", on_delete=models.PROTECT, related_name="files")
    filename = models.CharField("文件名", max_length=200)
    content_type = models.CharField("类型", max_length=100)
    size = models.PositiveIntegerField("大小")
    sha256 = models.CharField("SHA-256", max_length=64)
    key_id = models.CharField("密钥", max_length=32)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="上传人", on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField("上传时间", auto_now_add=True)

    class Meta:
        verbose_name = "办理结果附件"
        verbose_name_plural = "办理结果附件"
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.filename

    @property
    def aad(self) -> bytes:
        return crypto.aad_for("result_file", self.uid, "content")

    @property
    def path(self):
        return settings.SCAN_ROOT / f"{self.uid}.bin"

    def read(self) -> bytes:
        return crypto.open_sealed(self.path.read_bytes(), self.aad)


class Handback(models.Model):
    """退回: a unit sends back a telegram routed to it by mistake, saying why. It waits on the clerk's list until
    the clerk (or a leader) routes it to the right unit or decides it needs no other unit."""

    delivery = models.OneToOneField(Delivery, verbose_name="分送", on_delete=models.PROTECT, related_name="handback")
    reason = models.CharField("退回原因", max_length=300)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="退回人", on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField("退回时间", auto_now_add=True)
    resolved_at = models.DateTimeField("处理时间", null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="处理人", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    rerouted_to = models.ForeignKey(
        "directory.Unit", verbose_name="改送单位", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolution = models.CharField("处理说明", max_length=200, blank=True)

    class Meta:
        verbose_name = "单位退回"
        verbose_name_plural = "单位退回"
        ordering = ["at", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="handback_has_reason"),
            models.CheckConstraint(condition=Q(resolved_at__isnull=True) | Q(rerouted_to__isnull=False) | ~Q(resolution=""),
                                   name="handback_resolution_says_how"),
        ]
        indexes = [models.Index(fields=["resolved_at", "at"], name="handback_open_idx")]


class Transfer(models.Model):
    """转办: a unit passes its delivery on to another unit, with a reason and the name of its leader who agreed.
    The other unit gets a delivery of the same role (through an order, like any routing)."""

    delivery = models.OneToOneField(Delivery, verbose_name="分送", on_delete=models.PROTECT, related_name="transfer")
    to_unit = models.ForeignKey("directory.Unit", verbose_name="转办给", on_delete=models.PROTECT, related_name="+")
    reason = models.CharField("转办原因", max_length=300)
    approved_by = models.CharField("同意转办的单位领导", max_length=50)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="经办人", on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField("转办时间", auto_now_add=True)
    order = models.ForeignKey(RoutingOrder, verbose_name="分送指令", on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = "转办"
        verbose_name_plural = "转办"
        ordering = ["at", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(reason="") & ~Q(approved_by=""), name="transfer_has_reason_and_approval"),
        ]
