"""Telegrams: the register (list with its filters, create from fields or text), one record, its scans."""
from __future__ import annotations

from urllib.parse import quote

from django import forms
from django.db import transaction
from django.http import Http404, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.response import Response

from archive import actions as archive_actions
from audit.services import record
from core.errors import InvalidInput
from desk.record import telegram_as_json
from directory import roles
from intake import actions as intake_actions
from intake.importing import input_from_parsed
from telegrams import actions as telegram_actions
from telegrams.access import telegram_for
from telegrams.filters import RegisterFilter
from telegrams.forms import ScanField
from telegrams.inputs import TelegramInput
from telegrams.models import Scan, Telegram
from telegrams.textparse import TelegramParseError, parse

from .. import serializers as s
from ..schema import IDEMPOTENCY_KEY, problems
from .base import ApiView, Pages, idempotency_key, iso

# parse_telegram's names → TelegramInput's (the rest are the same).
INPUT_NAMES = {"sender_unit": "sender_unit_name"}


def to_input(values: dict) -> TelegramInput:
    """One input object for every source: the text parsed as the paste form and import_telegram parse it
    (intake.importing.input_from_parsed), then the fields given beside it; or the fields alone."""
    text = values.get("text")
    if text and text.strip():
        try:
            data = input_from_parsed(parse(text, now=timezone.now()))
        except TelegramParseError as exc:
            raise InvalidInput(str(exc), field="text")
    else:
        data = TelegramInput(sender_unit_name="", precedence="", received_at=None, title="")
    for name, value in values.items():
        if name == "text" or value is None or (text and value in ("", [])):
            continue
        setattr(data, INPUT_NAMES.get(name, name), value.strip() if isinstance(value, str) and name != "body" else value)
    return data


def list_item(t: Telegram) -> dict:
    return {
        "id": t.pk, "receipt_no": t.receipt_no, "precedence": t.precedence, "sender_unit": t.sender_unit_name,
        "sender_doc_no": t.sender_doc_no or None, "title": t.title, "received_at": iso(t.received_at), "state": t.state,
        "url": reverse("api:telegram", args=[t.pk]),
    }


def created(t: Telegram) -> dict:
    """The answer to a registration: only what never changes, so a retried request gets the same body."""
    return {"id": t.pk, "receipt_no": t.receipt_no, "url": reverse("api:telegram", args=[t.pk])}


class TelegramList(ApiView):
    roles = {"GET": (roles.CLERK, roles.LEADER, roles.ADMIN), "POST": (roles.CLERK,)}
    queryset = Telegram.objects.only(
        "id", "receipt_no", "precedence", "sender_unit_name", "title", "received_at", "state", "sender_doc_no"
    )
    filter_backends = [DjangoFilterBackend]
    filterset_class = RegisterFilter
    pagination_class = Pages
    parser_classes = [JSONParser]

    @extend_schema(operation_id="telegrams_list", summary="收文登记簿",
                   description="登记簿的筛选和搜索（q：收文号、来电单位、发电字号、标题或正文——正文经盲索引选出候选、解密确认），按收报时间倒序，分页。",
                   responses={200: s.TelegramListItemSerializer(many=True), **problems(404)})
    def get(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response([list_item(t) for t in page])

    @extend_schema(operation_id="telegrams_create", summary="登记来电", description=(
        "用 parse_telegram 的字段名登记，或只给 {\"text\": 电报全文}（与粘贴表单同一解析器）；同时给出的字段覆盖解析结果。"
        "批办中机构目录没有的单位不影响登记，列入机要员的“待处理单位”。"),
        request=s.TelegramCreateSerializer, parameters=[IDEMPOTENCY_KEY],
        responses={201: s.CreatedSerializer, **problems(400, 409)})
    def post(self, request):
        serializer = s.TelegramCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = to_input(serializer.validated_data)
        data.submission_key = idempotency_key(request)
        try:
            telegram = intake_actions.register(data, actor=request.user)
        except telegram_actions.AlreadyRegistered as exc:  # the same request again: what the first one made
            telegram = Telegram.objects.get(pk=exc.context["existing"])
        url = reverse("api:telegram", args=[telegram.pk])
        return Response(created(telegram), status=201, headers={"Location": url})


class TelegramDetail(ApiView):
    @extend_schema(operation_id="telegram_retrieve", summary="来电详情",
                   description="show_telegram --json 的内容加 id；读取正文记入审计。其他单位的来电为 404。",
                   responses={200: s.TelegramRecordSerializer, **problems(404)})
    def get(self, request, pk: int):
        telegram = telegram_for(request.user, pk)
        telegram_actions.read_body(telegram, actor=request.user)  # reading the body is audited, as on the page
        return Response({"id": telegram.pk, **telegram_as_json(telegram)})


def scan_item(telegram: Telegram, scan: Scan) -> dict:
    return {"id": scan.pk, "filename": scan.filename, "content_type": scan.content_type, "size": scan.size,
            "sha256": scan.sha256, "uploaded_at": iso(scan.uploaded_at),
            "url": reverse("api:scan", args=[telegram.pk, scan.pk])}


class TelegramScans(ApiView):
    roles = {"GET": None, "POST": (roles.CLERK,)}
    parser_classes = [MultiPartParser]

    @extend_schema(operation_id="scans_list", summary="扫描件列表", responses={200: s.ScanSerializer(many=True), **problems(404)})
    def get(self, request, pk: int):
        telegram = telegram_for(request.user, pk)
        return Response([scan_item(telegram, scan) for scan in telegram.scans.all()])

    @extend_schema(operation_id="scans_create", summary="补充扫描件", description=(
        "multipart/form-data 的 files 字段，一个或多个 PDF、JPEG、PNG（按内容判断）。本件已有的相同文件（SHA-256）"
        "不重复保存，返回已有的那份：重试不会多出扫描件。"),
        request={"multipart/form-data": s.ScanUploadSerializer},
        responses={201: s.ScanSerializer(many=True), **problems(400, 404, 409)})
    def post(self, request, pk: int):
        telegram = telegram_for(request.user, pk)
        try:
            uploads = ScanField().clean(request.FILES.getlist("files"))
        except forms.ValidationError as exc:
            raise InvalidInput(" ".join(exc.messages), field="files")
        if not uploads:
            raise InvalidInput("请选择要上传的扫描件（files 字段）。", field="files")
        done = telegram_actions.add_scans(telegram, uploads, request.user)
        return Response([scan_item(telegram, scan) for scan in done.scans], status=201)


SCAN_TYPES = ("application/pdf", "image/jpeg", "image/png")


class ScanDownload(ApiView):
    @extend_schema(operation_id="scan_download", summary="下载扫描件",
                   description="原文件（解密后）；下载记入审计。",
                   responses={**{(200, t): OpenApiResponse(OpenApiTypes.BINARY) for t in SCAN_TYPES}, **problems(404)})
    def get(self, request, pk: int, scan_id: int):
        telegram = telegram_for(request.user, pk)
        scan = telegram.scans.filter(pk=scan_id).first()
        if scan is None:
            raise Http404("扫描件不存在。")
        content = scan.read()
        with transaction.atomic():
            record(request.user, "telegram.download_scan", scan,
                   {"telegram": telegram.receipt_no, "file": scan.filename, "sha256": scan.sha256})
        response = HttpResponse(content, content_type=scan.content_type)
        response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(scan.filename, safe='')}"
        response["Cache-Control"] = "no-store"
        return response


