from __future__ import annotations

import uuid

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import Q

from core.lifecycle import Lifecycle
from vault import crypto


class Precedence(models.TextChoices):
    TETI = "特提", "特提"
    TEJI = "特急", "特急"
    JIAJI = "加急", "加急"
    PINGJI = "平急", "平急"


PRECEDENCE_RANK = {Precedence.TETI: 0, Precedence.TEJI: 1, Precedence.JIAJI: 2, Precedence.PINGJI: 3}


class TelegramState(models.TextChoices):
    REGISTERED = "registered", "已登记"
    INSTRUCTED = "instructed", "已批办"
    IN_PROGRESS = "in_progress", "办理中"
    DONE = "done", "已办结"
    ARCHIVED = "archived", "已归档"
    VOID = "void", "已作废"
    RETURNED = "returned", "已退文"
    CLOSED = "closed", "已办毕"


class TelegramKind(models.TextChoices):
    """初审 marks each telegram: 阅件 is circulated and read, 办件 goes 拟办 → 批示 → units."""

    READ = "read", "阅件"
    HANDLE = "handle", "办件"


_S = TelegramState
# Which state may follow which; telegrams.actions checks every assignment against this table. A telegram follows
# its deliveries (已批办 → 办理中 → 已办结, back to 办理中 when a later 批示 routes to new units); 作废 ends
# everything; a 批办/批示 that only says 存档 files it. 初审 may return it (退文) while nobody has finished it;
# a recorded 答复 (or "no reply needed") closes it (已办毕) once nothing is left open; a later 批示 that routes
# reopens a closed one. An archived telegram is frozen (归档: no correction, 批示, routing, 签收 or 作废); an admin's
# 撤销归档 returns it to the state it was archived from.
TELEGRAM_LIFECYCLE = Lifecycle("来电", TelegramState, {
    _S.REGISTERED: {_S.INSTRUCTED, _S.ARCHIVED, _S.VOID, _S.RETURNED, _S.CLOSED},
    _S.INSTRUCTED: {_S.IN_PROGRESS, _S.DONE, _S.ARCHIVED, _S.VOID, _S.RETURNED},
    _S.IN_PROGRESS: {_S.INSTRUCTED, _S.DONE, _S.ARCHIVED, _S.VOID, _S.RETURNED},
    _S.DONE: {_S.IN_PROGRESS, _S.ARCHIVED, _S.VOID, _S.CLOSED},
    _S.ARCHIVED: {_S.DONE, _S.CLOSED, _S.RETURNED},
    _S.VOID: set(),
    _S.RETURNED: {_S.ARCHIVED, _S.VOID},
    _S.CLOSED: {_S.INSTRUCTED, _S.IN_PROGRESS, _S.ARCHIVED, _S.VOID},
}, initial={_S.REGISTERED, _S.INSTRUCTED, _S.ARCHIVED})


class ReceiptCounter(models.Model):
    """Per-year sequence for receipt numbers; its row is locked while a number is allocated (gapless)."""

    year = models.PositiveSmallIntegerField("年度", primary_key=True)
    last = models.PositiveIntegerField("已用至", default=0)

    class Meta:
        verbose_name = "收文号计数器"
        verbose_name_plural = "收文号计数器"


