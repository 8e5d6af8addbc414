"""What the API reads and writes. Input serializers only read types and sizes; the rules (required fields, 密电,
duplicates, transitions) are the actions', whose typed errors come back as problem documents. Output serializers
describe the documents the views build (desk.record.telegram_as_json for a telegram) for the OpenAPI schema."""
from __future__ import annotations

from django.core.validators import RegexValidator
from rest_framework import serializers

from archive.models import Retention
from routing.models import DeliveryState, Role
from telegrams.models import Precedence, Telegram, TelegramState
from telegrams.textparse import MAX_TEXT_CHARS

# No NUL or other control character (tab and line breaks are fine): PostgreSQL refuses NUL in text and the
# exports refuse the rest (directory.security.CONTROL_CHARACTERS). As a pattern, so the schema says it too.
PLAIN_TEXT = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*\Z"
PAGED_TEXT = r"^[^\x00-\x08\x0b\x0e-\x1f\x7f]*\Z"  # a telegram's whole text may hold form feeds (page breaks)


class Text(serializers.CharField):
    """An optional string (null or "" mean not given) without control characters."""

    def __init__(self, *, pattern: str = PLAIN_TEXT, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_blank", True)
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)
        self.validators.append(RegexValidator(pattern, message="不能包含控制字符。", code="control_character"))


def _max(name: str) -> int:
    return Telegram._meta.get_field(name).max_length


class TelegramCreateSerializer(serializers.Serializer):
    """The `parse_telegram --json` field names (null or [] for a field not given), or `text`: the telegram's
    whole text, read by the same parser; a field given alongside `text` replaces what the parser found."""

    text = Text(max_length=MAX_TEXT_CHARS, trim_whitespace=False, pattern=PAGED_TEXT,
                help_text="电报全文（与 parse_telegram 同一解析器）")
    receipt_no = Text(max_length=64, help_text="仅补录纸质已编号来电时填写；留空自动编号")
    sender_unit = Text(max_length=_max("sender_unit_name"), help_text="来电单位")
    precedence = serializers.ChoiceField(choices=Precedence.choices, required=False, allow_null=True,
                                         help_text="等级：特提、特急、加急、平急")
    classification = Text(max_length=4, help_text="只能是“明电”（密电不得登记）")
    received_at = serializers.DateTimeField(required=False, allow_null=True, help_text="收报时间，ISO 8601")
    title = Text(max_length=_max("title"))
    instruction = Text(max_length=2000, help_text="批办，如“送：自治区总工会。”")
    proposal = Text(max_length=2000, help_text="拟办意见")
    sending_unit = Text(max_length=_max("sending_unit"))
    issuer = Text(max_length=_max("issuer"), help_text="签发人")
    sender_doc_no = Text(max_length=_max("sender_doc_no"), help_text="发电字号，如 工发电〔2020〕7号")
    addressees = serializers.ListField(child=Text(max_length=2000, allow_null=False), required=False, allow_null=True,
                                       max_length=200, help_text="主送")
    cc = serializers.ListField(child=Text(max_length=2000, allow_null=False), required=False, allow_null=True,
                               max_length=200, help_text="抄送")
    body = Text(max_length=200_000, trim_whitespace=False, help_text="正文")
    signatory = Text(max_length=_max("signatory"), help_text="署名")
    signed_on = serializers.DateField(required=False, allow_null=True, help_text="成文日期")
    pages = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=9999)
    copies = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=9999)


class CreatedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    receipt_no = serializers.CharField(help_text="收文号")
    url = serializers.CharField(help_text="本件的接口地址")


class TelegramStateSerializer(CreatedSerializer):
    state = serializers.ChoiceField(choices=TelegramState.choices)


class ReasonSerializer(serializers.Serializer):
    reason = Text(max_length=200, allow_null=False, required=True, help_text="原因")


class ArchiveSerializer(serializers.Serializer):
    retention = serializers.ChoiceField(choices=Retention.choices, help_text="保管期限：Y 永久，D30 定期30年，D10 定期10年")


class RevokeArchiveSerializer(serializers.Serializer):
    reason = Text(max_length=300, allow_null=False, required=True, help_text="撤销归档的原因")


class TelegramListItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    receipt_no = serializers.CharField()
    precedence = serializers.ChoiceField(choices=Precedence.choices)
    sender_unit = serializers.CharField()
    sender_doc_no = serializers.CharField(allow_null=True)
    title = serializers.CharField()
    received_at = serializers.DateTimeField()
    state = serializers.ChoiceField(choices=TelegramState.choices)
    url = serializers.CharField()