def state_of(t: Telegram) -> dict:
    """The answer to an action on a telegram: what it is now (GET the record for the rest)."""
    return {"id": t.pk, "receipt_no": t.receipt_no, "state": t.state, "url": reverse("api:telegram", args=[t.pk])}


class TelegramAction(ApiView):
    """POST telegrams/{id}/<action>/: the telegram as the caller may see it (404 otherwise), the input read by
    `input_serializer`, `act` calls the action; the answer is the telegram's state afterwards. The procedure's
    actions on a telegram (退文, 传阅, 催办, 归档) are each one more subclass and one URL line."""

    parser_classes = [JSONParser]
    input_serializer: type | None = None

    def act(self, telegram: Telegram, values: dict, user) -> None:
        raise NotImplementedError

    def post(self, request, pk: int):
        telegram = telegram_for(request.user, pk)
        values = {}
        if self.input_serializer is not None:
            serializer = self.input_serializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            values = serializer.validated_data
        self.act(telegram, values, request.user)
        return Response(state_of(Telegram.objects.get(pk=telegram.pk)))


class TelegramVoid(TelegramAction):
    roles = (roles.CLERK,)
    input_serializer = s.ReasonSerializer

    @extend_schema(operation_id="telegram_void", summary="作废",
                   description="登记有误的来电作废：记录保留、收文号保留，须写明原因。",
                   request=s.ReasonSerializer, responses={200: s.TelegramStateSerializer, **problems(400, 404, 409)})
    def post(self, request, pk: int):
        return super().post(request, pk)

    def act(self, telegram, values, user):
        telegram_actions.void(telegram, actor=user, reason=values["reason"])


class TelegramArchive(TelegramAction):
    roles = (roles.CLERK,)
    input_serializer = s.ArchiveSerializer

    @extend_schema(operation_id="telegram_archive", summary="归档",
                   description="办毕（已办结、已办毕、已退文）的来电归档：自动编排档号（全宗号-年度-保管期限代码-件号），"
                               "归档后冻结，不能再更正、批示、分送或签收。",
                   request=s.ArchiveSerializer, responses={200: s.TelegramStateSerializer, **problems(400, 404, 409)})
    def post(self, request, pk: int):
        return super().post(request, pk)

    def act(self, telegram, values, user):
        archive_actions.archive(telegram, retention=values["retention"], actor=user)


class TelegramUnarchive(TelegramAction):
    roles = (roles.ADMIN,)
    input_serializer = s.RevokeArchiveSerializer

    @extend_schema(operation_id="telegram_unarchive", summary="撤销归档",
                   description="管理员撤销归档（须写明原因，记入审计日志）：来电恢复为归档前的状态，原档号作废、件号不再使用。",
                   request=s.RevokeArchiveSerializer, responses={200: s.TelegramStateSerializer, **problems(400, 404, 409)})
    def post(self, request, pk: int):
        return super().post(request, pk)

    def act(self, telegram, values, user):
        archive_actions.unarchive(telegram, reason=values["reason"], actor=user)