class Telegram(models.Model):
    uid = models.UUIDField("标识", default=uuid.uuid4, unique=True, editable=False)
    # Empty only inside the registration transaction: the row is written first and numbered last, so the year's
    # counter stays locked for as short a time as possible (numbering.number); a deferred trigger refuses to
    # commit a telegram without its number (migration 0004).
    receipt_no = models.CharField("收文号", max_length=64, unique=True, null=True)
    receipt_year = models.PositiveSmallIntegerField("收文年度")
    receipt_seq = models.PositiveIntegerField("年度序号", null=True)
    # No plain indexes on the sender's name and number: searches use the trigram indexes (migration 0002) and the
    # duplicate check the unique (sender, number) index; each extra index would cost every registration twice.
    sender_unit_name = models.CharField("来电单位", max_length=100)
    sender_unit = models.ForeignKey(
        "directory.Unit", verbose_name="来电单位（目录）", null=True, blank=True,
        on_delete=models.PROTECT, related_name="telegrams_sent",
    )
    precedence = models.CharField("等级", max_length=4, choices=Precedence.choices)
    precedence_rank = models.PositiveSmallIntegerField("等级顺序", editable=False)
    classification = models.CharField("类别", max_length=4, default="明电", editable=False)
    received_at = models.DateTimeField("收报时间")
    title = models.CharField("标题", max_length=300)
    sending_unit = models.CharField("发电单位", max_length=100, blank=True)
    issuer = models.CharField("签发人", max_length=50, blank=True)
    sender_doc_no = models.CharField("发电字号", max_length=64, blank=True)
    addressees = models.JSONField("主送", default=list, blank=True)
    cc = models.JSONField("抄送", default=list, blank=True)
    pages = models.PositiveSmallIntegerField("页数", null=True, blank=True)
    copies = models.PositiveSmallIntegerField("份数", null=True, blank=True)
    signatory = models.CharField("署名", max_length=100, blank=True)
    signed_on = models.DateField("成文日期", null=True, blank=True)
    body_enc = models.TextField("正文（密文）", blank=True, editable=False)
    instruction = models.TextField("批办", blank=True)
    proposal = models.TextField("拟办意见", blank=True)
    state = models.CharField("状态", max_length=16, choices=TelegramState.choices, default=TelegramState.REGISTERED)
    # 初审: who checked the telegram and when, and whether it is a 阅件 or a 办件 ("" until then).
    # A database default as well: rows written by plain SQL (bench/data.py's bulk load) are "not reviewed yet".
    kind = models.CharField("件别", max_length=8, choices=TelegramKind.choices, blank=True, default="", db_default="")
    reviewed_at = models.DateTimeField("初审时间", null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="初审人", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    void_reason = models.CharField("作废原因", max_length=200, blank=True)
    # The one-time token of the form (or the API's Idempotency-Key) that created the record: the same
    # submission sent again — a double click, a retry after a lost reply — lands on this record instead of a copy.
    submission_key = models.CharField("提交标识", max_length=64, unique=True, null=True, blank=True, editable=False)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="登记人", on_delete=models.PROTECT, related_name="+"
    )
    registered_at = models.DateTimeField("登记时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "来电"
        verbose_name_plural = "来电"
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["receipt_year", "receipt_seq"], name="telegram_unique_year_seq"),
            models.CheckConstraint(condition=Q(receipt_no__isnull=True, receipt_seq__isnull=True)
                                   | Q(receipt_no__isnull=False, receipt_seq__isnull=False), name="telegram_number_whole"),
            # A duplicate receipt: the same sender number from the same sender (voided records don't count).
            models.UniqueConstraint(
                fields=["sender_unit_name", "sender_doc_no"],
                condition=~Q(sender_doc_no="") & ~Q(state="void"),
                name="telegram_unique_sender_doc_no",
            ),
            models.CheckConstraint(condition=Q(precedence__in=["特提", "特急", "加急", "平急"]), name="telegram_precedence_valid"),
            models.CheckConstraint(condition=Q(classification="明电"), name="telegram_plain_only"),
            models.CheckConstraint(condition=~Q(state="void") | ~Q(void_reason=""), name="telegram_void_has_reason"),
            models.CheckConstraint(condition=Q(kind="") | Q(reviewed_at__isnull=False, reviewed_by__isnull=False),
                                   name="telegram_kind_is_reviewed"),
        ]
        indexes = [
            models.Index(fields=["-received_at", "-id"], name="telegram_register_idx"),
            # The register's filters with its keyset order (core/keyset.py: received_at, id), so a filtered page
            # seeks in the index and stops after 51 rows however deep it is.
            models.Index(fields=["precedence", "-received_at", "-id"], name="telegram_prec_keyset_idx"),
            models.Index(fields=["state", "-received_at", "-id"], name="telegram_state_keyset_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.receipt_no} {self.title}"

    def save(self, *args, **kwargs):
        self.precedence_rank = PRECEDENCE_RANK.get(self.precedence, 9)
        super().save(*args, **kwargs)

    # The body is only ever kept encrypted; the associated data binds it to this row.
    @property
    def body(self) -> str:
        return crypto.open_text(self.body_enc, crypto.aad_for("telegram", self.uid, "body"))

    def set_body(self, text: str) -> None:
        self.body_enc = crypto.seal_text(text, crypto.aad_for("telegram", self.uid, "body")) if text else ""

    @property
    def is_void(self) -> bool:
        return self.state == TelegramState.VOID

    @property
    def is_urgent(self) -> bool:
        return self.precedence == Precedence.TETI

    @property
    def is_returned(self) -> bool:
        return self.state == TelegramState.RETURNED

    @property
    def is_closed(self) -> bool:
        """Nothing more happens to it here: closed, returned, filed or void."""
        return self.state in (TelegramState.CLOSED, TelegramState.RETURNED, TelegramState.ARCHIVED, TelegramState.VOID)


class TelegramChange(models.Model):
    """A correction of a header field: kept forever and shown on the telegram's page."""

    telegram = models.ForeignKey(Telegram, verbose_name="来电", on_delete=models.PROTECT, related_name="changes")
    at = models.DateTimeField("时间", auto_now_add=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="修改人", on_delete=models.PROTECT, related_name="+")
    field = models.CharField("字段", max_length=32)
    old = models.TextField("原值", blank=True)
    new = models.TextField("新值", blank=True)
    reason = models.CharField("原因", max_length=200, blank=True)

    class Meta:
        verbose_name = "更正记录"
        verbose_name_plural = "更正记录"
        ordering = ["at", "id"]

    @property
    def field_label(self) -> str:
        """The corrected field as the form names it (来电单位, not sender_unit_name)."""
        try:
            return str(Telegram._meta.get_field(self.field).verbose_name)
        except FieldDoesNotExist:
            return self.field


class Scan(models.Model):
    """A scanned page (PDF/JPEG/PNG), stored encrypted on disk under SCAN_ROOT."""

    uid = models.UUIDField("标识", default=uuid.uuid4, unique=True, editable=False)
    telegram = models.ForeignKey(Telegram, verbose_name="来电", on_delete=models.PROTECT, related_name="scans")
    filename = models.CharField("文件名", max_length=200)
    content_type = models.CharField("类型", max_length=40)
    size = models.PositiveIntegerField("大小")
    sha256 = models.CharField("SHA-256", max_length=64)
    key_id = models.CharField("密钥", max_length=32)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="上传人", on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField("上传时间", auto_now_add=True)

    class Meta:
        verbose_name = "扫描件"
        verbose_name_plural = "扫描件"
        ordering = ["uploaded_at", "id"]

    @property
    def aad(self) -> bytes:
        return crypto.aad_for("scan", self.uid, "content")

    @property
    def path(self):
        return settings.SCAN_ROOT / f"{self.uid}.bin"

    def read(self) -> bytes:
        return crypto.open_sealed(self.path.read_bytes(), self.aad)


class ImportedFile(models.Model):
    """A text file registered by ``import_telegram``, known by its content: a folder imported again skips
    it. Written in the same transaction as the registration, so a file is either imported and recorded or
    neither."""

    sha256 = models.CharField("SHA-256", max_length=64, unique=True)
    filename = models.CharField("文件名", max_length=255)
    telegram = models.ForeignKey(Telegram, verbose_name="来电", on_delete=models.PROTECT, related_name="imported_files")
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="导入人", on_delete=models.PROTECT, related_name="+"
    )
    imported_at = models.DateTimeField("导入时间", auto_now_add=True)

    class Meta:
        verbose_name = "已导入文件"
        verbose_name_plural = "已导入文件"
        ordering = ["imported_at", "id"]

    def __str__(self) -> str:
        return f"{self.filename} → {self.telegram_id}"


class ReturnReason(models.TextChoices):
    """The 退文告知单's checklist."""

    NOT_OURS = "not_ours", "不属于本机关职责"
    DUPLICATE = "duplicate", "重复来文"
    INCOMPLETE = "incomplete", "格式或要素不全"
    NO_ATTACHMENT = "no_attachment", "附件缺失"
    OTHER = "other", "其他"


class TelegramReturn(models.Model):
    """退文: 初审 found the telegram is not for this office or improper; it goes back to the sender with the
    reasons ticked on the 退文告知单. The telegram keeps its number and its record."""

    telegram = models.OneToOneField(Telegram, verbose_name="来电", on_delete=models.PROTECT, related_name="return_record")
    reasons = models.JSONField("退文原因", default=list)  # ReturnReason values, in the checklist's order
    other_reason = models.CharField("其他原因", max_length=200, blank=True)
    note = models.CharField("说明", max_length=500, blank=True)
    returned_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="退文人", on_delete=models.PROTECT, related_name="+")
    returned_at = models.DateTimeField("退文时间", auto_now_add=True)
    submission_key = models.CharField("提交标识", max_length=64, unique=True, null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "退文记录"
        verbose_name_plural = "退文记录"

    def __str__(self) -> str:
        return f"{self.telegram_id} 退文"

    @property
    def reason_labels(self) -> list[str]:
        labels = []
        for code in self.reasons:
            label = ReturnReason(code).label if code in ReturnReason.values else code
            labels.append(f"{label}：{self.other_reason}" if code == ReturnReason.OTHER and self.other_reason else label)
        return labels

    @property
    def checklist(self) -> list[tuple[str, bool]]:
        """Every reason of the checklist with whether it was ticked (the printed notice shows all of them)."""
        return [(label, value in self.reasons) for value, label in ReturnReason.choices]


class ReplyMethod(models.TextChoices):
    TELEGRAM = "telegram", "电报"
    FAX = "fax", "传真"
    DOCUMENT = "document", "公文"


class Reply(models.Model):
    """答复: what was reported back to the sender, when, by whom and how — or that no reply is needed. Recording
    it closes the telegram (已办毕). The text is sealed like the body."""

    uid = models.UUIDField("标识", default=uuid.uuid4, unique=True, editable=False)
    telegram = models.ForeignKey(Telegram, verbose_name="来电", on_delete=models.PROTECT, related_name="replies")
    needed = models.BooleanField("需要答复", default=True)
    method = models.CharField("答复方式", max_length=10, choices=ReplyMethod.choices, blank=True)
    doc_no = models.CharField("答复文号", max_length=64, blank=True)
    text_enc = models.TextField("答复内容（密文）", blank=True, editable=False)
    replied_at = models.DateTimeField("答复时间", null=True, blank=True)
    replied_by = models.CharField("答复人", max_length=50, blank=True)
    note = models.CharField("说明", max_length=200, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="登记人", on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField("登记时间", auto_now_add=True)
    submission_key = models.CharField("提交标识", max_length=64, unique=True, null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "答复"
        verbose_name_plural = "答复"
        ordering = ["recorded_at", "id"]
        constraints = [
            # A reply says what, how, when and by whom; "no reply needed" says why.
            models.CheckConstraint(condition=(Q(needed=False) & ~Q(note="")) | (
                Q(needed=True) & ~Q(method="") & ~Q(text_enc="") & Q(replied_at__isnull=False) & ~Q(replied_by="")
            ), name="reply_complete"),
        ]

    def __str__(self) -> str:
        return f"{self.telegram_id} 答复"

    @property
    def aad(self) -> bytes:
        return crypto.aad_for("reply", self.uid, "text")

    @property
    def text(self) -> str:
        return crypto.open_text(self.text_enc, self.aad)

    def set_text(self, text: str) -> None:
        self.text_enc = crypto.seal_text(text, self.aad) if text else ""


class Reading(models.Model):
    """A read receipt: who opened the telegram's page, first and last (its alerts, 传阅 and deliveries show
    未读/已读 from these and their own records)."""

    telegram = models.ForeignKey(Telegram, verbose_name="来电", on_delete=models.PROTECT, related_name="readings")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="阅读人", on_delete=models.PROTECT, related_name="+")
    first_opened_at = models.DateTimeField("首次打开")
    last_opened_at = models.DateTimeField("最近打开")
    times = models.PositiveIntegerField("打开次数", default=1)

    class Meta:
        verbose_name = "阅读记录"
        verbose_name_plural = "阅读记录"
        ordering = ["first_opened_at", "id"]
        constraints = [models.UniqueConstraint(fields=["telegram", "user"], name="reading_one_per_person")]


class BlindTagsField(models.Field):
    """A set of 32-bit tags: `integer[]` on PostgreSQL (GIN-indexed, migration 0009), on SQLite a text of the tags
    between spaces (" 12 -7 9 "), searched with LIKE: the embedded set-up's simple fallback."""

    description = "blind index tags"

    def db_type(self, connection) -> str:
        return "integer[]" if connection.vendor == "postgresql" else "text"

    def get_db_prep_value(self, value, connection, prepared=False):
        if value is None:
            return None
        if connection.vendor == "postgresql":
            # One array literal ('{1,-2,3}') cast once (get_placeholder), not a bound list: psycopg2 would quote
            # each of a body's ~600 tags into ARRAY[...] and the server parse as many constants (~0.3 ms each way).
            return "{" + ",".join(str(int(v)) for v in value) + "}"
        return " " + " ".join(str(int(v)) for v in value) + " "

    def get_placeholder(self, value, compiler, connection) -> str:
        return "%s::integer[]" if connection.vendor == "postgresql" else "%s"

    def from_db_value(self, value, expression, connection):
        if value is None or isinstance(value, list):
            return value
        return [int(v) for v in value.split()]

    def to_python(self, value):
        if value is None or isinstance(value, list):
            return value
        return [int(v) for v in str(value).split()]


@BlindTagsField.register_lookup
class HasAllTags(models.Lookup):
    """`tags__hasall=[t1, t2]`: every one of the tags is present (PostgreSQL: `@>`, served by the GIN index)."""

    lookup_name = "hasall"
    prepare_rhs = False

    def get_prep_lookup(self):
        return [int(v) for v in self.rhs]

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        if connection.vendor == "postgresql":
            return f"{lhs} @> %s::integer[]", [*lhs_params, list(self.rhs)]
        if not self.rhs:
            return "1 = 1", []
        sql = " AND ".join(f"{lhs} LIKE %s" for _ in self.rhs)
        params: list = []
        for tag in self.rhs:
            params += [*lhs_params, f"% {tag} %"]
        return sql, params


class BodyIndex(models.Model):
    """The body's blind index (vault/blind.py): keyed tags of its character bigrams, never its text. Written by
    `actions.register` with the body; `rebuild_body_index` re-tags rows under an earlier index key."""

    telegram = models.OneToOneField(Telegram, on_delete=models.CASCADE, primary_key=True, related_name="body_index")
    key_id = models.CharField("索引密钥", max_length=40)
    tags = BlindTagsField("正文索引标签")

    class Meta:
        verbose_name = "正文盲索引"
        verbose_name_plural = "正文盲索引"
        # key_id: rebuild_body_index finds the rows under an earlier key. The GIN index on tags (PostgreSQL only)
        # is created by migration 0009's SQL: Django's GinIndex cannot be declared for the SQLite fallback.
        indexes = [models.Index(fields=["key_id"], name="body_index_key_idx")]