class RecordDeliverySerializer(serializers.Serializer):
    unit = serializers.CharField()
    role = serializers.ChoiceField(choices=Role.choices)
    state = serializers.ChoiceField(choices=DeliveryState.choices)
    deadline = serializers.DateField(allow_null=True)


class RecordAnnotationSerializer(serializers.Serializer):
    author = serializers.CharField()
    text = serializers.CharField()
    at = serializers.DateTimeField()


class TelegramRecordSerializer(serializers.Serializer):
    """`show_telegram --json` plus `id`."""

    id = serializers.IntegerField()
    receipt_no = serializers.CharField()
    sender_unit = serializers.CharField()
    precedence = serializers.ChoiceField(choices=Precedence.choices)
    classification = serializers.CharField()
    received_at = serializers.DateTimeField(allow_null=True)
    title = serializers.CharField()
    annotation = serializers.CharField(allow_null=True, help_text="最新批示")
    instruction = serializers.CharField(allow_null=True)
    sending_unit = serializers.CharField(allow_null=True)
    sender_doc_no = serializers.CharField(allow_null=True)
    addressees = serializers.ListField(child=serializers.CharField())
    body = serializers.CharField(allow_null=True)
    signatory = serializers.CharField(allow_null=True)
    signed_on = serializers.DateField(allow_null=True)
    cc = serializers.ListField(child=serializers.CharField())
    state = serializers.ChoiceField(choices=TelegramState.choices)
    deliveries = RecordDeliverySerializer(many=True)
    annotations = RecordAnnotationSerializer(many=True)


class ScanSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    filename = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()
    uploaded_at = serializers.DateTimeField()
    url = serializers.CharField(help_text="下载地址")


class ScanUploadSerializer(serializers.Serializer):
    files = serializers.ListField(child=serializers.FileField(), help_text="PDF、JPEG 或 PNG（按内容判断），可多个")


class DeliverySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    telegram = serializers.IntegerField(help_text="来电 id")
    receipt_no = serializers.CharField()
    title = serializers.CharField()
    precedence = serializers.ChoiceField(choices=Precedence.choices)
    unit = serializers.CharField()
    role = serializers.ChoiceField(choices=Role.choices)
    state = serializers.ChoiceField(choices=DeliveryState.choices)
    deadline = serializers.DateField(allow_null=True)
    delivered_at = serializers.DateTimeField(allow_null=True)
    signed_at = serializers.DateTimeField(allow_null=True)
    done_at = serializers.DateTimeField(allow_null=True)
    url = serializers.CharField()


class DeliveryDetailSerializer(DeliverySerializer):
    result = serializers.CharField(allow_null=True, help_text="办理结果")


class DoneSerializer(serializers.Serializer):
    result = Text(max_length=5000, help_text="办理结果（牵头、办理单位必填）")
    close = serializers.BooleanField(required=False, default=False, help_text="牵头单位宣布整件办结")


class AnnotationInputSerializer(serializers.Serializer):
    text = Text(max_length=2000, allow_null=False, required=True, help_text="批示内容")
    fingerprint = serializers.RegexField(r"^[0-9a-f]{64}$", required=False, allow_blank=True,
                                         help_text="确认时带上预览返回的 fingerprint")


class RouteSerializer(serializers.Serializer):
    unit = serializers.CharField()
    role = serializers.ChoiceField(choices=Role.choices)


class UnknownNameSerializer(serializers.Serializer):
    name = serializers.CharField()
    candidates = serializers.ListField(child=serializers.CharField())


class DraftSerializer(serializers.Serializer):
    """What a 批示 will do, shown before it is saved (annotations.drafts.prepare)."""

    text = serializers.CharField()
    routes = RouteSerializer(many=True, help_text="将分送的单位")
    already_routed = RouteSerializer(many=True, help_text="已经分送过的单位（不再分送）")
    unknown_units = UnknownNameSerializer(many=True, help_text="机构目录中没有的单位及相近单位")
    deadline = serializers.DateField(allow_null=True)
    archive = serializers.BooleanField(help_text="批示要求存档")
    readers = serializers.ListField(child=serializers.CharField(), help_text="请阅示的领导")
    unknown_leaders = UnknownNameSerializer(many=True)
    needs_confirmation = serializers.BooleanField(help_text="保存时须带 fingerprint")
    ok = serializers.BooleanField(help_text="所有单位和领导都已找到，可以确认")
    fingerprint = serializers.CharField()


class AnnotationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    telegram = serializers.IntegerField()
    author = serializers.CharField()
    text = serializers.CharField()
    at = serializers.DateTimeField()
    version = serializers.IntegerField()
