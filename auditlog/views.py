"""The audit pages, for 管理员 only: the log (filters, CSV), one telegram's whole history, and "verify now"."""
from __future__ import annotations

import logging

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Q
from django.http import StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from alarms.models import Kind
from alarms.services import open_alarms
from audit import catalog, signing
from audit.catalog import ACTION_LABELS, action_label
from audit.chain import at_text, canonical_json
from audit.models import AuditEntry, ChainHead, Checkpoint, VerificationRun
from audit.services import record
from audit.tasks import verify_chain
from core import keyset
from core.csv_stream import rows_as_csv
from directory import roles
from directory.access import role_required
from telegrams.access import telegram_for
from telegrams.models import Telegram

from .filters import AuditFilter

log_ = logging.getLogger(__name__)
TELEGRAM_TYPE = Telegram._meta.label_lower


def _filtered(request) -> AuditFilter:
    return AuditFilter(request.GET, queryset=AuditEntry.objects.order_by("-seq"))


def _for_people(entries) -> None:
    """What the log shows for each entry: the action's, the object's and the data's Chinese names."""
    catalog.describe(entries)
    for e in entries:
        e.label = action_label(e.action)
        e.fields = catalog.data_fields(e.data, e.object_type)


@role_required(roles.ADMIN)
def log(request):
    f = _filtered(request)
    page = keyset.paginate(f.qs.select_related("actor"), request.GET, keys=("seq",), per_page=50,
                           cap=settings.REGISTER_COUNT_CAP)
    _for_people(page.object_list)  # the page keeps these same objects
    return render(request, "audit/log.html", {
        "filter": f, "page": page, "query": page.query, "actions": ACTION_LABELS.items(),
        "alarms": open_alarms(Kind.AUDIT),
    })


COLUMNS = ("seq", "at", "actor_id", "actor_name", "action", "object_type", "object_id", "data", "prev_hash", "hash", "mac")


def _record_export(request, action: str) -> None:
    with transaction.atomic():
        record(request.user, action, None, {k: v for k, v in request.GET.items() if v},
               object_type=AuditEntry._meta.label_lower)


@role_required(roles.ADMIN)
def log_csv(request):
    """For people, in a spreadsheet: text a spreadsheet would run as a formula (a failed login's username
    "=HYPERLINK(…)") is prefixed with a quote. Exact values, to recompute hashes: export.jsonl."""
    f = _filtered(request)
    _record_export(request, "audit.export_csv")
    header = ["序号", "时间", "操作人ID", "操作人", "动作", "动作名称", "对象类型", "对象", "数据", "前一哈希", "哈希"]

    def rows():
        for seq, at, actor_id, actor, action, otype, oid, data, prev_hash, digest, _mac in f.qs.values_list(
            *COLUMNS
        ).iterator(chunk_size=2000):
            yield [
                seq, timezone.localtime(at).isoformat(timespec="microseconds"), actor_id or "", actor, action,
                action_label(action), otype, oid, data, prev_hash, digest,
            ]

    response = StreamingHttpResponse(rows_as_csv(header, rows(), guard_formulas=True), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = "attachment; filename=audit-log.csv"
    return response


@role_required(roles.ADMIN)
def log_jsonl(request):
    """JSON Lines, one entry per line with every field exactly as hashed (`at` as the chain writes it), so anyone
    can recompute each hash: SHA-256(prev_hash ‖ canonical entry) — docs/architecture.md "The audit chain"."""
    f = _filtered(request)
    _record_export(request, "audit.export_jsonl")

    def lines():
        for seq, at, actor_id, actor, action, otype, oid, data, prev_hash, digest, mac in f.qs.values_list(
            *COLUMNS
        ).iterator(chunk_size=2000):
            yield canonical_json({
                "seq": seq, "at": at_text(at), "actor_id": actor_id, "actor": actor, "action": action,
                "object_type": otype, "object_id": oid, "data": data, "prev_hash": prev_hash, "hash": digest, "mac": mac,
            }) + "\n"

    response = StreamingHttpResponse(lines(), content_type="application/x-ndjson; charset=utf-8")
    response["Content-Disposition"] = "attachment; filename=audit-log.jsonl"
    return response


def _telegram_entries(telegram: Telegram):
    """Entries about the telegram itself, about anything hanging off it (orders, deliveries, scans, 批示 …),
    or whose data names its receipt number."""
    q = Q(object_type=TELEGRAM_TYPE, object_id=str(telegram.pk)) | Q(data__contains=canonical_json(telegram.receipt_no))
    for rel in Telegram._meta.related_objects:
        if not (rel.one_to_many or rel.one_to_one):
            continue
        ids = [str(pk) for pk in rel.related_model._default_manager.filter(**{rel.field.name: telegram})
               .values_list("pk", flat=True)]
        if ids:
            q |= Q(object_type=rel.related_model._meta.label_lower, object_id__in=ids)
    return AuditEntry.objects.filter(q).order_by("seq")


@role_required(roles.ADMIN)
def telegram_history(request, pk: int):
    telegram = telegram_for(request.user, pk)
    page = Paginator(_telegram_entries(telegram).select_related("actor"), 200).get_page(request.GET.get("page"))
    _for_people(list(page))  # the page keeps these same objects
    return render(request, "audit/telegram.html", {
        "t": telegram, "page": page, "alarms": open_alarms(Kind.AUDIT),
        "orders": telegram.orders.select_related("created_by__person").order_by("created_at", "id"),
        "deliveries": telegram.deliveries.select_related("unit", "signed_by__person", "done_by__person")
        .order_by("created_at", "id"),
    })


@role_required(roles.ADMIN)
def verify(request):
    if request.method == "POST":
        return _start_verification(request)
    runs = list(VerificationRun.objects.select_related("requested_by__person")[:20])
    response = render(request, "audit/verify.html", {
        "runs": runs, "alarms": open_alarms(Kind.AUDIT),
        "head": ChainHead.objects.filter(id=1).first(),
        "last_checkpoint": Checkpoint.objects.order_by("-seq").first(),
        "checkpoint_count": Checkpoint.objects.count(),
        "public_key": signing.public_key_b64(),
        "public_key_pem": signing.public_key_pem(),
    })
    if any(r.ok is None for r in runs):
        response["Refresh"] = "3"  # reload until the worker reports (no script: CSP)
    return response


def _start_verification(request):
    with transaction.atomic():
        run = VerificationRun.objects.create(requested_by=request.user)
        record(request.user, "audit.verify_requested", run, {})

        def send():
            try:
                verify_chain.delay(run.pk)
            except Exception:  # broker down: the run stays queued and the page says so
                log_.exception("could not queue audit verification %s", run.pk)

        transaction.on_commit(send)
    messages.success(request, "已提交校验，完成后结果显示在下方。")
    return redirect("audit:verify")
